/// A rule matched by kinds of words near each other instead of one phrase: "the model's own
/// setup" within ten words of "no longer applies", in whatever words the author of an attack
/// chose. Each slot is a list of phrases; the rule matches where a phrase of every slot occurs
/// within `within` words, in slot order when `ordered`, and no `unless` phrase occurs in the
/// match or in the `unlessBefore` words before it. With `atLeast` (unordered rules only) a
/// phrase of that many of the slots suffices: several independent signals of an attack, each
/// too common alone, in whichever of the kinds the writer used.
///
/// A phrase is a sequence of pieces, each a list of alternative terms, matched as one term of
/// every piece on adjacent words ("your" + "original"/"hidden" + "rules"/"instructions"): the
/// engine looks for the pieces, not for every combination of them. A term is words separated by
/// spaces, normalised like the text ("Don't" reads "don t"); its last word may end in `*` to
/// match any word it begins ("instruct*"). Terms are looked up word by word in one index over
/// the prose view (`TermIndex`), so a concept rule costs a lookup per word and a linear pass
/// over the occurrences, not a regex with gaps of arbitrary words.
public struct ConceptMatch: Sendable, Hashable {
    /// Pieces, each a list of alternative terms; a single term is `[[term]]`.
    public typealias Phrase = [[String]]
    /// Most slots a concept rule may have.
    public static let maxSlots = 16

    public var slots: [[Phrase]]
    /// Most words from the first word of the first term to the last word of the last one.
    public var within: Int
    public var ordered: Bool
    public var unless: [Phrase]
    public var unlessBefore: Int
    /// The terms of one match lie in one sentence (no `.`, `!` or `?` before a space between them).
    public var sameSentence: Bool
    /// How many of the slots must be present (nil: all of them). Unordered rules only.
    public var atLeast: Int?

    public init(phrases slots: [[Phrase]], within: Int, ordered: Bool = false, unless: [Phrase] = [], unlessBefore: Int = 3,
                sameSentence: Bool = true, atLeast: Int? = nil) {
        self.slots = slots
        self.within = within
        self.ordered = ordered
        self.unless = unless
        self.unlessBefore = unlessBefore
        self.sameSentence = sameSentence
        self.atLeast = atLeast
    }

    /// Slots a match needs: `atLeast`, or every slot.
    var requiredSlots: Int { atLeast ?? slots.count }

    /// Slots of single terms.
    public init(slots: [[String]], within: Int, ordered: Bool = false, unless: [String] = [], unlessBefore: Int = 3,
                sameSentence: Bool = true, atLeast: Int? = nil) {
        self.init(phrases: slots.map { $0.map { [[$0]] } }, within: within, ordered: ordered, unless: unless.map { [[$0]] },
                  unlessBefore: unlessBefore, sameSentence: sameSentence, atLeast: atLeast)
    }

    /// What is wrong with the first term that does not compile, or nil.
    public func firstInvalidTerm() -> String? {
        for term in allTerms {
            do throws(ConceptTerm.Invalid) { _ = try ConceptTerm.compile(term) } catch { return error.message }
        }
        return nil
    }

    /// Every term of the rule (slots, then `unless`).
    var allTerms: [String] { (slots.flatMap { $0 } + unless).flatMap { $0.flatMap { $0 } } }

    /// Shortest word `~` may follow: edits of shorter words are too often other words.
    static let minTypoWord = 6

