import NIOCore
import Synchronization

/// Open connections, for the connection limit, `status`, and draining on shutdown.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let draining = Atomic<Bool>(false)

    var count: Int { channels.withLock { $0.count } }
    var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// Registers a channel unless the limit is reached or the daemon is draining.
    func admit(_ channel: any Channel, limit: Int) -> Bool {
        if isDraining { return false }
        let admitted = channels.withLock { table -> Bool in
            if table.count >= limit { return false }
            table[ObjectIdentifier(channel)] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [weak self] _ in
                _ = self?.channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return admitted
    }

    /// Stops admitting and returns the channels open now.
    func startDraining() -> [any Channel] {
        draining.store(true, ordering: .releasing)
        return channels.withLock { Array($0.values) }
    }
}
