/// How bad a finding is, in rising order.
public enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case info, low, medium, high, critical

    public var rank: Int { Severity.allCases.firstIndex(of: self)! }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// Which normalised form of a text a rule's patterns are matched against.
public enum RuleView: String, Sendable, CaseIterable {
    /// Words only: NFKC, case folding, zero-width/bidi removal, confusables, leetspeak, punctuation
    /// turned into single spaces, spaced-out letters joined ("i g n o r e" -> "ignore").
    /// A space in a pattern matches exactly one space; `l` reads as `i` (a skeleton, see `PatternDialect`).
    case prose
    /// NFKC, zero-width/bidi removal, confusables, whitespace runs collapsed; punctuation and ASCII
    /// case kept (patterns are matched caseless; other scripts are lower-cased). For attacks written
    /// in symbols (SQL, shell, paths, URLs, templates).
    case plain
    /// The original bytes, case-sensitive unless the pattern says `(?i)`. For secrets and identifiers.
    case raw
    /// The text in its own script, for rules written in scripts other than Latin (Cyrillic,
    /// Chinese, Japanese, Korean, Arabic, Devanagari, ...): NFKC, lower case, invisible characters,
    /// combining marks that do not compose, Arabic harakat and tatweel removed, whitespace runs
    /// as one space, typographic quotes and dashes as ASCII, Latin look-alikes inside Cyrillic
    /// words as Cyrillic; no confusable or leetspeak folding (which read Cyrillic as Latin). Patterns
    /// are UTF-8 (`.` and classes are whole characters) and are folded the same way. Read only
    /// for texts whose view has a non-ASCII character: every pattern must contain one once folded.
    case native
}

/// One detection rule: matched by any of its patterns (Vectorscan syntax: no backreferences or
/// lookaround, so matching stays linear in the input).
public struct Rule: Sendable {
    public var id: String
    public var category: String
    public var severity: Severity
    public var patterns: [String]
    public var view: RuleView
    public var description: String
    public var references: [String]
    /// Texts the rule must flag, and texts it must not (run by tests and `policy check`).
    public var positives: [String]
    public var negatives: [String]
    /// Placeholder used when the finding is redacted (`[SECRET]`); nil means not redactable.
    public var placeholder: String?
    /// Set for a concept rule (kinds of words near each other, see `ConceptMatch`); its
    /// `patterns` are then empty and its view is prose.
    public var concept: ConceptMatch?
    /// Indices of prose patterns matched from the end of the text (reversed pattern over the
    /// reversed view; see `PatternReversal`): the same matches, found faster when the pattern's
    /// rare words come last. A hint for speed only.
    public var fromEnd: Set<Int> = []
    /// Phrases that cancel a match of a prose pattern when they come right before it ("never let
    /// it" override the system prompt, "asking the model to" role-play as an unrestricted AI):
    /// advice and reported speech about an attack rather than the attack. Read like the prose
    /// view (case, punctuation and leetspeak folded), whole words only.
    public var notAfter: [String] = []

    public init(id: String, category: String, severity: Severity, patterns: [String], view: RuleView = .prose,
                description: String = "", references: [String] = [], positives: [String] = [], negatives: [String] = [],
                placeholder: String? = nil, concept: ConceptMatch? = nil) {
        self.id = id
        self.category = category
        self.severity = severity
        self.patterns = patterns
        self.view = view
        self.description = description
        self.references = references
        self.positives = positives
        self.negatives = negatives
        self.placeholder = placeholder
        self.concept = concept
    }
}

/// Something a scan found. `start`/`end` are UTF-8 byte offsets into the original text (end
/// exclusive), also when the match was in a normalised or decoded form.
public struct Finding: Sendable, Hashable {
    public var ruleID: String
    public var category: String
    public var severity: Severity
    public var start: Int
    public var end: Int
    /// The decoding layers the match was found under, outermost first (`base64`, `hex`, `url`, `rot13`).
    public var layers: [String]
    /// Typed placeholder for redaction, when the finding is redactable.
    public var placeholder: String?

    public init(ruleID: String, category: String, severity: Severity, start: Int, end: Int, layers: [String] = [], placeholder: String? = nil) {
        self.ruleID = ruleID
        self.category = category
        self.severity = severity
        self.start = start
        self.end = end
        self.layers = layers
        self.placeholder = placeholder
    }
}

/// A rule set that cannot be compiled: which rule and pattern, and why.
public struct RuleCompileError: Error, Sendable, CustomStringConvertible {
    public var ruleID: String
    public var patternIndex: Int
    public var message: String
    public var description: String { "rule \(ruleID), pattern \(patternIndex + 1): \(message)" }
}
