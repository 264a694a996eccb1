import Testing
@testable import PramagentRules

@Suite struct TermIndexUnitTests {
    static func terms(_ texts: [String]) throws -> [ConceptTerm] { try texts.map { try ConceptTerm.compile($0) } }

    static func hits(_ index: TermIndex, _ view: String, limit: Int = 1_000) -> (hits: [[Int]], truncated: Bool) {
        var truncated = false
        // Views are prose skeletons, as terms are (`l` reads `i`).
        let found = index.hits(in: FastViews.skeleton(Array(view.utf8)), limit: limit, truncated: &truncated)
        return (found.map { [$0.term, $0.end] }.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }, truncated)
    }

    @Test func wordsStemsPairsAndLongerTerms() throws {
        let index = TermIndex(try Self.terms(["rules", "instruct*", "you were", "you instruct*", "your hidden rules", "you were give*"]))
        // Ends as the literal database reports them: after the trailing space, or after a stem's literal.
        #expect(Self.hits(index, " rules ").hits == [[0, 7]])
        #expect(Self.hits(index, " the rules apply ").hits == [[0, 11]])
        #expect(Self.hits(index, " rulesets ").hits == [], "a whole word only")
        #expect(Self.hits(index, " instructions ").hits == [[1, 9]])
        #expect(Self.hits(index, " instruct ").hits == [[1, 9]], "a stem matches the word it is")
        #expect(Self.hits(index, " reinstruct ").hits == [], "a stem begins the word")
        #expect(Self.hits(index, " you were given ").hits == [[2, 10], [5, 14]])
        #expect(Self.hits(index, " you instructed ").hits == [[1, 13], [3, 13]])
        #expect(Self.hits(index, " you  were ").hits == [], "one space between the words of a term")
        #expect(Self.hits(index, " your hidden rules ").hits == [[0, 19], [4, 19]])
        #expect(Self.hits(index, " your hidden rulesets ").hits == [])
        #expect(Self.hits(index, " you were you were ").hits == [[2, 10], [2, 19]])
    }

    @Test func stemsShorterThanTheGate() throws {
        // Stems of one or two bytes are not gated by a word's first three bytes.
        let index = TermIndex(try Self.terms(["go*", "x*", "we go*", "instruct*"]))
        #expect(Self.hits(index, " going ").hits == [[0, 3]])
        #expect(Self.hits(index, " x xylophone ").hits == [[1, 2], [1, 4]])
        #expect(Self.hits(index, " we gone ").hits == [[0, 6], [2, 6]])
        #expect(Self.hits(index, " ago instructing ").hits == [[3, 13]])
    }

    @Test func limitTruncates() throws {
        let index = TermIndex(try Self.terms(["go"]))
        let view = " " + Array(repeating: "go", count: 10).joined(separator: " ") + " "
        #expect(Self.hits(index, view).hits.count == 10)
        let cut = Self.hits(index, view, limit: 4)
        #expect(cut.hits.count == 4 && cut.truncated)
    }

    @Test func termsOutsideASCIINeverOccur() throws {
        // The padded view reads every byte outside ASCII as a space, as the literal database saw it.
        let index = TermIndex(try Self.terms(["привет", "ok"]))
        #expect(Self.hits(index, " ok ").hits == [[1, 4]])
        #expect(index.tableBytes > 0)
    }
}
