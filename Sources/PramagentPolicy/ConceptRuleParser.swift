import Foundation
import PramagentRules

/// Reads the `concepts` of a concept rule and the `lexicons` they draw on:
///
/// ```yaml
/// lexicons:                       # corpus level: named lists of terms
///   model_setup: ["your configuration", "you were told", "{hidden} instruct*"]
///   hidden: [hidden, secret, initial]
/// rules:
///   - id: pi.setup_invalidated
///     severity: high
///     concepts:
///       all: ["{model_setup}", ["no longer applies", "is obsolete"]]   # slots: a lexicon or a list
///       within: 10                # words from the first term to the last
///       ordered: false            # true: the slots occur in this order
///       unless: ["do not", "never"]
///       unless_before: 3          # words before the match that `unless` also covers
///       same_sentence: true       # default: no `.`, `!` or `?` (before a space) between the terms
///       at_least: 2               # optional, unordered rules: this many of the slots suffice
/// ```
///
/// `{name}` inside a term stands for every term of that lexicon ("{hidden} instruct*" is
/// "hidden instruct*", "secret instruct*", ...). A term with lexicons in it becomes a phrase of
/// pieces matched on adjacent words (see `ConceptMatch.Phrase`): small neighbours are joined into
/// one piece of whole terms, large lexicons stay pieces of their own, so "{guidance} you were
/// {given}" with 49 guidance and 14 given words is 2 pieces of 49 and 14 terms ("you were" joins
/// the second), not 686 combinations.
enum ConceptRuleParser {
    /// Most distinct terms one slot may expand to (a guard against runaway cross products).
    static let maxTermsPerSlot = 8_192
    /// Neighbouring pieces are joined into one while they make at most this many terms.
    static let maxJoinedPiece = 128
    static let maxWithin = 64

    /// The lexicons of a file, with `shared` ones (the built-in `lexicons.yaml`) usable by name;
    /// a file may not define a lexicon of the same name as a shared one.
    static func lexicons(_ node: YAMLNode, shared: [String: [String]] = [:]) throws(PolicyIssue) -> [String: [String]] {
        var out = shared
        for (name, value) in try node.mapping() {
            guard isName(name) else { throw value.issue("policy_invalid", "lexicon name \"\(name)\" must be lower-case letters, digits and _") }
            guard shared[name] == nil else {
                throw value.issue("policy_duplicate", "lexicon \(name) is already a shared lexicon (\(RuleCorpusLoader.sharedLexiconsFile)); use it by name or rename this one")
            }
            let terms = try value.stringList()
            guard !terms.isEmpty else { throw value.issue("policy_invalid", "lexicon \(name) is empty") }
            out[name] = terms
        }
        // Every reference resolves, without cycles.
        for (name, value) in try node.mapping() {
            _ = try phrases(["{\(name)}"], lexicons: out, at: value)
        }
        return out
    }

    /// The keys of a rule's `concepts` mapping.
    static let conceptKeys: Set<String> = ["all", "within", "ordered", "unless", "unless_before", "same_sentence", "at_least"]

