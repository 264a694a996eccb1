import PramagentCrypto
import PramagentRules
import Yams

extension BundleBuilder {
    /// Compiles the `scanning` section:
    ///
    /// ```yaml
    /// scanning:
    ///   corpora: [all]             # or built-in corpus names
    ///   rules: [...]               # custom rules (a rule mapping plus `scopes`)
    ///   input: {block: high, escalate: medium}
    ///   output: {block: critical, escalate: high}
    ///   tool_result: {block: high, escalate: medium}
    ///   arguments: {block: high, escalate: medium}
    ///   data_leak: {block: high, escalate: medium, min_side_effect: external_message}
    ///   taint: [prompt_injection, indirect_injection]
    ///   max_text_bytes: 1048576
    /// ```
    func compileScanning() -> ScanningPolicy? {
        guard let node = scanningNode else { return nil }
        var result: ScanningPolicy?
        record { () throws(PolicyIssue) in
            let m = try node.mapping(allowed: ["corpora", "rules", "input", "output", "tool_result", "arguments", "data_leak", "taint", "max_text_bytes"],
                                     context: "scanning")
            let available = BuiltinRuleCorpora.sources
            var names = try m["corpora"]?.stringList() ?? ["all"]
            if names.contains("all") { names = available.keys.sorted() }
            // The shared lexicons are part of every built-in corpus's rules.
            if !names.isEmpty, let shared = BuiltinRuleCorpora.sharedLexicons { digest(shared.file, Array(shared.text.utf8)) }
            var byScope: [RuleScope: [Rule]] = [:]
            var detectors: [RuleScope: Set<PIIKind>] = [:]
            var locations: [String: SourceLocation] = [:]
            for name in names {
                guard let source = available[name] else {
                    // Reported, and the rest of the section is still checked (every problem at once).
                    issues.append(m["corpora"]!.issue("policy_unknown_corpus", "unknown corpus \"\(name)\"; built in: \(available.keys.sorted().joined(separator: ", ")), or all"))
                    continue
                }
                // The corpus decides verdicts as much as the bundle's own files: a binary with other
                // built-in rules loads the same directory as another policy version.
                digest(source.file, Array(source.text.utf8))
                let corpus = source.corpus
                for scope in corpus.scopes {
                    byScope[scope, default: []] += corpus.rules
                    detectors[scope, default: []].formUnion(corpus.detectors)
                }
                locations.merge(corpus.locations) { a, _ in a }
            }
            for item in try m["rules"]?.list() ?? [] {
                record { () throws(PolicyIssue) in
                    let im = try item.mapping()
                    var scopes: [RuleScope] = [.text]
                    var stripped = item
                    if let s = im.first(where: { $0.0 == "scopes" })?.1 {
                        scopes = []
                        for n in try s.list() {
                            guard let scope = RuleScope(rawValue: try n.string()) else {
                                throw n.issue("policy_invalid", "unknown scope; expected text, arguments or leak")
                            }
                            scopes.append(scope)
                        }
                        if case .mapping(var mapping) = item.node {
                            mapping = Yams.Node.Mapping(mapping.filter { $0.key.string != "scopes" }, mapping.tag, mapping.style, mapping.mark)
                            stripped = YAMLNode(node: .mapping(mapping), file: item.file)
                        }
                    }
                    let rule = try RuleCorpusLoader.parseRule(stripped, category: "custom", view: .prose)
                    if let previous = locations[rule.id] {
                        throw item.issue("policy_duplicate", "rule \(rule.id) is already defined at \(previous)")
                    }
                    locations[rule.id] = item.location
                    for scope in scopes { byScope[scope, default: []].append(rule) }
                }
            }
            func thresholds(_ key: String, _ fallback: ScanThresholds) throws(PolicyIssue) -> ScanThresholds {
                guard let t = m[key] else { return fallback }
                let tm = try t.mapping(allowed: key == "data_leak" ? ["block", "escalate", "min_side_effect"] : ["block", "escalate"], context: "scanning.\(key)")
                func severity(_ n: YAMLNode?) throws(PolicyIssue) -> Severity? {
                    guard let n else { return nil }
                    let text = try n.string()
                    if text == "never" { return nil }
                    guard let s = Severity(rawValue: text) else {
                        throw n.issue("policy_invalid", "unknown severity; expected info, low, medium, high, critical or never")
                    }
                    return s
                }
                return ScanThresholds(block: try severity(tm["block"]), escalate: try severity(tm["escalate"]))
            }
            var directionThresholds: [ScanDirection: ScanThresholds] = [:]
            for direction in ScanDirection.allCases {
                directionThresholds[direction] = try thresholds(direction.rawValue, ScanningPolicy.defaultThresholds[direction]!)
            }
            let argumentThresholds = try thresholds("arguments", ScanThresholds(block: .high, escalate: .medium))
            let leakThresholds = try thresholds("data_leak", ScanThresholds(block: .high, escalate: .medium))
            var leakSideEffect = SideEffect.externalMessage
            if let d = m["data_leak"], let se = try d.mapping().first(where: { $0.0 == "min_side_effect" })?.1 { leakSideEffect = try sideEffect(se) }
            let taint = Set(try m["taint"]?.stringList() ?? ["prompt_injection", "indirect_injection", "jailbreak"])
            let maxText = try m["max_text_bytes"]?.int(min: 1) ?? (1 << 20)
            func engine(_ scope: RuleScope) throws(PolicyIssue) -> RuleEngine {
                let rules = byScope[scope] ?? []
                let pii = detectors[scope] ?? []
                var key = scope.rawValue + "\u{0}" + pii.map(\.rawValue).sorted().joined(separator: ",")
                for r in rules { key += "\u{0}\(r.id)\u{1}\(r.view.rawValue)\u{1}\(r.severity.rawValue)\u{1}\(r.category)\u{1}\(r.placeholder ?? "")\u{1}" + r.patterns.joined(separator: "\u{2}") + "\u{1}" + (r.concept?.cacheKey ?? "")
                    + "\u{1}" + r.fromEnd.sorted().map(String.init).joined(separator: ",") + "\u{1}" + r.notAfter.joined(separator: "\u{2}") }
                let compile = { () throws(RuleCompileError) -> RuleEngine in try RuleEngine(rules: rules, pii: pii) }
                do {
                    if let cache { return try cache.ruleEngine(for: SHA256.hash(key).hexString, compile: compile) }
                    return try compile()
                } catch {
                    let location = locations[error.ruleID]
                    throw PolicyIssue(code: "policy_rule", message: "rule \(error.ruleID): pattern \(error.patternIndex + 1) does not compile: \(error.message)",
                                      location: location ?? node.location)
                }
            }
            result = ScanningPolicy(corpora: names, text: try engine(.text), arguments: try engine(.arguments), leak: try engine(.leak),
                                    thresholds: directionThresholds, argumentThresholds: argumentThresholds, leakThresholds: leakThresholds,
                                    leakSideEffect: leakSideEffect, taintCategories: taint, maxTextBytes: maxText, locations: locations)
        }
        return result
    }
}