    /// A term whose last word ends in `~` ("previous instructions~") as the term with that word
    /// written correctly and with every single slip of a typist: a letter left out, doubled or
    /// wrong, two neighbours swapped, one added (Damerau–Levenshtein distance 1), so "iunstructions"
    /// and "instrucitons" read as "instructions". The other words stay as written. nil for a term
    /// without `~`; an error when the word is not at least `minTypoWord` letters a–z. The policy
    /// reader expands such terms before compiling a rule (`ConceptTerm.compile` rejects a `~`).
    public static func typoVariants(_ term: String) throws(InvalidTerm) -> [String]? {
        var text = term
        while text.last == " " { text.removeLast() }
        guard text.last == "~" else { return nil }
        text.removeLast()
        let split = text.lastIndex(of: " ").map { text.index(after: $0) } ?? text.startIndex
        let prefix = String(text[..<split])
        let word = Array(text[split...].lowercased().utf8)
        guard word.count >= minTypoWord, word.allSatisfy({ (0x61...0x7A).contains($0) }) else {
            throw InvalidTerm(message: "term \"\(term)\": `~` must follow a word of at least \(minTypoWord) letters a-z")
        }
        var seen: Set<[UInt8]> = [word]
        var out = [word]
        func add(_ w: [UInt8]) { if seen.insert(w).inserted { out.append(w) } }
        let letters = Array(UInt8(0x61)...UInt8(0x7A))
        for i in word.indices {
            var w = word; w.remove(at: i); add(w)
            for c in letters where c != word[i] { w = word; w[i] = c; add(w) }
            if i + 1 < word.count, word[i] != word[i + 1] { w = word; w.swapAt(i, i + 1); add(w) }
        }
        for i in 0...word.count { for c in letters { var w = word; w.insert(c, at: i); add(w) } }
        return out.map { prefix + String(decoding: $0, as: UTF8.self) }
    }

    /// What is wrong with a term.
    public struct InvalidTerm: Error { public var message: String }

