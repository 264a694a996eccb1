import PramagentPolicy
import Synchronization

/// One call remembered in a session's history.
struct SessionCall: Sendable {
    var tool: String
    var sideEffect: SideEffect
    var time: Double
}

/// What the engine knows about one (tenant, session).
struct SessionState: Sendable {
    var lastSeen: Double
    var callsPerTool: [String: Int] = [:]
    /// The most recent calls, oldest first, bounded by the policy's history length.
    var history: [SessionCall] = []
}

/// Bounded, sharded session state. When full, idle sessions are expired; if none
/// are idle, new sessions are refused (fail closed) rather than evicting history.
final class SessionStore: Sendable {
    private struct Key: Hashable, Sendable {
        var tenant: String
        var session: String
    }

    private final class Shard: Sendable {
        let table = Mutex<[Key: SessionState]>([:])
    }

    private static let shardCount = 16
    private let shards: [Shard]

    init() {
        shards = (0..<SessionStore.shardCount).map { _ in Shard() }
    }

    var count: Int { shards.reduce(0) { total, shard in total + shard.table.withLock { $0.count } } }

    /// Runs `body` on the session's state under its shard lock, creating it if there is room.
    /// Returns nil when the store is full of live sessions.
    func withSession<T>(tenant: String, session: String, now: Double, idleSeconds: Double, maxSessions: Int,
                        _ body: (inout SessionState) -> T) -> T? {
        let key = Key(tenant: tenant, session: session)
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(SessionStore.shardCount))]
        let perShard = max(1, maxSessions / SessionStore.shardCount)
        return shard.table.withLock { table -> T? in
            if var state = table[key] {
                if now - state.lastSeen > idleSeconds { state = SessionState(lastSeen: now) }
                state.lastSeen = now
                let result = body(&state)
                table[key] = state
                return result
            }
            if table.count >= perShard {
                table = table.filter { now - $0.value.lastSeen <= idleSeconds }
                if table.count >= perShard { return nil }
            }
            var state = SessionState(lastSeen: now)
            let result = body(&state)
            table[key] = state
            return result
        }
    }
}