    static func concept(_ node: YAMLNode, ruleID: String, lexicons: [String: [String]]) throws(PolicyIssue) -> ConceptMatch {
        let m = try node.mapping(allowed: conceptKeys, context: "rule \(ruleID).concepts")
        guard let all = m["all"] else { throw node.issue("policy_missing_key", "rule \(ruleID).concepts needs `all: [slot, ...]`") }
        var slots: [[ConceptMatch.Phrase]] = []
        for slot in try all.list() {
            let raw: [String]
            if case .sequence = slot.node { raw = try slot.stringList() } else { raw = [try slot.string()] }
            let phrases = try phrases(raw, lexicons: lexicons, at: slot)
            guard !phrases.isEmpty else { throw slot.issue("policy_invalid", "an empty slot never matches") }
            slots.append(phrases)
        }
        guard !slots.isEmpty else { throw all.issue("policy_invalid", "rule \(ruleID).concepts.all needs at least one slot") }
        guard slots.count <= ConceptMatch.maxSlots else {
            throw all.issue("policy_invalid", "rule \(ruleID).concepts.all has \(slots.count) slots; at most \(ConceptMatch.maxSlots)")
        }
        guard let withinNode = m["within"] else { throw node.issue("policy_missing_key", "rule \(ruleID).concepts needs `within: WORDS`") }
        let within = try withinNode.int(min: 1)
        guard within <= maxWithin else { throw withinNode.issue("policy_invalid", "within is at most \(maxWithin) words") }
        let ordered = try m["ordered"]?.bool() ?? false
        var atLeast: Int?
        if let node = m["at_least"] {
            let k = try node.int(min: 1)
            guard k <= slots.count else { throw node.issue("policy_invalid", "at_least (\(k)) is more than the number of slots (\(slots.count))") }
            guard !ordered else { throw node.issue("policy_invalid", "at_least applies to unordered rules only (ordered: false)") }
            atLeast = k
        }
        let needed = atLeast ?? slots.count
        guard within >= needed else { throw withinNode.issue("policy_invalid", "within (\(within)) is less than the number of slots a match needs (\(needed)): it can never match") }
        var unless: [ConceptMatch.Phrase] = []
        if let u = m["unless"] {
            let raw: [String]
            if case .sequence = u.node { raw = try u.stringList() } else { raw = [try u.string()] }
            unless = try phrases(raw, lexicons: lexicons, at: u)
        }
        let unlessBefore = try m["unless_before"]?.int(min: 0) ?? 3
        guard unlessBefore <= maxWithin else { throw m["unless_before"]!.issue("policy_invalid", "unless_before is at most \(maxWithin) words") }
        let sameSentence = try m["same_sentence"]?.bool() ?? true
        let concept = ConceptMatch(phrases: slots, within: within, ordered: ordered, unless: unless, unlessBefore: unlessBefore,
                                   sameSentence: sameSentence, atLeast: atLeast)
        if let problem = concept.firstInvalidTerm() { throw node.issue("policy_rule", "rule \(ruleID): \(problem)") }
        return concept
    }

    /// The phrases of a slot: an item that is just `{name}` stands for every entry of that
    /// lexicon (each its own phrase); any other item is one phrase whose pieces are its literal
    /// words and the terms of the lexicons it names, neighbours joined while small.
    static func phrases(_ items: [String], lexicons: [String: [String]], at node: YAMLNode, depth: Int = 0) throws(PolicyIssue) -> [ConceptMatch.Phrase] {
        guard depth < 8 else { throw node.issue("policy_invalid", "lexicons nest more than 8 deep (a cycle?)") }
        var out: [ConceptMatch.Phrase] = []
        var seen = Set<ConceptMatch.Phrase>()
        // Distinct terms: phrases that share a lexicon share its terms in the index.
        var terms = Set<String>()
        for item in items {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            let found: [ConceptMatch.Phrase]
            if trimmed.hasPrefix("{"), trimmed.hasSuffix("}"), !trimmed.dropFirst().dropLast().contains("{") {
                let name = String(trimmed.dropFirst().dropLast())
                guard let lexicon = lexicons[name] else { throw unknownLexicon(name, lexicons, at: node) }
                found = try phrases(lexicon, lexicons: lexicons, at: node, depth: depth + 1)
            } else {
                found = [try pieces(of: item, lexicons: lexicons, at: node)]
            }
            for phrase in found where seen.insert(phrase).inserted {
                out.append(phrase)
                for piece in phrase { terms.formUnion(piece) }
            }
            guard terms.count <= maxTermsPerSlot else { throw node.issue("policy_invalid", "a slot expands to more than \(maxTermsPerSlot) terms") }
        }
        return out
    }

