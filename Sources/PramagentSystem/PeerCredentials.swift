import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A unix peer's identity from SO_PEERCRED (Linux `struct ucred` layout).
public struct PeerCredentials: Sendable, Hashable {
    public var pid: Int32 = 0
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public init() {}
}

extension Channel {
    /// The peer's uid, gid and pid (unix domain sockets).
    public func peerCredentials() -> EventLoopFuture<PeerCredentials> {
        guard let provider = self as? SocketOptionProvider else {
            return eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
    }
}
