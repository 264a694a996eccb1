import Foundation
import PramagentPolicy
#if canImport(Glibc)
import Glibc
#endif

/// Why a socket path cannot be served.
public struct SocketPathError: Error, CustomStringConvertible {
    public var description: String
}

/// Prepares a unix socket path: creates the directory, refuses to steal a live
/// socket, removes a stale one, and sets mode and group after binding.
enum SocketPath {
    static func prepare(_ path: String) throws {
        guard path.utf8.count < 108 else { throw SocketPathError(description: "socket path \(path) is longer than 107 bytes") }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o755])
            } catch {
                throw SocketPathError(description: "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return } // nothing there
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw SocketPathError(description: "\(path) exists and is not a socket; refusing to replace it")
        }
        if isLive(path) {
            throw SocketPathError(description: "another process is serving \(path); stop it first")
        }
        unlink(path)
    }

    /// True when something accepts connections on the socket.
    static func isLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }

    static func applyPermissions(_ path: String, mode: UInt32, group: String?) throws {
        if let group {
            guard let gid = UnixAccounts.group(named: group)?.gid else {
                throw SocketPathError(description: "unknown group \(group) for \(path)")
            }
            guard chown(path, uid_t(UInt32.max), gid) == 0 else {
                throw SocketPathError(description: "cannot set group \(group) on \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw SocketPathError(description: "cannot chmod \(path): \(String(cString: strerror(errno)))")
        }
    }
}
