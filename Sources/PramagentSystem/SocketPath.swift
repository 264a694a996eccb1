import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a socket path cannot be served.
public struct SocketPathError: Error, CustomStringConvertible {
    public var description: String
}

/// Prepares a unix socket path: creates the directory, refuses to steal a live
/// socket, removes a stale one, and sets mode and group after binding.
public enum SocketPath {
    public static func prepare(_ path: String) throws {
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
    public static func isLive(_ path: String) -> Bool {
        guard let fd = try? UnixSocket.connect(path) else { return false }
        close(fd)
        return true
    }

    public static func applyPermissions(_ path: String, mode: UInt32, group: String?) throws {
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
