import PramagentRules
import Yams

/// Where a corpus's rules are applied.
public enum RuleScope: String, Sendable {
    /// Prompts, model outputs and tool results (`ScanText`, `ReportToolResult`).
    case text
    /// String arguments of tool calls (`CheckToolCall`): injection into SQL, shells, paths, URLs, templates.
    case arguments
    /// String arguments of tools that send data out (external_message and above): secrets and PII.
    case leak
}

/// A named set of rules: one YAML file in `policies/rules/` (built in) or a policy's own.
public struct RuleCorpus: Sendable {
    public var name: String
    public var description: String
    public var scopes: Set<RuleScope>
    public var rules: [Rule]
    public var detectors: Set<PIIKind>
    /// Where each rule was written, by rule id (for errors and `policy check`).
    public var locations: [String: SourceLocation]
}

/// Reads corpus files:
///
/// ```yaml
/// corpus: jailbreak
/// description: ...
/// scopes: [text]            # text, arguments, leak
/// view: prose               # default view of the rules below
/// detectors: [credit_card]  # validator-backed PII detectors this corpus switches on
/// rules:
///   - id: jailbreak.dan
///     severity: high
///     patterns: ["..."]
///     examples: {match: ["..."], no_match: ["..."]}
/// ```
public enum RuleCorpusLoader {
    /// The built-in file of lexicons that every built-in corpus may use by name (`reported`,
    /// `refusing`): one definition instead of a copy in each corpus file.
    public static let sharedLexiconsFile = "lexicons.yaml"

    /// Reads a file that holds only `lexicons:` (and an optional `description:`).
    public static func loadLexicons(file: String, text: String) throws(PolicyLoadError) -> [String: [String]] {
        let top = try document(file: file, text: text)
        do throws(PolicyIssue) {
            let m = try top.mapping(allowed: ["description", "lexicons"], context: "a lexicon file")
            guard let lexicons = m["lexicons"] else { throw top.issue("policy_missing_key", "a lexicon file needs `lexicons:`") }
            return try ConceptRuleParser.lexicons(lexicons)
        } catch { throw PolicyLoadError(issues: [error]) }
    }

    static func document(file: String, text: String) throws(PolicyLoadError) -> YAMLNode {
        let root: Node?
        do { root = try PolicyYAML.compose(text) } catch let error as YamlError {
            throw PolicyLoadError(issues: [PolicyBundleYAML.issue(for: error, file: file)])
        } catch {
            throw PolicyLoadError(issues: [PolicyIssue(code: "policy_yaml", message: "\(error)", location: SourceLocation(file: file, line: 0, column: 0))])
        }
        guard let root else {
            throw PolicyLoadError(issues: [PolicyIssue(code: "policy_empty", message: "empty file: a corpus or lexicon file needs content", location: SourceLocation(file: file, line: 0, column: 0))])
        }
        return YAMLNode(node: root, file: file)
    }

