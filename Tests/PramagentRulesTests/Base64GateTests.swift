import Testing
@testable import PramagentRules

/// The base64 gate's byte loop and the raw pass that carries the other gates must open exactly
/// what the gate databases (`Gates.scan`, the definition) open, with the same base64 ends.
@Suite struct Base64GateTests {
    static let pieces = ["aGVsbG8", "SGVsbG8gd29ybGQ=", "word", " ", "-", "_", "+", "/", "=", "12", "9", "Ab", "aB", "ZZ",
                         "installation", "README", "v2", "é", "指", ".", "x", "0a", "3rd", "Q0", "\n", "configFile",
                         "/usr/share", "4111 1111 1111 1111", "jo@example.org", "born", "%41", "DE89370400440532013000"]

    @Test func loopFindsTheEndsOfTheGatePattern() throws {
        let pool = try ScratchPool(databases: Gates.databases)
        var rng = GateTests.Rng(state: 23)
        var ends = 0
        for round in 0..<6_000 {
            // Offsets in front shift the text across the loop's eight-byte words.
            let text = String(repeating: " ", count: round % 9) + rng.text(of: Self.pieces, fewerThan: 24)
            let bytes = Array(text.utf8)
            let expected = try #require(pool.withScratch { Gates.scan(bytes, scratch: $0) }.base64Ends)
            #expect(Base64Gate.ends(bytes, limit: Gates.maxEnds) == expected, "round \(round): \(text.debugDescription)")
            ends += expected.count
        }
        #expect(ends > 10_000)
    }

    /// More matches than the limit: nil (the decoder then reads the whole text), as the gate
    /// database's collector says; exactly the limit is still a list.
    @Test func tooManyMatchesIsNil() throws {
        let pool = try ScratchPool(databases: Gates.databases)
        let run = Array(String(repeating: "aB3", count: 40).utf8)
        let count = try #require(pool.withScratch { Gates.scan(run, scratch: $0) }.base64Ends).count
        #expect(count > 100)
        #expect(Base64Gate.ends(run, limit: count)?.count == count)
        #expect(Base64Gate.ends(run, limit: count - 1) == nil)
        let long = Array(String(repeating: "aB3", count: Gates.maxEnds).utf8)
        #expect(pool.withScratch { Gates.scan(long, scratch: $0) }.base64Ends == nil)
        #expect(Base64Gate.ends(long, limit: Gates.maxEnds) == nil)
        #expect(Base64Gate.ends([], limit: 1) == [])
    }

    /// An engine with raw rules reads the other gates in its raw pass; one without reads them
    /// there too (the gates alone): both open what the gate databases open.
    @Test func enginesOpenWhatTheGateDatabasesOpen() throws {
        let rawRule = Rule(id: "t.raw", category: "secrets", severity: .high, patterns: [#"sk-[A-Za-z0-9]{20}"#], view: .raw,
                           description: "key", references: [], positives: [], negatives: [])
        let engines = [try RuleEngine(rules: [rawRule], pii: Set(PIIKind.allCases)), try RuleEngine(rules: [], pii: [.email])]
        let pool = try ScratchPool(databases: Gates.databases)
        var rng = GateTests.Rng(state: 31)
        var opened = Gates()
        for round in 0..<3_000 {
            let bytes = Array(rng.text(of: Self.pieces + ["rot13", "medical record", "member id", "::1", "10.0.0.1", "sk-", "078-05-1120"], fewerThan: 16).utf8)
            let expected = pool.withScratch { Gates.scan(bytes, scratch: $0) }
            for engine in engines {
                let found = engine.gates(of: bytes)
                #expect(found.gates == expected.gates, "round \(round): \(bytes)")
                #expect(found.base64Ends == expected.base64Ends)
            }
            opened.formUnion(expected.gates)
        }
        #expect(opened == .all) // every gate was exercised
    }
}
