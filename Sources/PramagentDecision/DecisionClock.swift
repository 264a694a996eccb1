#if canImport(Glibc)
import Glibc
#endif

/// Time for rate limits (monotonic) and records (wall clock); injectable for tests.
public protocol DecisionClock: Sendable {
    /// Monotonic seconds (never goes back).
    func monotonicSeconds() -> Double
    /// Nanoseconds since the Unix epoch.
    func wallNanos() -> UInt64
}

public struct SystemClock: DecisionClock {
    public init() {}

    public func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public func wallNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
