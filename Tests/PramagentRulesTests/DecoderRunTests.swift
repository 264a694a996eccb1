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
}
