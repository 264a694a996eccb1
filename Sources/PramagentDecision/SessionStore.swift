import PramagentPolicy
import Synchronization

/// One call remembered in a session's history (plain data: no reference counting).
struct SessionCall: Sendable {
    var toolID: Int32
    var sideEffect: SideEffect
    var time: Double
}

/// The most recent calls of a session in a fixed-size ring.
struct CallHistory: Sendable {
    private var calls: [SessionCall] = []
    private var start = 0

    var count: Int { calls.count }

    /// The k-th most recent call (0 is the latest).
    func recent(_ k: Int) -> SessionCall { calls[(start + calls.count - 1 - k) % calls.count] }

    mutating func append(_ call: SessionCall, capacity: Int) {
        if calls.count < capacity {
            calls.append(call)
        } else if capacity > 0 {
            calls[start] = call
            start = (start + 1) % calls.count
        }
    }
}

/// What the engine knows about one (tenant, session).
struct SessionState: Sendable {
    var lastSeen: Double
    var callsPerTool: [Int32: Int] = [:]
    var history = CallHistory()
}

/// Bounded, sharded session state. When full, idle sessions are expired; if none
/// are idle, new sessions are refused (fail closed) rather than evicting live history.
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
    private let live = Atomic<Int>(0)
    /// Monotonic second of the last sweep over every shard (full sweeps are rate-limited).
    private let lastFullSweep = Mutex<Double>(-.infinity)

    init() {
        shards = (0..<SessionStore.shardCount).map { _ in Shard() }
    }

    var count: Int { live.load(ordering: .relaxed) }

    private func sweep(_ shard: Shard, now: Double, idleSeconds: Double) {
        shard.table.withLock { table in
            let before = table.count
            table = table.filter { now - $0.value.lastSeen <= idleSeconds }
            live.subtract(before - table.count, ordering: .relaxed)
        }
    }

    /// Makes room for one more session if idle ones can be expired.
    private func makeRoom(near shard: Shard, now: Double, idleSeconds: Double, maxSessions: Int) -> Bool {
        if live.load(ordering: .relaxed) < maxSessions { return true }
        sweep(shard, now: now, idleSeconds: idleSeconds)
        if live.load(ordering: .relaxed) < maxSessions { return true }
        let due = lastFullSweep.withLock { last -> Bool in
            if now - last < 1 { return false }
            last = now
            return true
        }
        if due { for other in shards where other !== shard { sweep(other, now: now, idleSeconds: idleSeconds) } }
        return live.load(ordering: .relaxed) < maxSessions
    }

    /// Runs `body` on the session's state under its shard lock, creating it if there is room.
    /// Returns nil when the store is full of live sessions.
    func withSession<T>(tenant: String, session: String, now: Double, idleSeconds: Double, maxSessions: Int,
                        _ body: (inout SessionState) -> T) -> T? {
        let key = Key(tenant: tenant, session: session)
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(SessionStore.shardCount))]
        if let result = shard.table.withLock({ table -> T? in
            guard var state = table[key] else { return nil }
            if now - state.lastSeen > idleSeconds { state = SessionState(lastSeen: now) }
            state.lastSeen = now
            let result = body(&state)
            table[key] = state
            return result
        }) {
            return result
        }
        guard makeRoom(near: shard, now: now, idleSeconds: idleSeconds, maxSessions: maxSessions) else { return nil }
        return shard.table.withLock { table -> T? in
            var state = table[key] ?? SessionState(lastSeen: now)
            if table[key] == nil {
                // Checked again under the lock: concurrent creators may have filled the store.
                guard live.add(1, ordering: .relaxed).newValue <= maxSessions else {
                    live.subtract(1, ordering: .relaxed)
                    return nil
                }
            }
            state.lastSeen = now
            let result = body(&state)
            table[key] = state
            return result
        }
    }
}
