/// A rule matched by kinds of words near each other instead of one phrase: "the model's own
/// setup" within ten words of "no longer applies", in whatever words the author of an attack
/// chose. Each slot is a list of terms (short phrases); the rule matches where a term of every
/// slot occurs within `within` words, in slot order when `ordered`, and no `unless` term occurs
/// in the match or in the `unlessBefore` words before it.
///
/// Terms are matched on the prose view (`RuleView.prose`), word by word: a term is written as
/// words separated by spaces and normalised like the text ("Don't" reads "don t"); the last word
/// may end in `*` to match any word it begins ("instruct*"). Every term is a
/// literal pattern in the prose database, so a concept rule costs one literal lookup per term
/// occurrence and a linear pass over the occurrences, not a regex with gaps of arbitrary words.
public struct ConceptMatch: Sendable, Hashable {
    public var slots: [[String]]
    /// Most words from the first word of the first term to the last word of the last one.
    public var within: Int
    public var ordered: Bool
    public var unless: [String]
    public var unlessBefore: Int
    /// The terms of one match lie in one sentence (no `.`, `!` or `?` before a space between them).
    public var sameSentence: Bool

    public init(slots: [[String]], within: Int, ordered: Bool = false, unless: [String] = [], unlessBefore: Int = 3,
                sameSentence: Bool = true) {
        self.slots = slots
        self.within = within
        self.ordered = ordered
        self.unless = unless
        self.unlessBefore = unlessBefore
        self.sameSentence = sameSentence
    }

    /// What is wrong with the first term that does not compile, or nil.
    public func firstInvalidTerm() -> String? {
        for term in allTerms {
            do throws(ConceptTerm.Invalid) { _ = try ConceptTerm.compile(term) } catch { return error.message }
        }
        return nil
    }

    /// Every term of the rule (slots, then `unless`).
    var allTerms: [String] { slots.flatMap { $0 } + unless }

    /// A stable description for cache keys.
    public var cacheKey: String {
        "\(within)|\(ordered)|\(unlessBefore)|\(sameSentence)|" + slots.map { $0.joined(separator: "\u{3}") }.joined(separator: "\u{4}")
            + "|" + unless.joined(separator: "\u{3}")
    }
}

/// A concept term compiled to a prose-view pattern.
struct ConceptTerm: Sendable, Hashable {
    /// The term's words as they read in the prose skeleton, joined by single spaces.
    var literal: [UInt8]
    /// The last word may continue (`instruct*` matches "instructions").
    var stem: Bool
    /// Words the term spans.
    var words: Int

