import Foundation
import PramagentPolicy
import Testing
@testable import PramagentRules

/// The word-lookup term index finds exactly what a literal database of the terms' patterns
/// finds, on the built-in concept rules' terms.
@Suite struct TermIndexTests {
    /// The view the index and the concept evaluator read in a scan (`RuleEngine.conceptMatches`).
    static func padded(_ text: String) -> [UInt8] { TermIndex.padded(FastViews.proseSkeleton(Array(text.utf8))) }

    static func reference(_ terms: [ConceptTerm]) throws -> (VectorscanDatabase, ScratchPool) {
        let patterns = terms.map(\.pattern)
        let db = try VectorscanDatabase(patterns: patterns, flags: patterns.map { _ in UInt32(0) })
        return (db, try ScratchPool(databases: [db]))
    }

    static func sorted(_ hits: [(term: Int, end: Int)]) -> [[Int]] {
        hits.map { [$0.term, $0.end] }.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
    }

    @Test func findsWhatTheLiteralDatabaseFindsOnBuiltinTerms() throws {
        let rules = BuiltinRuleCorpora.all.values.flatMap(\.rules)
        let evaluator = try ConceptEvaluator(rules: rules)
        let terms = evaluator.terms
        #expect(terms.count > 3_000)
        #expect(terms.contains { $0.stem && $0.words == 1 } && terms.contains { $0.stem && $0.words == 2 }
                && terms.contains { $0.stem && $0.words > 2 } && terms.contains { !$0.stem && $0.words > 2 })
        let index = TermIndex(terms)
        let (db, pool) = try Self.reference(terms)
        var texts = try FromEndTests.lines("redteam/attacks.jsonl") + FromEndTests.lines("redteam/benign.jsonl")
        texts += rules.flatMap { $0.positives + $0.negatives }
        // Texts made of the terms themselves: every term alone, glued to the next one, with a
        // letter added or removed at its end, and separated by characters that read as spaces.
        var rng = SystemRandomNumberGenerator()
        let literals = terms.map { String(decoding: $0.literal, as: UTF8.self) }
        for (k, literal) in literals.enumerated() {
            let next = literals[(k * 31 + 7) % literals.count]
            texts.append(literal)
            texts.append("x " + literal + " " + next + "s " + String(literal.dropLast()))
            texts.append(literal + "ing " + literal.replacingOccurrences(of: " ", with: " 😀 ") + "😀" + next)
            texts.append((0..<8).map { _ in literals[Int.random(in: 0..<literals.count, using: &rng)] }.joined(separator: " "))
        }
        var total = 0
        var differing = 0
        pool.withScratch { s in
            for text in texts {
                let view = Self.padded(text)
                let collector = MatchCollector(limit: 1_000_000)
                db.scan(view, scratch: s, into: collector)
                var truncated = false
                let found = index.hits(in: view, limit: 1_000_000, truncated: &truncated)
                #expect(!truncated)
                let expected = Self.sorted(collector.hits.map { (Int($0.id), $0.to) })
                total += expected.count
                if Self.sorted(found) != expected {
                    differing += 1
                    if differing <= 5 { Issue.record("hits differ for \(text.debugDescription)") }
                }
            }
        }
        #expect(differing == 0, "\(differing) of \(texts.count) texts")
        #expect(total > texts.count, "the texts hold many term occurrences")
    }
}
