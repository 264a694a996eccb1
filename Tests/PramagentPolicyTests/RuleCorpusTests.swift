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

    /// Benign texts side by side stay benign: a concept rule that reads across a sentence break
    /// must not pair the end of one text with the start of the next (the benchmark's 16 KiB text
    /// once flagged "The chatbot on our website answers ... returns." + "Do not tell the customer ...").
    @Test func benignTextsSideBySideStayBenign() throws {
        let injection = ["prompt_injection", "jailbreak", "indirect_injection", "authority_framing", "fictional_wrapper", "owasp_llm"]
        let engine = try RuleEngine(rules: injection.flatMap { BuiltinRuleCorpora.all[$0]?.rules ?? [] })
        let benign = try FromEndTests.lines("redteam/benign.jsonl")
        #expect(benign.count >= 700)
        var chunks: [String] = []
        var current = ""
        for text in benign {
            current += text + " "
            if current.utf8.count > 3_000 { chunks.append(current); current = "" }
        }
        chunks.append(current)
        for chunk in chunks {
            let findings = engine.scan(chunk).findings
            let bytes = Array(chunk.utf8)
            for f in findings {
                Issue.record("\(f.ruleID) flags benign texts side by side: \(String(decoding: bytes[f.start..<f.end], as: UTF8.self))")
            }
        }
    }
}

@Suite struct CustomRuleTests {
    static let bundle = """
    version: 1
    tools:
      t: {side_effect: read, tenants: [x]}
    scanning:
      corpora: [secrets]
      rules:
        - id: acme.codename
          severity: high
          pattern: 'project (bluebird|nightjar)'
          examples: {match: ["the project bluebird launch", "project kestrel"], no_match: ["a bluebird sang"]}
        - id: acme.ticket
          severity: low
          view: raw
          scopes: [arguments]
          pattern: 'ACME-[0-9]{4}'
          examples: {match: ["see ACME-1234"], no_match: ["acme-1234"]}
    """

    @Test func customRulesLoadIntoTheirScopesAndTheirExamplesAreChecked() throws {
        let snapshot = try PolicyLoader().load(files: [("p.yaml", CustomRuleTests.bundle)])
        let scanning = try #require(snapshot.scanning)
        #expect(scanning.text.rules.contains { $0.id == "acme.codename" })
        #expect(scanning.arguments.rules.map(\.id) == ["acme.ticket"])
        #expect(scanning.text.scan("Project Bluebird is late").findings.map(\.ruleID) == ["acme.codename"])
        let failures = scanning.exampleFailures()
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("project kestrel") == true)
        #expect(failures.first?.location?.file == "p.yaml")
        #expect(failures.first?.location?.line == 7)
    }

    @Test func unknownCorporaAndBadSeveritiesPointAtTheText() {
        let bad = CustomRuleTests.bundle.replacingOccurrences(of: "corpora: [secrets]", with: "corpora: [secretz]")
            .replacingOccurrences(of: "severity: low", with: "severity: urgent")
        do {
            _ = try PolicyLoader().load(files: [("p.yaml", bad)])
            Issue.record("must be rejected")
        } catch {
            #expect(error.issues.contains { $0.code == "policy_unknown_corpus" && $0.location?.line == 5 })
            #expect(error.issues.contains { $0.code == "policy_invalid" && $0.message.contains("severity") })
        }
    }
}

/// Matching a pattern from the end (`from_end`) is a speed hint: the findings must be exactly
/// those of the same rules matched forward.
@Suite struct FromEndTests {
    static func lines(_ file: String) throws -> [String] {
        let text = try String(contentsOf: RuleCorpusTests.repoRoot.appendingPathComponent(file), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["text"] as? String
        }
    }

    static func rot13(_ s: String) -> String {
        String(s.unicodeScalars.map { c -> Character in
            switch c.value {
            case 0x61...0x7A: return Character(UnicodeScalar((c.value - 0x61 + 13) % 26 + 0x61)!)
            case 0x41...0x5A: return Character(UnicodeScalar((c.value - 0x41 + 13) % 26 + 0x41)!)
            default: return Character(c)
            }
        })
    }

    @Test func findingsAreThoseOfTheRulesMatchedForward() throws {
        let rules = BuiltinRuleCorpora.all.values.flatMap(\.rules).sorted { $0.id < $1.id }
        let hinted = rules.filter { !$0.fromEnd.isEmpty }
        #expect(hinted.count >= 20, "the bundled corpora match some patterns from the end")
        let forwardRules = rules.map { rule in var r = rule; r.fromEnd = []; return r }
        let withHints = try RuleEngine(rules: rules)
        let forward = try RuleEngine(rules: forwardRules)
        var texts = try FromEndTests.lines("redteam/attacks.jsonl") + FromEndTests.lines("redteam/benign.jsonl")
        texts += hinted.flatMap { $0.positives + $0.negatives }
        let base = texts
        for (k, text) in base.enumerated() {
            texts.append("rot13 of this: " + FromEndTests.rot13(text)) // the ROT13 view
            texts.append(text + " " + base[(k * 7 + 3) % base.count])  // two texts: several matches
            texts.append(text.uppercased())
        }
        var flagged = 0
        for text in texts {
            let a = withHints.scan(text).findings
            let b = forward.scan(text).findings
            if !b.isEmpty { flagged += 1 }
            #expect(a == b, "findings differ for \(text.debugDescription)")
        }
        #expect(flagged > texts.count / 3)
    }

