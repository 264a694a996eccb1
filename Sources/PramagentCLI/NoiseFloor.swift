/// What the machine alone does to a latency distribution: a fixed computation (no memory
/// traffic, no allocation, no system calls) that takes about as long as the work being
/// measured, timed the same way. Its p99 is the floor any p99 measured here sits on: on a
/// shared VM, preemption and interrupts stretch the slowest percent of even a pure loop.
enum NoiseFloor {
    /// One unit of work: `rounds` steps of a 64-bit linear congruential generator, each
    /// depending on the last (no vectorising, no hoisting out of the timing loop).
    @inline(never)
    static func spin(_ rounds: Int, seed: UInt64) -> UInt64 {
        var x = seed
        for _ in 0..<rounds { x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
        return x
    }

    /// Samples (nanoseconds) of `runs` spins calibrated to last about `targetNanos` each.
    static func samples(targetNanos: UInt64, runs: Int, clock: () -> UInt64) -> [UInt64] {
        // Calibrate on the best of a few timings (the least disturbed).
        let probe = 100_000
        var best = UInt64.max
        var sink: UInt64 = 1
        for _ in 0..<5 {
            let a = clock()
            sink = spin(probe, seed: sink)
            best = min(best, max(1, clock() - a))
        }
        let rounds = max(1, Int(Double(probe) * Double(targetNanos) / Double(best)))
        var out: [UInt64] = []
        out.reserveCapacity(runs)
        for _ in 0..<runs {
            let a = clock()
            sink = spin(rounds, seed: sink)
            out.append(clock() - a)
        }
        if sink == 0 { print("") } // keeps the result alive
        return out
    }
}
