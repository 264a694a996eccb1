import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Blocking unix-socket I/O for the load generator and the echo floor (no event loop in the way).
struct RawSocket {
    let fd: Int32

    static func connect(_ path: String) throws -> RawSocket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw BenchError("connect(\(path)): \(reason)")
        }
        return RawSocket(fd: fd)
    }

    static func listen(_ path: String) throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, Glibc.listen(fd, 1024) == 0 else { throw BenchError("cannot listen on \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
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