    /// Vectorscan pattern, matched on the view with a space added at both ends: the term between
    /// spaces, so only whole words hit (`\b` instead made compiling 60 times slower). Boundaries
    /// are checked again on the hits (see `start`).
    var pattern: String {
        var p = ""
        for byte in literal {
            switch byte {
            case 0x61...0x7A, 0x30...0x39, 0x20: p.append(Character(Unicode.Scalar(byte)))
            default: p += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return " " + p + (stem ? "[a-z0-9]* " : " ")
    }

    struct Invalid: Error { var message: String }

    /// Compiles one term; the error says what is wrong with it.
    static func compile(_ term: String) throws(Invalid) -> ConceptTerm {
        var bytes = Array(term.utf8)
        while bytes.last == 0x20 { bytes.removeLast() }
        let stem = bytes.last == 0x2A
        if stem { bytes.removeLast() }
        guard !bytes.contains(0x2A) else { throw Invalid(message: "term \"\(term)\": `*` may only end the last word") }
        if stem, bytes.last == 0x20 { throw Invalid(message: "term \"\(term)\": `*` must follow a letter or digit") }
        guard !bytes.isEmpty else { throw Invalid(message: "empty term") }
        let literal = FastViews.skeleton(FastViews.prose(FastViews.plainView(bytes)))
        guard !literal.isEmpty else { throw Invalid(message: "term \"\(term)\" has no letters or digits") }
        guard literal.count <= ConceptEvaluator.maxTermBytes else {
            throw Invalid(message: "term \"\(term)\" is longer than \(ConceptEvaluator.maxTermBytes) bytes")
        }
        // A stem must end in a letter or digit, or it would run into the next word.
        if stem, let last = literal.last, last == 0x20 || last >= 0x80 {
            throw Invalid(message: "term \"\(term)\": `*` must follow a letter or digit")
        }
        return ConceptTerm(literal: literal, stem: stem, words: literal.count { $0 == 0x20 } + 1)
    }

    /// Where this term starts when a match of its pattern ends at `end`, or nil when that match
    /// is not the whole words of the term (inside another word, or a stem cut short).
    func start(endingAt end: Int, in b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard end == b.count || b[end] == 0x20 else { return nil }
        var start: Int
        if stem {
            // The last word runs back to the previous space; the literal's last word begins it.
            var q = end
            let floor = max(0, end - ConceptEvaluator.maxTermBytes)
            while q > floor && b[q - 1] != 0x20 { q -= 1 }
            guard q == 0 || b[q - 1] == 0x20 else { return nil }
            let lastWordLength = literal.count - ((literal.lastIndex(of: 0x20)).map { $0 + 1 } ?? 0)
            start = q - (literal.count - lastWordLength)
            guard start >= 0, end - q >= lastWordLength else { return nil }
        } else {
            start = end - literal.count
            guard start >= 0 else { return nil }
        }
        guard start == 0 || b[start - 1] == 0x20 else { return nil }
        for k in 0..<literal.count where b[start + k] != literal[k] { return nil }
        return start
    }
}

/// Finds concept matches from the term occurrences of one scan of a prose view. Linear in the
/// number of occurrences (each rule keeps monotone cursors or a sliding window of bounded size).
struct ConceptEvaluator: Sendable {
    struct Use: Sendable {
        var rule: Int
        /// Slot index, or -1 for an `unless` term.
        var slot: Int
        /// The rule's place in `ruleOrder` (dense, for per-scan arrays).
        var dense: Int
    }

    /// Compiled terms, by term id.
    let terms: [ConceptTerm]
    /// Where each term is used.
    let uses: [[Use]]
    /// Concept rules by rule index.
    let concepts: [Int: ConceptMatch]
    /// Rule indices of the concept rules; `Use.dense` indexes this.
    let ruleOrder: [Int]
    /// Most slots a concept rule may have (slots seen are kept as bits).
    public static let maxSlots = 16

    /// Longest term, and longest walk back from the end of a stem to its start.
    static let maxTermBytes = 256

    init(rules: [Rule]) throws(RuleCompileError) {
        var terms: [ConceptTerm] = []
        var termIndex: [ConceptTerm: Int] = [:]
        var uses: [[Use]] = []
        var concepts: [Int: ConceptMatch] = [:]
        var ruleOrder: [Int] = []
        for (r, rule) in rules.enumerated() {
            guard let concept = rule.concept else { continue }
            guard (1...Self.maxSlots).contains(concept.slots.count) else {
                throw RuleCompileError(ruleID: rule.id, patternIndex: 0, message: "a concept rule has 1 to \(Self.maxSlots) slots")
            }
            concepts[r] = concept
            let dense = ruleOrder.count
            ruleOrder.append(r)
            let slotted = concept.slots.enumerated().map { ($0.offset, $0.element) } + [(-1, concept.unless)]
            var termNumber = 0
            for (slot, list) in slotted {
                for text in list {
                    defer { termNumber += 1 }
                    let term: ConceptTerm
                    do throws(ConceptTerm.Invalid) { term = try ConceptTerm.compile(text) } catch {
                        throw RuleCompileError(ruleID: rule.id, patternIndex: termNumber, message: error.message)
                    }
                    let id: Int
                    if let existing = termIndex[term] { id = existing } else {
                        id = terms.count
                        termIndex[term] = id
                        terms.append(term)
                        uses.append([])
                    }
                    if !uses[id].contains(where: { $0.rule == r && $0.slot == slot }) { uses[id].append(Use(rule: r, slot: slot, dense: dense)) }
                }
            }
        }
        self.terms = terms
        self.uses = uses
        self.concepts = concepts
        self.ruleOrder = ruleOrder
    }

    var isEmpty: Bool { terms.isEmpty }

    private struct Occurrence {
        var start: Int
        var end: Int
        var firstWord: Int
        var lastWord: Int
        var sentence: Int
    }

    /// Concept matches `(rule, from, to)` (byte offsets into `bytes`) from term hits `(term, end)`;
    /// `sentenceBreaks` are the ascending offsets where sentences begin (see `FastViews.proseWithSentences`).
    func matches(_ hits: [(term: Int, end: Int)], in bytes: [UInt8], sentenceBreaks: [Int] = []) -> [(rule: Int, from: Int, to: Int)] {
        guard !hits.isEmpty else { return [] }
        // Which rules saw a term of every slot (hits may still be cut short words; a superset).
        // Ordinary prose stops here: its common words fill one slot, rarely all.
        var seen = [UInt16](repeating: 0, count: ruleOrder.count)
        for hit in hits {
            for use in uses[hit.term] where use.slot >= 0 { seen[use.dense] |= 1 << UInt16(use.slot) }
        }
        var candidate = [Bool](repeating: false, count: ruleOrder.count)
        var anyCandidate = false
        for (dense, rule) in ruleOrder.enumerated() where seen[dense] == UInt16(truncatingIfNeeded: (1 << concepts[rule]!.slots.count) - 1) {
            candidate[dense] = true
            anyCandidate = true
        }
        guard anyCandidate else { return [] }
        // Occurrences with their starts, in text order, numbered by word.
        var located: [(term: Int, start: Int, end: Int)] = []
        located.reserveCapacity(hits.count)
        bytes.withUnsafeBufferPointer { b in
            for hit in hits {
                if let start = terms[hit.term].start(endingAt: hit.end, in: b) { located.append((hit.term, start, hit.end)) }
            }
        }
        located.sort { ($0.start, $0.end, $0.term) < ($1.start, $1.end, $1.term) }
        var perRule: [Int: (slots: [[Occurrence]], unless: [Occurrence])] = [:]
        bytes.withUnsafeBufferPointer { b in
            var cursor = 0
            var word = 0
            var sentence = 0
            var previous: (term: Int, start: Int, end: Int)? = nil
            for o in located {
                if let p = previous, p == o { continue }
                previous = o
                while cursor < o.start { if b[cursor] == 0x20 { word += 1 }; cursor += 1 }
                while sentence < sentenceBreaks.count && sentenceBreaks[sentence] < o.start { sentence += 1 }
                let occurrence = Occurrence(start: o.start, end: o.end, firstWord: word, lastWord: word + terms[o.term].words - 1,
                                            sentence: sentence)
                for use in uses[o.term] where candidate[use.dense] {
                    let empty = (slots: Array(repeating: [Occurrence](), count: concepts[use.rule]!.slots.count), unless: [Occurrence]())
                    // Mutated in place (no copy of the lists per occurrence).
                    if use.slot < 0 {
                        perRule[use.rule, default: empty].unless.append(occurrence)
                    } else {
                        perRule[use.rule, default: empty].slots[use.slot].append(occurrence)
                    }
                }
            }
        }
        var out: [(rule: Int, from: Int, to: Int)] = []
        for (rule, entry) in perRule where !entry.slots.contains(where: \.isEmpty) {
            let concept = concepts[rule]!
            func emit(_ first: Occurrence, lastWord: Int, end: Int) {
                let floor = first.firstWord - concept.unlessBefore
                // unless occurrences are in text order: the first at or after `floor`.
                var lo = 0
                var hi = entry.unless.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if entry.unless[mid].firstWord < floor { lo = mid + 1 } else { hi = mid }
                }
                if lo < entry.unless.count, entry.unless[lo].firstWord <= lastWord { return }
                out.append((rule, first.start, end))
            }
            if concept.ordered {
                var cursors = Array(repeating: 0, count: entry.slots.count)
                chains: for first in entry.slots[0] {
                    var lastWord = first.lastWord
                    var end = first.end
                    for k in 1..<entry.slots.count {
                        let list = entry.slots[k]
                        while cursors[k] < list.count && list[cursors[k]].firstWord <= lastWord { cursors[k] += 1 }
                        guard cursors[k] < list.count else { break chains }
                        lastWord = list[cursors[k]].lastWord
                        end = list[cursors[k]].end
                        // The earliest next term is already in a later sentence: none is in this one.
                        if concept.sameSentence && list[cursors[k]].sentence != first.sentence { continue chains }
                    }
                    if lastWord - first.firstWord + 1 <= concept.within { emit(first, lastWord: lastWord, end: end) }
                }
            } else {
                // Sliding window over every occurrence of every slot, in text order.
                var items: [(slot: Int, o: Occurrence)] = []
                for (slot, list) in entry.slots.enumerated() { for o in list { items.append((slot, o)) } }
                items.sort { ($0.o.firstWord, $0.o.start, $0.slot) < ($1.o.firstWord, $1.o.start, $1.slot) }
                var counts = Array(repeating: 0, count: entry.slots.count)
                var covered = 0
                var left = 0
                for right in items.indices {
                    let item = items[right]
                    if counts[item.slot] == 0 { covered += 1 }
                    counts[item.slot] += 1
                    // Drop what can no longer share a window with `right`, and redundant left items.
                    while left < right,
                          item.o.firstWord - items[left].o.firstWord >= concept.within || counts[items[left].slot] > 1
                            || (concept.sameSentence && items[left].o.sentence != item.o.sentence) {
                        counts[items[left].slot] -= 1
                        if counts[items[left].slot] == 0 { covered -= 1 }
                        left += 1
                    }
                    guard covered == entry.slots.count else { continue }
                    var lastWord = 0
                    var end = 0
                    for k in left...right where items[k].o.lastWord >= lastWord {
                        lastWord = items[k].o.lastWord
                        end = max(end, items[k].o.end)
                    }
                    if lastWord - items[left].o.firstWord + 1 <= concept.within { emit(items[left].o, lastWord: lastWord, end: end) }
                }
            }
        }
        return out
    }
}
