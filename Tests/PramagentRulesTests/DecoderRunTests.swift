import Testing
@testable import PramagentRules

/// The one-pass search for base64 candidates must pick exactly the runs that the definition
/// (maximal runs of base64 bytes, long enough, `looksEncoded`) picks.
@Suite struct DecoderRunTests {
    @Test func base64CandidatesAreTheRunsThatLookEncoded() {
        let pieces = ["aGVsbG8", "SGVsbG8gd29ybGQ=", "word", " ", "-", "_", "+", "/", "=", "12", "9", "Ab", "aB", "ZZ",
                      "installation", "README", "v2", "é", ".", "x", "0a", "Q0", "\n"]
        var rng = GateTests.Rng(state: 5)
        var seen = 0
        for round in 0..<5_000 {
            let text = rng.text(of: pieces, fewerThan: 24)
            let bytes = Array(text.utf8)
            var expected: [Range<Int>] = []
            Decoders.scanRuns(bytes, of: Decoders.base64Run) { run in
                if run.count >= Decoders.minBase64, Decoders.looksEncoded(bytes[run]) { expected.append(run) }
            }
            seen += expected.count
            #expect(Decoders.base64Candidates(bytes) == expected, "round \(round): \(text.debugDescription)")
        }
        #expect(seen > 2_000)
    }

    /// Found from the base64 gate's match ends, the candidates are exactly the runs of the
    /// whole-text search that hold such an end (the engine decodes only those).
    @Test func base64CandidatesAroundGateMatchesAreTheRunsHoldingOne() throws {
        let pieces = ["aGVsbG8", "SGVsbG8gd29ybGQ=", "word", " ", "-", "_", "+", "/", "=", "12", "9", "Ab", "aB", "ZZ",
                      "installation", "README", "v2", "é", ".", "x", "0a", "Q0", "\n", "configFile", "/usr/share"]
        let pool = try ScratchPool(databases: Gates.databases)
        var rng = GateTests.Rng(state: 11)
        var kept = 0, skipped = 0
        for round in 0..<5_000 {
            let bytes = Array(rng.text(of: pieces, fewerThan: 24).utf8)
            guard let ends = pool.withScratch({ Gates.scan(bytes, scratch: $0) }).base64Ends else {
                Issue.record("round \(round): too many gate matches"); continue
            }
            let all = Decoders.base64Candidates(bytes)
            let expected = all.filter { run in ends.contains { run.contains($0 - 1) } }
            kept += expected.count
            skipped += all.count - expected.count
            #expect(Decoders.base64Candidates(bytes, around: ends) == expected, "round \(round): \(bytes)")
        }
        // Both kinds occur: runs with a gate match, and encoded-looking runs without one.
        #expect(kept > 2_000)
        #expect(skipped > 20)
    }
}
