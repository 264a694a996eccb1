import PramagentRules
import Synchronization

/// What a text being scanned is.
public enum ScanDirection: String, Sendable, CaseIterable {
    case input
    case output
    case toolResult = "tool_result"
}

/// Severity thresholds: findings at or above `block` block, at or above `escalate` escalate.
public struct ScanThresholds: Sendable {
    public var block: Severity?
    public var escalate: Severity?

    public init(block: Severity?, escalate: Severity?) {
        self.block = block
        self.escalate = escalate
    }

    public func verdict(for findings: [Finding]) -> PolicyVerdict {
        guard let worst = findings.map(\.severity).max() else { return .allow }
        if let block, worst >= block { return .block }
        if let escalate, worst >= escalate { return .escalate }
        return .allow
    }
}

/// The compiled `scanning` section of a bundle: rule engines by scope and the thresholds.
public final class ScanningPolicy: Sendable {
    /// Corpora switched on, by name.
    public let corpora: [String]
    /// Rules for prompts, outputs and tool results.
    public let text: RuleEngine
    /// Rules for string arguments of every tool call (injection).
    public let arguments: RuleEngine
    /// Rules for string arguments of tools at or above `leakSideEffect` (secrets, PII).
    public let leak: RuleEngine
    public let thresholds: [ScanDirection: ScanThresholds]
    public let argumentThresholds: ScanThresholds
    public let leakThresholds: ScanThresholds
    public let leakSideEffect: SideEffect
    /// Finding categories in a tool result that taint the session (see the `tainted` chain step).
    public let taintCategories: Set<String>
    /// Largest text accepted by ScanText / ReportToolResult.
    public let maxTextBytes: Int
    /// Every rule with where it was written (for `policy check` and tests).
    public let locations: [String: SourceLocation]

    public init(corpora: [String], text: RuleEngine, arguments: RuleEngine, leak: RuleEngine,
                thresholds: [ScanDirection: ScanThresholds], argumentThresholds: ScanThresholds, leakThresholds: ScanThresholds,
                leakSideEffect: SideEffect, taintCategories: Set<String>, maxTextBytes: Int, locations: [String: SourceLocation]) {
        self.corpora = corpora
        self.text = text
        self.arguments = arguments
        self.leak = leak
        self.thresholds = thresholds
        self.argumentThresholds = argumentThresholds
        self.leakThresholds = leakThresholds
        self.leakSideEffect = leakSideEffect
        self.taintCategories = taintCategories
        self.maxTextBytes = maxTextBytes
        self.locations = locations
    }

    public static let defaultThresholds: [ScanDirection: ScanThresholds] = [
        .input: ScanThresholds(block: .high, escalate: .medium),
        .output: ScanThresholds(block: .critical, escalate: .high),
        .toolResult: ScanThresholds(block: .high, escalate: .medium),
    ]
}

/// The corpora compiled into the binary (from `policies/rules/`, see `scripts/embed-rules`),
/// parsed once per process.
public enum BuiltinRuleCorpora {
    /// A built-in corpus with the file it was read from and that file's text.
    public struct Source: Sendable {
        public var corpus: RuleCorpus
        public var file: String
        public var text: String
    }

    private static let parsed = Mutex<[String: Source]?>(nil)

    /// The shared lexicon file (`policies/rules/lexicons.yaml`) as (path, text), if built in.
    public static var sharedLexicons: (file: String, text: String)? {
        BuiltinCorpusFiles.files.first { $0.0 == RuleCorpusLoader.sharedLexiconsFile }.map { ("<builtin>/rules/" + $0.0, $0.1) }
    }

    /// Every built-in corpus by name, with its source. A broken embedded corpus is a build
    /// defect: it traps.
    public static var sources: [String: Source] {
        parsed.withLock { cache in
            if let cache { return cache }
            var shared: [String: [String]] = [:]
            if let (file, text) = sharedLexicons {
                do { shared = try RuleCorpusLoader.loadLexicons(file: file, text: text) } catch {
                    fatalError("built-in lexicon file \(file) is invalid: \(error)")
                }
            }
            var table: [String: Source] = [:]
            for (file, text) in BuiltinCorpusFiles.files where file != RuleCorpusLoader.sharedLexiconsFile {
                let path = "<builtin>/rules/" + file
                do {
                    let corpus = try RuleCorpusLoader.load(file: path, text: text, sharedLexicons: shared)
                    table[corpus.name] = Source(corpus: corpus, file: path, text: text)
                } catch {
                    fatalError("built-in rule corpus \(file) is invalid: \(error)")
                }
            }
            cache = table
            return table
        }
    }

    /// Every built-in corpus by name.
    public static var all: [String: RuleCorpus] { sources.mapValues(\.corpus) }

    public static var names: [String] { all.keys.sorted() }
}

extension ScanningPolicy {
    /// Every rule's `match` examples that it does not flag and `no_match` examples that it does,
    /// each run through the engine that holds the rule (`pramagentctl policy check` reports them).
    public func exampleFailures() -> [PolicyIssue] {
        var issues: [PolicyIssue] = []
        var seen = Set<String>()
        for engine in [text, arguments, leak] {
            for rule in engine.rules where seen.insert(rule.id).inserted {
                for example in rule.positives where !engine.scan(example).findings.contains(where: { $0.ruleID == rule.id }) {
                    issues.append(PolicyIssue(code: "policy_rule_example", message: "rule \(rule.id) does not match its example \(example.debugDescription)",
                                              location: locations[rule.id]))
                }
                for example in rule.negatives where engine.scan(example).findings.contains(where: { $0.ruleID == rule.id }) {
                    issues.append(PolicyIssue(code: "policy_rule_example", message: "rule \(rule.id) matches its no_match example \(example.debugDescription)",
                                              location: locations[rule.id]))
                }
            }
        }
        return issues
    }
}