    /// One item as pieces: literal words and lexicon references, then the neighbouring pair with
    /// the fewest combinations joined, again and again, while that is at most `maxJoinedPiece`.
    static func pieces(of item: String, lexicons: [String: [String]], at node: YAMLNode) throws(PolicyIssue) -> ConceptMatch.Phrase {
        var pieces: [[String]] = []
        var rest = Substring(item)
        while !rest.isEmpty {
            // Literal words up to the next reference, then the reference's terms.
            let open = rest.firstIndex(of: "{") ?? rest.endIndex
            let literal = rest[..<open].trimmingCharacters(in: .whitespaces)
            if literal.contains("}") { throw node.issue("policy_invalid", "term \"\(item)\" has `}` without `{`") }
            if !literal.isEmpty { pieces.append(try typoVariants(literal, at: node) ?? [literal]) }
            guard open < rest.endIndex else { break }
            guard let close = rest[open...].firstIndex(of: "}") else { throw node.issue("policy_invalid", "term \"\(item)\" has `{` without `}`") }
            pieces.append(try expand([String(rest[open...close])], lexicons: lexicons, at: node))
            rest = rest[rest.index(after: close)...]
        }
        guard !pieces.isEmpty else { throw node.issue("policy_invalid", "empty term") }
        while pieces.count > 1 {
            var best = 0
            // A stem (`word*`) ends its term: a piece of stems is never joined to what follows.
            func cost(_ i: Int) -> Int {
                pieces[i].contains { $0.hasSuffix("*") } ? Int.max : pieces[i].count * pieces[i + 1].count
            }
            for i in 1..<(pieces.count - 1) where cost(i) < cost(best) { best = i }
            guard cost(best) <= maxJoinedPiece else { break }
            let joined = pieces[best].flatMap { a in pieces[best + 1].map { b in a + " " + b } }
            pieces.replaceSubrange(best...(best + 1), with: [joined])
        }
        return pieces
    }

    /// Terms with every `{name}` replaced by the terms of that lexicon (depth-first, no cycles).
    static func expand(_ terms: [String], lexicons: [String: [String]], at node: YAMLNode) throws(PolicyIssue) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        func visit(_ term: String, _ stack: [String]) throws(PolicyIssue) {
            guard let open = term.firstIndex(of: "{") else {
                if term.contains("}") { throw node.issue("policy_invalid", "term \"\(term)\" has `}` without `{`") }
                for variant in try typoVariants(term, at: node) ?? [term] where seen.insert(variant).inserted { out.append(variant) }
                guard out.count <= maxTermsPerSlot else {
                    throw node.issue("policy_invalid", "a slot expands to more than \(maxTermsPerSlot) terms")
                }
                return
            }
            guard let close = term[open...].firstIndex(of: "}") else { throw node.issue("policy_invalid", "term \"\(term)\" has `{` without `}`") }
            let name = String(term[term.index(after: open)..<close])
            guard let lexicon = lexicons[name] else { throw unknownLexicon(name, lexicons, at: node) }
            // Repeated names in one term are fine ("{w} {w}"); a chain this deep is a cycle.
            guard stack.count < 8 else { throw node.issue("policy_invalid", "lexicons nest more than 8 deep (a cycle?): \((stack + [name]).joined(separator: " -> "))") }
            let prefix = term[..<open]
            let suffix = term[term.index(after: close)...]
            for entry in lexicon { try visit(prefix + entry + suffix, stack + [name]) }
        }
        for term in terms { try visit(term, []) }
        return out
    }

    /// A term ending in `~` as its typing slips (`ConceptMatch.typoVariants`), nil for any other.
    private static func typoVariants(_ term: String, at node: YAMLNode) throws(PolicyIssue) -> [String]? {
        do throws(ConceptMatch.InvalidTerm) { return try ConceptMatch.typoVariants(term) } catch {
            throw node.issue("policy_invalid", error.message)
        }
    }

    private static func unknownLexicon(_ name: String, _ lexicons: [String: [String]], at node: YAMLNode) -> PolicyIssue {
        let known = lexicons.keys.sorted().joined(separator: ", ")
        return node.issue("policy_invalid", "unknown lexicon {\(name)}" + (known.isEmpty ? "; this file defines none" : "; defined: \(known)"))
    }

    private static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