    /// Reads one corpus file; `sharedLexicons` are usable by name in its rules.
    public static func load(file: String, text: String, sharedLexicons: [String: [String]] = [:]) throws(PolicyLoadError) -> RuleCorpus {
        let top = try document(file: file, text: text)
        var issues: [PolicyIssue] = []
        var corpus = RuleCorpus(name: "", description: "", scopes: [.text], rules: [], detectors: [], locations: [:])
        do throws(PolicyIssue) {
            let m = try top.mapping(allowed: ["corpus", "description", "scopes", "view", "detectors", "lexicons", "rules"], context: "a rule corpus")
            guard let name = m["corpus"] else { throw top.issue("policy_missing_key", "a corpus file needs `corpus: NAME`") }
            corpus.name = try name.string()
            corpus.description = try m["description"]?.string() ?? ""
            if let s = m["scopes"] {
                corpus.scopes = []
                for item in try s.list() {
                    guard let scope = RuleScope(rawValue: try item.string()) else {
                        throw item.issue("policy_invalid", "unknown scope; expected text, arguments or leak")
                    }
                    corpus.scopes.insert(scope)
                }
            }
            let view = try m["view"].map { (n: YAMLNode) throws(PolicyIssue) in try ruleView(n) } ?? .prose
            if let d = m["detectors"] {
                for item in try d.list() {
                    guard let kind = PIIKind(rawValue: try item.string()) else {
                        throw item.issue("policy_invalid", "unknown detector; expected one of: \(PIIKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    corpus.detectors.insert(kind)
                }
            }
            let lexicons = try m["lexicons"].map { (n: YAMLNode) throws(PolicyIssue) in try ConceptRuleParser.lexicons(n, shared: sharedLexicons) }
                ?? sharedLexicons
            for item in try m["rules"]?.list() ?? [] {
                do throws(PolicyIssue) {
                    let rule = try parseRule(item, category: corpus.name, view: view, lexicons: lexicons)
                    if let previous = corpus.locations[rule.id] {
                        throw item.issue("policy_duplicate", "rule \(rule.id) is already defined at \(previous)")
                    }
                    corpus.locations[rule.id] = item.location
                    corpus.rules.append(rule)
                } catch { issues.append(error) }
            }
        } catch { issues.append(error) }
        if !issues.isEmpty { throw PolicyLoadError(issues: issues) }
        return corpus
    }

    static func ruleView(_ node: YAMLNode) throws(PolicyIssue) -> RuleView {
        guard let v = RuleView(rawValue: try node.string()) else { throw node.issue("policy_invalid", "unknown view; expected prose, plain, raw or native") }
        return v
    }

    /// The keys of a rule mapping (a policy's custom rules may also say `scopes`).
    static let ruleKeys: Set<String> = ["id", "category", "severity", "pattern", "patterns", "concepts", "view", "description", "references",
                                        "examples", "placeholder", "from_end", "not_after"]

    /// One rule mapping (also used for a policy's custom rules).
    static func parseRule(_ node: YAMLNode, category: String, view: RuleView, lexicons: [String: [String]] = [:]) throws(PolicyIssue) -> Rule {
        let m = try node.mapping(allowed: ruleKeys, context: "a rule")
        guard let idNode = m["id"] else { throw node.issue("policy_missing_key", "a rule needs an id") }
        let id = try idNode.string()
        guard let sevNode = m["severity"] else { throw node.issue("policy_missing_key", "rule \(id) needs a severity") }
        guard let severity = Severity(rawValue: try sevNode.string()) else {
            throw sevNode.issue("policy_invalid", "unknown severity; expected info, low, medium, high or critical")
        }
        var patterns: [String] = []
        // A pattern written `{from_end: '...'}` is matched from the end (a mark that moves with it).
        var markedFromEnd: [(index: Int, node: YAMLNode)] = []
        if let p = m["pattern"] { patterns.append(try p.string()) }
        if let p = m["patterns"] {
            for item in try p.list() {
                if case .mapping = item.node {
                    let entry = try item.mapping(allowed: ["from_end"], context: "a pattern of rule \(id) (a pattern, or {from_end: pattern})")
                    guard let text = entry["from_end"] else { throw item.issue("policy_missing_key", "a pattern mapping needs from_end: the pattern") }
                    markedFromEnd.append((patterns.count, item))
                    patterns.append(try text.string())
                } else {
                    patterns.append(try item.string())
                }
            }
        }
        let concept = try m["concepts"].map { (n: YAMLNode) throws(PolicyIssue) in try ConceptRuleParser.concept(n, ruleID: id, lexicons: lexicons) }
        if concept != nil {
            guard patterns.isEmpty else { throw node.issue("policy_invalid", "rule \(id) has both concepts and patterns; write two rules") }
            if let v = m["view"], try RuleCorpusLoader.ruleView(v) != .prose {
                throw v.issue("policy_invalid", "concept rules read the prose view")
            }
        } else {
            guard !patterns.isEmpty else { throw node.issue("policy_missing_key", "rule \(id) needs pattern, patterns or concepts") }
        }
        var positives: [String] = []
        var negatives: [String] = []
        if let e = m["examples"] {
            let em = try e.mapping(allowed: ["match", "no_match"], context: "rule \(id).examples")
            positives = try em["match"]?.stringList() ?? []
            negatives = try em["no_match"]?.stringList() ?? []
        }
        let category = try m["category"]?.string() ?? category
        let chosenView = concept != nil ? .prose : try m["view"].map { (n: YAMLNode) throws(PolicyIssue) in try RuleCorpusLoader.ruleView(n) } ?? view
        var rule = Rule(id: id, category: category, severity: severity, patterns: patterns, view: chosenView,
                        description: try m["description"]?.string() ?? "", references: try m["references"]?.stringList() ?? [],
                        positives: positives, negatives: negatives, placeholder: try m["placeholder"]?.string(), concept: concept)
        for marked in markedFromEnd {
            guard chosenView == .prose else { throw marked.node.issue("policy_invalid", "from_end applies to prose patterns only") }
            rule.fromEnd.insert(marked.index)
        }
        if let f = m["from_end"] {
            // Pattern numbers (from 1) matched from the end of the text: a speed hint, same matches.
            // The older form; `{from_end: pattern}` in the list cannot point at the wrong pattern.
            guard chosenView == .prose, concept == nil else { throw f.issue("policy_invalid", "from_end applies to prose patterns only") }
            guard markedFromEnd.isEmpty else {
                throw f.issue("policy_invalid", "rule \(id) marks patterns with {from_end: pattern}; drop the from_end list (one form per rule)")
            }
            for item in try f.list() {
                let n = try item.int(min: 1)
                guard n <= patterns.count else { throw item.issue("policy_invalid", "rule \(id) has \(patterns.count) pattern(s), not \(n)") }
                rule.fromEnd.insert(n - 1)
            }
        }
        if let n = m["not_after"] {
            // Advice and reported speech right before a match ("never let it", "asking the model to")
            // cancel it; `{name}` stands for every phrase of that lexicon, as in concept terms.
            guard chosenView == .prose, concept == nil else {
                throw n.issue("policy_invalid", "not_after applies to prose patterns only (concept rules have unless)")
            }
            rule.notAfter = try ConceptRuleParser.expand(try n.stringList(), lexicons: lexicons, at: n)
        }
        if rule.placeholder == nil && category == "secrets" { rule.placeholder = "[SECRET]" }
        return rule
    }
}
