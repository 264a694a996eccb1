import Foundation
import PramagentSystem
#if canImport(Glibc)
import Glibc
#endif

/// Blocking unix-socket I/O for the load generator and the echo floor (no event loop in the way).
struct RawSocket {
    let fd: Int32

    static func connect(_ path: String) throws -> RawSocket {
        do { return RawSocket(fd: try UnixSocket.connect(path)) } catch { throw BenchError(error.description) }
    }

    static func listen(_ path: String) throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let rc = UnixSocket.withAddress(path) { bind(fd, $0, $1) }
        guard rc == 0, Glibc.listen(fd, 1024) == 0 else { throw BenchError("cannot listen on \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a peer that has gone gives EPIPE (false here), not a SIGPIPE that kills us.
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    func readFull(_ buffer: UnsafeMutableRawBufferPointer, count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let n = read(fd, buffer.baseAddress! + offset, count - offset)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    /// Reads one frame into `buffer` (grown as needed); returns its body length.
    func readFrame(_ buffer: inout [UInt8]) -> Int? {
        var header = [UInt8](repeating: 0, count: 4)
        guard header.withUnsafeMutableBytes({ readFull($0, count: 4) }) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        if buffer.count < length { buffer = [UInt8](repeating: 0, count: length) }
        guard buffer.withUnsafeMutableBytes({ readFull($0, count: length) }) else { return nil }
        return length
    }

    func close() { Glibc.close(fd) }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Monotonic nanoseconds.
@inline(__always) func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
