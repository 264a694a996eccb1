import CVectorscan
import Testing
@testable import PramagentRules

@Suite struct PatternReversalTests {
    @Test func reversesSequencesInsideGroupsAndAlternatives() throws {
        #expect(try PatternReversal.reversed("abc") == "cba")
        #expect(try PatternReversal.reversed("(ab|cd)e") == "e(ba|dc)")
        #expect(try PatternReversal.reversed("\\b(?:you( \\w+){0,3} must)") == "(?:tsum (\\w+ ){0,3}uoy)\\b")
        #expect(try PatternReversal.reversed("[^a-z]x+?\\d{2,}y") == "y\\d{2,}x+?[^a-z]")
        #expect(try PatternReversal.reversed("a{b") == "b\\{a") // a brace that is not a quantifier stays a literal
        #expect(try PatternReversal.reversed("[]a]b[[:alpha:]]") == "[[:alpha:]]b[]a]")
        #expect(try PatternReversal.reversed("\\x41\\x{42}c") == "c\\x{42}\\x41")
    }

    @Test func refusesWhatCannotBeReversedHere() {
        let deep = String(repeating: "(", count: 100_000) + "a" + String(repeating: ")", count: 100_000)
        for pattern in ["^abc", "abc$", "(?i)abc", "a(?=b)", "(a)\\1", "\\Aabc", "a(b", "a)b", "[ab", "*a", deep] {
            #expect(throws: PatternReversal.Unsupported.self, "\(pattern)") { try PatternReversal.reversed(pattern) }
        }
    }

    /// The reversed pattern finds a match in the reversed text exactly when the pattern finds one
    /// in the text, and the match starts are the mirrored match ends.
    @Test func reversedPatternMatchesReversedText() throws {
        let patterns = ["\\b(?:ignore( \\w+){0,3} rules)", "(ab|a)(c|bc)d?", "\\bx[yz]{1,3}\\b", "(?:no|not) (\\w+ )?limits?"]
        var rng = GateTests.Rng(state: 3)
        let pieces = ["ignore", "all", "rules", "ab", "c", "bc", "d", "x", "y", "z", "no", "not", "limits", "limit"]
        var matched = 0
        for pattern in patterns {
            let flags = UInt32(HS_FLAG_DOTALL | HS_FLAG_CASELESS)
            let forward = try VectorscanDatabase(patterns: [pattern], flags: [flags])
            let backward = try VectorscanDatabase(patterns: [try PatternReversal.reversed(pattern)], flags: [flags])
            let pool = try ScratchPool(databases: [forward, backward])
            for _ in 0..<1_500 {
                var text: [UInt8] = []
                for _ in 0..<rng.int(12) {
                    text += Array(pieces[rng.int(pieces.count)].utf8)
                    if rng.int(2) == 0 { text.append(0x20) }
                }
                let ends = pool.withScratch { s -> Set<Int> in
                    let c = MatchCollector(limit: 10_000)
                    forward.scan(text, scratch: s, into: c)
                    return Set(c.hits.map(\.to))
                }
                let starts = pool.withScratch { s -> Set<Int> in
                    let c = MatchCollector(limit: 10_000)
                    backward.scan(Array(text.reversed()), scratch: s, into: c)
                    return Set(c.hits.map { text.count - $0.to })
                }
                #expect(ends.isEmpty == starts.isEmpty, "\(pattern) on \(String(decoding: text, as: UTF8.self))")
                // Every match start found backward is the start of a forward match: the pattern
                // matches the text from there to one of the forward ends.
                for start in starts {
                    let found = pool.withScratch { s -> Bool in
                        let c = MatchCollector(limit: 10_000)
                        forward.scan(Array(text[start...]), scratch: s, into: c)
                        return c.hits.contains { ends.contains($0.to + start) }
                    }
                    #expect(found, "\(pattern): no forward match from \(start)")
                }
                if !ends.isEmpty { matched += 1 }
            }
        }
        #expect(matched > 100)
    }
}
