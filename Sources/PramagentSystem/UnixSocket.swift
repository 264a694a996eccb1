#if canImport(Glibc)
import Glibc
#endif

/// Blocking helpers for unix stream sockets (liveness probes, the load generator, tests).
public enum UnixSocket {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Calls `body` with a `sockaddr_un` for `path` (which must be shorter than 108 bytes).
    public static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Connects to `path`; returns the file descriptor.
    public static func connect(_ path: String) throws(Failure) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket(): \(String(cString: strerror(errno)))") }
        let rc = withAddress(path) { Glibc.connect(fd, $0, $1) }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "connect(\(path)): \(reason)")
        }
        return fd
    }
}
