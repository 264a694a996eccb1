import PramagentPolicy
import Synchronization

/// Per-tenant token buckets and fixed-window quotas.
final class TenantLimiter: Sendable {
    private struct State {
        var tokens: Double
        var lastRefill: Double
        var windowStart: Double
        var windowCalls: Int
    }

    enum Outcome { case ok, rateLimited, quotaExceeded(Int, Double) }

    private let states = Mutex<[String: State]>([:])

    /// Takes one call from the tenant's budget, or says which limit refused it.
    func admit(_ tenant: TenantPolicy, now: Double) -> Outcome {
        states.withLock { table in
            var s = table[tenant.name] ?? State(tokens: tenant.burst, lastRefill: now, windowStart: now, windowCalls: 0)
            defer { table[tenant.name] = s }
            if let rate = tenant.ratePerSecond {
                s.tokens = min(tenant.burst, s.tokens + max(0, now - s.lastRefill) * rate)
                s.lastRefill = now
                if s.tokens < 1 { return .rateLimited }
            }
            if let quota = tenant.quotaCalls {
                if now - s.windowStart >= tenant.quotaWindowSeconds {
                    s.windowStart = now
                    s.windowCalls = 0
                }
                if s.windowCalls >= quota { return .quotaExceeded(quota, tenant.quotaWindowSeconds) }
                s.windowCalls += 1
            }
            if tenant.ratePerSecond != nil { s.tokens -= 1 }
            return .ok
        }
    }
}
