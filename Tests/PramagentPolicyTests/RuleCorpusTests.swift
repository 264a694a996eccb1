import Foundation
import PramagentRules
import Testing
@testable import PramagentPolicy

@Suite struct RuleCorpusTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func embeddedCorporaMatchTheFiles() throws {
        let dir = RuleCorpusTests.repoRoot.appendingPathComponent("policies/rules")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names == BuiltinCorpusFiles.files.map(\.0), "run scripts/embed-rules")
        for (name, text) in BuiltinCorpusFiles.files {
            let onDisk = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            #expect(onDisk == text, "\(name) differs from the embedded copy: run scripts/embed-rules")
        }
    }

    @Test func corporaHaveEnoughRulesEachWithExamples() {
        let corpora = BuiltinRuleCorpora.all
        let rules = corpora.values.flatMap(\.rules)
        #expect(rules.count >= 150)
        #expect(Set(rules.map(\.id)).count == rules.count, "rule ids are unique across corpora")
        for rule in rules {
            #expect(!rule.positives.isEmpty && !rule.negatives.isEmpty, "\(rule.id) needs match and no_match examples")
        }
        for name in ["jailbreak", "prompt_injection", "indirect_injection", "owasp_llm", "fictional_wrapper", "authority_framing",
                     "phi", "financial_pii", "secrets", "sql_injection", "shell_injection", "path_traversal", "ssrf", "template_injection"] {
            #expect(corpora[name] != nil, "corpus \(name) is shipped")
        }
    }

    /// Every rule flags its positive examples and none of its negative ones.
    @Test(arguments: BuiltinRuleCorpora.names)
    func everyRuleMatchesItsExamples(corpusName: String) throws {
        let corpus = try #require(BuiltinRuleCorpora.all[corpusName])
        let engine = try RuleEngine(rules: corpus.rules, pii: corpus.detectors)
        for rule in corpus.rules {
            for text in rule.positives {
                let ids = engine.scan(text).findings.map(\.ruleID)
                #expect(ids.contains(rule.id), "\(rule.id) should match: \(text)")
            }
            for text in rule.negatives {
                let ids = engine.scan(text).findings.map(\.ruleID)
                #expect(!ids.contains(rule.id), "\(rule.id) should not match: \(text)")
            }
        }
    }
}