    /// Loads a policy whose only scanning rule is `rule` (a YAML list item); the error, or nil.
    static func load(_ rule: String) -> String? {
        let bundle = """
        version: 1
        tools:
          t: {side_effect: read, tenants: [x]}
        scanning:
          rules:
        \(rule)
        """
        do { _ = try PolicyLoader().load(files: [("p.yaml", bundle)]); return nil } catch { return "\(error)" }
    }

    @Test func hintsAreChecked() throws {
        let load = FromEndTests.load
        #expect(load("    - {id: a, severity: high, patterns: ['ignore (all )?rules'], from_end: [1]}") == nil)
        #expect(load("    - {id: a, severity: high, patterns: ['ignore rules'], from_end: [2]}")?.contains("has 1 pattern(s), not 2") == true)
        #expect(load("    - {id: a, severity: high, view: raw, patterns: ['ignore rules'], from_end: [1]}")?.contains("prose patterns only") == true)
        #expect(load("    - {id: a, severity: high, patterns: ['ignore rules$'], from_end: [1]}")?.contains("cannot be matched from the end") == true)
    }

    /// `{from_end: pattern}` marks the pattern itself, so inserting a pattern before it cannot
    /// move the mark onto another (the numbered list did, silently, once).
    @Test func patternsMarkedInTheListStayMarkedWhenPatternsAreInserted() throws {
        func fromEnd(_ patterns: String) throws -> Set<Int> {
            let text = "corpus: c\nrules:\n  - id: a\n    severity: high\n    patterns:\n\(patterns)"
            return try #require(try RuleCorpusLoader.load(file: "c.yaml", text: text).rules.first).fromEnd
        }
        #expect(try fromEnd("      - 'first words'\n      - from_end: 'ignore (all )?rules'\n") == [1])
        #expect(try fromEnd("      - 'new words'\n      - 'first words'\n      - from_end: 'ignore (all )?rules'\n") == [2])
        #expect(try fromEnd("      - from_end: 'a b'\n      - 'c d'\n      - from_end: 'e f'\n") == [0, 2])
        let load = FromEndTests.load
        #expect(load("    - {id: a, severity: high, patterns: ['x y', {from_end: 'ignore (all )?rules'}]}") == nil)
        #expect(load("    - {id: a, severity: high, view: raw, patterns: [{from_end: 'ignore rules'}]}")?.contains("prose patterns only") == true)
        #expect(load("    - {id: a, severity: high, patterns: [{from_end: 'ignore rules$'}]}")?.contains("cannot be matched from the end") == true)
        #expect(load("    - {id: a, severity: high, patterns: [{form_end: 'ignore rules'}]}")?.contains("unknown key \"form_end\"") == true)
        #expect(load("    - {id: a, severity: high, patterns: [{from_end: 'a b'}, 'c d'], from_end: [2]}")?.contains("one form per rule") == true)
        // The bundled corpora use the marks, not numbers.
        for (name, text) in BuiltinCorpusFiles.files {
            #expect(!text.contains("\n    from_end: ["), "\(name) numbers its from_end patterns; mark them in the list")
        }
    }

    @Test func notAfterIsChecked() throws {
        let load = FromEndTests.load
        #expect(load("    - {id: a, severity: high, patterns: ['ignore rules'], not_after: [never let it]}") == nil)
        #expect(load("    - {id: a, severity: high, view: plain, patterns: ['rm -rf'], not_after: [never run]}")?.contains("prose patterns only") == true)
        #expect(load("    - {id: a, severity: high, patterns: ['ignore rules'], not_after: ['{advice}']}")?.contains("unknown lexicon {advice}") == true)
        #expect(load("    - {id: a, severity: high, patterns: ['ignore rules'], not_after: ['--']}")?.contains("not_after phrase") == true)
        // The bundled corpora expand their lexicon of reported speech into the rules that use it
        // (a rule may also list its own phrases: owasp.llm06_destructive_words, "never rm -rf").
        let rules = BuiltinRuleCorpora.all.values.flatMap(\.rules)
        let reported = rules.filter { $0.notAfter.contains("asking the model to") }
        #expect(reported.count >= 5)
        #expect(reported.allSatisfy { $0.notAfter.contains("never let it") && $0.notAfter.contains("tricks it into") })
        #expect(rules.first { $0.id == "owasp.llm06_destructive_words" }?.notAfter.contains("never") == true)
    }
}
