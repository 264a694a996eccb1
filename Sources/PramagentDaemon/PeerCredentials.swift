import NIOCore
import PramagentDecision
#if canImport(Glibc)
import Glibc
#endif

/// Layout of Linux `struct ucred` (not visible to Swift through Glibc).
struct UCred {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

extension Channel {
    /// The peer's uid, gid and pid from SO_PEERCRED (Linux, unix domain sockets).
    func peerCredentials() -> EventLoopFuture<CallerIdentity> {
        guard let provider = self as? SocketOptionProvider else {
            return eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET),
                                                                            name: SocketOptionName(SO_PEERCRED))
        return future.map { CallerIdentity(uid: $0.uid, gid: $0.gid, pid: $0.pid) }
    }
}