    /// A stable description for cache keys.
    public var cacheKey: String {
        func phrase(_ p: Phrase) -> String { p.map { $0.joined(separator: "\u{3}") }.joined(separator: "\u{5}") }
        return "\(within)|\(ordered)|\(unlessBefore)|\(sameSentence)|\(atLeast.map(String.init) ?? "all")|"
            + slots.map { $0.map(phrase).joined(separator: "\u{6}") }.joined(separator: "\u{4}")
            + "|" + unless.map(phrase).joined(separator: "\u{6}")
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

    /// The term as a literal pattern on the view with a space added at both ends: the term
    /// between spaces, so only whole words hit; a stem only after its space. This defines what
    /// `TermIndex` finds (it replaced a Vectorscan database of these patterns, and
    /// `TermIndexTests` still compares the two). Boundaries are checked on the hits (`span`).
    var pattern: String {
        var p = ""
        for byte in literal {
            switch byte {
            case 0x61...0x7A, 0x30...0x39, 0x20: p.append(Character(Unicode.Scalar(byte)))
            default: p += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return " " + p + (stem ? "" : " ")
    }

    struct Invalid: Error { var message: String }

    /// Compiles one term; the error says what is wrong with it.
    static func compile(_ term: String) throws(Invalid) -> ConceptTerm {
        var bytes = Array(term.utf8)
        while bytes.last == 0x20 { bytes.removeLast() }
        let stem = bytes.last == 0x2A
        if stem { bytes.removeLast() }
        guard !bytes.contains(0x2A) else { throw Invalid(message: "term \"\(term)\": `*` may only end the last word") }
        guard !bytes.contains(0x7E) else {
            throw Invalid(message: "term \"\(term)\": `~` may only end the last word (it is expanded when the rule is read)")
        }
        if stem, bytes.last == 0x20 { throw Invalid(message: "term \"\(term)\": `*` must follow a letter or digit") }
        guard !bytes.isEmpty else { throw Invalid(message: "empty term") }
        let literal = FastViews.proseSkeleton(bytes)
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

    /// The span of the term's words when a match of its pattern ends at `hitEnd` (an offset into
    /// the padded view the terms are matched on), or nil when it is not whole words. A stem's
    /// pattern ends with its literal, so the word it begins runs on to the next space.
    func span(hitEnd: Int, in b: UnsafeBufferPointer<UInt8>) -> (start: Int, end: Int)? {
        var end = stem ? hitEnd : hitEnd - 1
        let start = end - literal.count
        guard start >= 0, end <= b.count, start == 0 || b[start - 1] == 0x20 else { return nil }
        for k in 0..<literal.count where b[start + k] != literal[k] { return nil }
        if stem {
            let limit = min(b.count, end + ConceptEvaluator.maxTermBytes)
            while end < limit && b[end] != 0x20 { end += 1 }
        } else {
            guard end == b.count || b[end] == 0x20 else { return nil }
        }
        return (start, end)
    }
}

/// Finds concept matches from the term occurrences of one scan of a prose view. Linear in the
/// number of occurrences: each occurrence is filed under the few distinct pieces that hold its
/// term (pieces, phrases and slots are shared between rules), phrases are chained piece by piece
/// on adjacent words, then each rule keeps monotone cursors (ordered) or a sliding window of at
/// most `within` words.
struct ConceptEvaluator: Sendable {
    /// A concept rule with its slots as ids into `slotPhrases` (the last one is `unless`).
    struct Compiled: Sendable {
        var rule: Int
        var concept: ConceptMatch
        var slots: [Int]
        var unless: Int
    }

    /// Compiled terms, by term id.
    let terms: [ConceptTerm]
    /// Distinct pieces containing each term.
    let piecesOfTerm: FlatLists
    /// Distinct phrases as piece ids.
    let phrasePieces: FlatLists
    /// Distinct slots as phrase ids.
    let slotPhrases: FlatLists
    /// The concept rules.
    let compiled: [Compiled]
    static let maxSlots = ConceptMatch.maxSlots

    /// Longest term, and longest walk back from the end of a stem to its start.
    static let maxTermBytes = 256

    init(rules: [Rule]) throws(RuleCompileError) {
        var terms = Interner<ConceptTerm>()
        var pieces = Interner<Set<Int>>()
        var phrases = Interner<[Int]>()
        var slots = Interner<[Int]>()
        var piecesOfTerm: [[Int]] = []
        var compiled: [Compiled] = []
        for (r, rule) in rules.enumerated() {
            guard let concept = rule.concept else { continue }
            guard (1...Self.maxSlots).contains(concept.slots.count) else {
                throw RuleCompileError(ruleID: rule.id, patternIndex: 0, message: "a concept rule has 1 to \(Self.maxSlots) slots")
            }
            if let k = concept.atLeast, !(1...concept.slots.count).contains(k) || concept.ordered {
                throw RuleCompileError(ruleID: rule.id, patternIndex: 0,
                                       message: "at_least must be 1 to the number of slots (\(concept.slots.count)), and the rule unordered")
            }
            var termNumber = 0
            var slotIDs: [Int] = []
            for slot in concept.slots + [concept.unless] {
                var phraseIDs: [Int] = []
                for phrase in slot {
                    var pieceIDs: [Int] = []
                    for alternatives in phrase {
                        var ids = Set<Int>()
                        for text in alternatives {
                            defer { termNumber += 1 }
                            let term: ConceptTerm
                            do throws(ConceptTerm.Invalid) { term = try ConceptTerm.compile(text) } catch {
                                throw RuleCompileError(ruleID: rule.id, patternIndex: termNumber, message: error.message)
                            }
                            let (id, isNew) = terms.id(term)
                            if isNew {
                                piecesOfTerm.append([])
                            }
                            ids.insert(id)
                        }
                        let (piece, isNew) = pieces.id(ids)
                        if isNew { for t in ids { piecesOfTerm[t].append(piece) } }
                        pieceIDs.append(piece)
                    }
                    phraseIDs.append(phrases.id(pieceIDs).id)
                }
                slotIDs.append(slots.id(phraseIDs).id)
            }
            compiled.append(Compiled(rule: r, concept: concept, slots: Array(slotIDs.dropLast()), unless: slotIDs.last!))
        }
        self.terms = terms.keys
        self.piecesOfTerm = FlatLists(piecesOfTerm)
        self.phrasePieces = FlatLists(phrases.keys)
        self.slotPhrases = FlatLists(slots.keys)
        self.compiled = compiled
        var phrasesOfPiece = [[Int]](repeating: [], count: pieces.keys.count)
        for (phrase, ids) in phrases.keys.enumerated() { for piece in Set(ids) { phrasesOfPiece[piece].append(phrase) } }
        var slotsOfPhrase = [[Int]](repeating: [], count: phrases.keys.count)
        for (slot, ids) in slots.keys.enumerated() { for phrase in Set(ids) { slotsOfPhrase[phrase].append(slot) } }
        self.phrasesOfPiece = FlatLists(phrasesOfPiece)
        self.slotsOfPhrase = FlatLists(slotsOfPhrase)
        var compiledOfSlot = [[Int]](repeating: [], count: slots.keys.count)
        for (dense, c) in compiled.enumerated() { for slot in Set(c.slots) { compiledOfSlot[slot].append(dense) } }
        self.compiledOfSlot = FlatLists(compiledOfSlot)
        // Two slots with the same phrases are one slot id: a rule needs as many distinct ids.
        self.requiredSlotCount = compiled.map { min($0.concept.requiredSlots, Set($0.slots).count) }
    }

    /// The rules (indices into `compiled`) that have each slot, and how many distinct slots each
    /// needs seen before it is evaluated.
    private let compiledOfSlot: FlatLists
    private let requiredSlotCount: [Int]

    /// Phrases that contain each piece, and slots that contain each phrase.
    private let phrasesOfPiece: FlatLists
    private let slotsOfPhrase: FlatLists

    var isEmpty: Bool { terms.isEmpty }

    private struct Occurrence {
        var start: Int
        var end: Int
        var firstWord: Int
        var lastWord: Int
        var sentence: Int
    }

    /// Concept matches `(rule, from, to)` (byte offsets into `bytes`, the padded view the terms
    /// were matched on) from term hits `(term, end)`;
    /// `sentenceBreaks` are the ascending offsets where sentences begin (see `FastViews.proseWithSentences`).
    func matches(_ hits: [(term: Int, end: Int)], in bytes: [UInt8], sentenceBreaks: [Int] = []) -> [(rule: Int, from: Int, to: Int)] {
        guard !hits.isEmpty else { return [] }
        // Which pieces were hit at all, then which rules have a phrase start in every slot (a
        // superset of what matches). Ordinary prose stops here: its common words fill one slot.
        // Bit sets, and only the phrases of pieces that were hit are looked at (no per-scan
        // arrays of arrays: at 1 KiB, allocation and reference counting were most of the cost).
        var bits = ScanBits(pieces: phrasesOfPiece.count, phrases: phrasePieces.count, slots: slotPhrases.count)
        var hitPieces: [Int] = []
        hitPieces.reserveCapacity(hits.count * 2)
        for hit in hits {
            for k in piecesOfTerm.indices(hit.term) {
                let piece = piecesOfTerm.values[k]
                if bits.insertPiece(piece) { hitPieces.append(piece) }
            }
        }
        var seenSlots: [Int] = []
        seenSlots.reserveCapacity(hitPieces.count * 2)
        for piece in hitPieces {
            for k in phrasesOfPiece.indices(piece) {
                let phrase = phrasesOfPiece.values[k]
                guard bits.insertChecked(phrase), phrasePieces.indices(phrase).allSatisfy({ bits.pieceHit(phrasePieces.values[$0]) }) else { continue }
                bits.insertComplete(phrase)
                for j in slotsOfPhrase.indices(phrase) where bits.insertSlot(slotsOfPhrase.values[j]) { seenSlots.append(slotsOfPhrase.values[j]) }
            }
        }
        // Rules whose slots were all seen, counted from the slots seen (not a walk over every rule).
        var candidates: [Int] = []
        var seenCount = [UInt8](repeating: 0, count: compiled.count)
        for slot in seenSlots {
            for k in compiledOfSlot.indices(slot) {
                let dense = compiledOfSlot.values[k]
                seenCount[dense] &+= 1
                if Int(seenCount[dense]) == requiredSlotCount[dense] { candidates.append(dense) }
            }
        }
        guard !candidates.isEmpty else { return [] }
        candidates.sort()
        // Only the pieces those rules can use are filed (most hits are of other rules' terms).
        var needed = Bits(count: phrasesOfPiece.count)
        for dense in candidates {
            for slot in compiled[dense].slots + [compiled[dense].unless] {
                for k in slotPhrases.indices(slot) where bits.phraseComplete(slotPhrases.values[k]) {
                    for j in phrasePieces.indices(slotPhrases.values[k]) { _ = needed.insert(phrasePieces.values[j]) }
                }
            }
        }
        // Occurrences with their starts, in text order, numbered by word and sentence, filed by piece.
        var located: [(term: Int, start: Int, end: Int)] = []
        located.reserveCapacity(hits.count)
        bytes.withUnsafeBufferPointer { b in
            for hit in hits where piecesOfTerm.indices(hit.term).contains(where: { needed[piecesOfTerm.values[$0]] }) {
                if let span = terms[hit.term].span(hitEnd: hit.end, in: b) { located.append((hit.term, span.start, span.end)) }
            }
        }
        located.sort { ($0.start, $0.end, $0.term) < ($1.start, $1.end, $1.term) }
        var byPiece: [Int: [Occurrence]] = [:]
        bytes.withUnsafeBufferPointer { b in
            var cursor = 0
            var word = 0
            var sentence = 0
            var previous: (term: Int, start: Int, end: Int)? = nil
            for o in located {
                if let p = previous, p == o { continue }
                previous = o
                if o.start > cursor {
                    word += Self.spaceRuns(in: UnsafeBufferPointer(rebasing: b[cursor..<o.start]), afterSpace: cursor > 0 && b[cursor - 1] == 0x20)
                    cursor = o.start
                }
                while sentence < sentenceBreaks.count && sentenceBreaks[sentence] < o.start { sentence += 1 }
                let occurrence = Occurrence(start: o.start, end: o.end, firstWord: word, lastWord: word + terms[o.term].words - 1,
                                            sentence: sentence)
                for k in piecesOfTerm.indices(o.term) where needed[piecesOfTerm.values[k]] {
                    byPiece[piecesOfTerm.values[k], default: []].append(occurrence)
                }
            }
        }
        // Slot occurrences in text order, each computed once per scan.
        var slotCache: [Int: [Occurrence]] = [:]
        func occurrences(ofSlot slot: Int) -> [Occurrence] {
            if let cached = slotCache[slot] { return cached }
            var all: [Occurrence] = []
            for k in slotPhrases.indices(slot) where bits.phraseComplete(slotPhrases.values[k]) {
                let pieces = phrasePieces.list(slotPhrases.values[k])
                if pieces.count == 1 {
                    all += byPiece[pieces[pieces.startIndex]] ?? []
                } else {
                    Self.chain(pieces.map { byPiece[$0] ?? [] }, into: &all)
                }
            }
            all.sort { ($0.firstWord, $0.start, $0.end) < ($1.firstWord, $1.start, $1.end) }
            slotCache[slot] = all
            return all
        }
        var out: [(rule: Int, from: Int, to: Int)] = []
        for dense in candidates {
            let c = compiled[dense]
            let concept = c.concept
            let slots = c.slots.map(occurrences(ofSlot:))
            let required = concept.requiredSlots
            guard slots.count(where: { !$0.isEmpty }) >= required else { continue }
            let unless = occurrences(ofSlot: c.unless)
            let rule = c.rule
            // `used`: the slot occurrences of the match. An `unless` term inside one of them does
            // not cancel it ("do not" in "rules do not apply", "never" in "never existed").
            func emit(_ first: Occurrence, lastWord: Int, end: Int, used: ArraySlice<Occurrence>) {
                let floor = first.firstWord - concept.unlessBefore
                // unless occurrences are in text order: the first at or after `floor`.
                var lo = 0
                var hi = unless.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if unless[mid].firstWord < floor { lo = mid + 1 } else { hi = mid }
                }
                while lo < unless.count && unless[lo].firstWord <= lastWord {
                    let u = unless[lo]
                    if !used.contains(where: { $0.firstWord <= u.firstWord && u.lastWord <= $0.lastWord }) { return }
                    lo += 1
                }
                out.append((rule, first.start, end))
            }
            if concept.ordered {
                var cursors = Array(repeating: 0, count: slots.count)
                var used: [Occurrence] = []
                chains: for first in slots[0] {
                    var lastWord = first.lastWord
                    var end = first.end
                    used.removeAll(keepingCapacity: true)
                    used.append(first)
                    for k in 1..<slots.count {
                        let list = slots[k]
                        while cursors[k] < list.count && list[cursors[k]].firstWord <= lastWord { cursors[k] += 1 }
                        guard cursors[k] < list.count else { break chains }
                        lastWord = list[cursors[k]].lastWord
                        end = list[cursors[k]].end
                        used.append(list[cursors[k]])
                        // The earliest next term is already in a later sentence: none is in this one.
                        if concept.sameSentence && list[cursors[k]].sentence != first.sentence { continue chains }
                    }
                    if lastWord - first.firstWord + 1 <= concept.within { emit(first, lastWord: lastWord, end: end, used: used[...]) }
                }
            } else {
                // Sliding window over every occurrence of every slot, in text order.
                var items: [(slot: Int, o: Occurrence)] = []
                for (slot, list) in slots.enumerated() { for o in list { items.append((slot, o)) } }
                items.sort { ($0.o.firstWord, $0.o.start, $0.slot) < ($1.o.firstWord, $1.o.start, $1.slot) }
                var counts = Array(repeating: 0, count: slots.count)
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
                    guard covered >= required else { continue }
                    var lastWord = 0
                    var end = 0
                    for k in left...right where items[k].o.lastWord >= lastWord {
                        lastWord = items[k].o.lastWord
                        end = max(end, items[k].o.end)
                    }
                    if lastWord - items[left].o.firstWord + 1 <= concept.within {
                        emit(items[left].o, lastWord: lastWord, end: end, used: items[left...right].map(\.o)[...])
                    }
                }
            }
        }
        return out
    }

    /// Runs of spaces in `b` (word numbers between term occurrences: in the view the terms are
    /// matched on every non-ASCII byte reads as a space, so one word boundary may be several
    /// spaces), eight bytes at a time. `afterSpace`: the byte before `b` is a space.
    static func spaceRuns(in b: UnsafeBufferPointer<UInt8>, afterSpace: Bool) -> Int {
        guard let base = b.baseAddress else { return 0 }
        var count = 0
        var i = 0
        let n = b.count
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var carry: UInt64 = afterSpace ? 0x80 : 0
        while i + 8 <= n {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            // Bytes equal to 0x20 become 0x00; flag zero bytes exactly (no false positives), then
            // keep the flags whose previous byte (little-endian: the next lower one) is no space.
            let x = word ^ (0x20 &* ones)
            let spaces = ~(((x & ~highs) &+ ~highs) | x | ~highs)
            count += (spaces & ~((spaces << 8) | carry)).nonzeroBitCount
            carry = spaces >> 56
            i += 8
        }
        var previousIsSpace = carry != 0
        while i < n {
            let isSpace = base[i] == 0x20
            if isSpace && !previousIsSpace { count += 1 }
            previousIsSpace = isSpace
            i += 1
        }
        return count
    }

    /// Occurrences of a phrase: one occurrence of every piece, each starting on the word after
    /// the previous one ends. Piece lists are in text order; a chain branches only where terms
    /// of one piece start on the same word.
    private static func chain(_ pieces: [[Occurrence]], into out: inout [Occurrence]) {
        guard pieces.count > 1 else { out += pieces[0]; return }
        func firstStarting(at word: Int, in list: [Occurrence]) -> Int {
            var lo = 0
            var hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if list[mid].firstWord < word { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        func extend(_ head: Occurrence, _ k: Int) {
            if k == pieces.count { out.append(head); return }
            let list = pieces[k]
            var i = firstStarting(at: head.lastWord + 1, in: list)
            while i < list.count && list[i].firstWord == head.lastWord + 1 {
                var next = head
                next.end = list[i].end
                next.lastWord = list[i].lastWord
                extend(next, k + 1)
                i += 1
            }
        }
        for head in pieces[0] { extend(head, 1) }
    }
}

/// Ids for distinct keys, in first-seen order.
private struct Interner<Key: Hashable> {
    private(set) var keys: [Key] = []
    private var ids: [Key: Int] = [:]

    /// The key's id, and whether it was seen for the first time.
    mutating func id(_ key: Key) -> (id: Int, isNew: Bool) {
        if let id = ids[key] { return (id, false) }
        ids[key] = keys.count
        keys.append(key)
        return (keys.count - 1, true)
    }
}

/// Lists of small integers stored flat (one array of values and where each list begins):
/// reading a list does not retain and release an inner array, as `[[Int]]` does on each access
/// (most of the concept evaluation's cost at 1 KiB, with the allocations `Bits` replaced).
struct FlatLists: Sendable {
    private let bounds: [Int]
    let values: [Int]

    init(_ lists: [[Int]]) {
        var bounds = [0]
        bounds.reserveCapacity(lists.count + 1)
        for list in lists { bounds.append(bounds.last! + list.count) }
        self.bounds = bounds
        values = lists.flatMap { $0 }
    }

    var count: Int { bounds.count - 1 }

    /// Where list `i` lies in `values`.
    @inline(__always) func indices(_ i: Int) -> Range<Int> { bounds[i]..<bounds[i + 1] }

    func list(_ i: Int) -> ArraySlice<Int> { values[indices(i)] }
}

/// A fixed-size set of small integers (per scan: no array of arrays to allocate and release).
private struct Bits {
    private var words: [UInt64]

    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

    subscript(i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }

    /// Adds `i`; true when it was not there yet.
    mutating func insert(_ i: Int) -> Bool {
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[i >> 6] & bit == 0 else { return false }
        words[i >> 6] |= bit
        return true
    }
}

/// The evaluator's four per-scan bit sets (pieces hit, phrases checked, phrases complete,
/// slots seen) in one allocation: at 1 KiB, allocations were a measurable part of a scan.
private struct ScanBits {
    private var words: [UInt64]
    private let phraseBase: Int, completeBase: Int, slotBase: Int

    init(pieces: Int, phrases: Int, slots: Int) {
        let p = (pieces + 63) / 64, f = (phrases + 63) / 64, s = (slots + 63) / 64
        words = [UInt64](repeating: 0, count: p + 2 * f + s)
        phraseBase = p
        completeBase = p + f
        slotBase = p + 2 * f
    }

    @inline(__always) private mutating func insert(_ base: Int, _ i: Int) -> Bool {
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[base + (i >> 6)] & bit == 0 else { return false }
        words[base + (i >> 6)] |= bit
        return true
    }
    @inline(__always) private func contains(_ base: Int, _ i: Int) -> Bool { words[base + (i >> 6)] & (1 << UInt64(i & 63)) != 0 }

    mutating func insertPiece(_ i: Int) -> Bool { insert(0, i) }
    func pieceHit(_ i: Int) -> Bool { contains(0, i) }
    mutating func insertChecked(_ i: Int) -> Bool { insert(phraseBase, i) }
    mutating func insertComplete(_ i: Int) { _ = insert(completeBase, i) }
    func phraseComplete(_ i: Int) -> Bool { contains(completeBase, i) }
    mutating func insertSlot(_ i: Int) -> Bool { insert(slotBase, i) }
}
