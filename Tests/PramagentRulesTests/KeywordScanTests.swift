import Testing
@testable import PramagentRules

/// The keyword pass of the PII context detectors must find exactly the whole-word keyword ends
/// of the plain definition (every offset, the word before and after checked byte by byte).
@Suite struct KeywordScanTests {
    static func reference(_ keywords: [String], _ lower: [UInt8]) -> [Int] {
        var ends: [Int] = []
        for i in lower.indices where i == 0 || !PIIDetectors.isAlnum(lower[i - 1]) {
            for k in keywords.map({ Array($0.utf8) }) where lower[i...].starts(with: k) {
                let e = i + k.count
                if e == lower.count || !PIIDetectors.isAlnum(lower[e]) { ends.append(e) }
            }
        }
        return ends
    }

    @Test func keywordEndsAreTheWholeWordOccurrences() {
        let pieces = ["born", "born on", "reborn", "dob", "d.o.b", "date of birth", "member id", "membership", "mrn", "patient id",
                      "policy number", "x", " ", ":", "1985", "_", "-", "é", "group number", "medicare numbers", "b", "m"]
        var rng = GateTests.Rng(state: 13)
        var found = 0
        for round in 0..<3_000 {
            let text = rng.text(of: pieces, fewerThan: 16)
            let lower = Array(text.utf8)
            for (table, keywords) in [(PIIDetectors.birthTable, PIIDetectors.birthKeywords), (PIIDetectors.mrnTable, PIIDetectors.mrnKeywords),
                                      (PIIDetectors.planTable, PIIDetectors.planKeywords)] {
                let ends = PIIDetectors.keywordEnds(table, lower)
                found += ends.count
                #expect(ends.sorted() == KeywordScanTests.reference(keywords, lower).sorted(), "round \(round): \(text.debugDescription)")
            }
        }
        #expect(found > 1_000)
    }
}
