/// Words glued together by case alone ("ignoreAllPreviousInstructions", "USAIgnore your
/// instructions") read as one word in the prose view, which is lower case. This reads them apart:
/// a case change inside a run of ASCII letters of the plain view (which keeps ASCII case) starts
/// a new word, at a lower-to-upper change ("ignore|All") and before the last capital of a run of
/// capitals that a lower-case letter follows ("USA|Ignore"; not "APIs", a plural).
///
/// The split reading is a second reading, scanned only around the words it splits (see
/// `windows`): the first stays as it is, because text in alternating case ("IgNoRe aLl") reads
/// right only glued. Names that end in capitals and that the rules write glued ("OpenAI",
/// "ChatGPT") stay glued in it; a text with such a name is read apart a third time with every
/// case change split ("FreeGPT" as "free gpt"). A text is read apart only when one of its splits
/// touches a part that is a word of the rules ("ignore", "all"): a split between words no rule
/// names changes no match.
struct CaseSplitVocabulary: Sendable {
    /// Words of the rules' prose and plain patterns, concept terms and `not_after` phrases, as skeletons.
    private let words: Set<[UInt8]>
    /// Stems of concept terms (`instruct*`), as skeletons.
    private let stems: [[UInt8]]
    /// Runs of three or more letters of the patterns, which may be pieces of the words they
    /// match (`ignor(e|ing)`, `instructions?`): sorted, and as a set.
    private let pieces: [[UInt8]]
    private let pieceSet: Set<[UInt8]>
    static let shortestPiece = 3

    init(patterns: [String], terms: [ConceptTerm], phrases: [[UInt8]]) {
        var words = Set<[UInt8]>()
        var stems = Set<[UInt8]>()
        for pattern in patterns { for word in Self.letterRuns(pattern) { words.insert(word) } }
        pieceSet = words.filter { $0.count >= Self.shortestPiece }
        pieces = pieceSet.sorted { $0.lexicographicallyPrecedes($1) }
        for term in terms {
            let parts = term.literal.split(separator: 0x20, omittingEmptySubsequences: true).map(Array.init)
            for (k, part) in parts.enumerated() {
                if term.stem && k == parts.count - 1 { stems.insert(part) } else { words.insert(part) }
            }
        }
        for phrase in phrases {
            for part in phrase.split(separator: 0x20, omittingEmptySubsequences: true) { words.insert(Array(part)) }
        }
        self.words = words
        self.stems = stems.sorted { $0.lexicographicallyPrecedes($1) }
        // What a word cut by punctuation may join into (`readsJoined`), as hashes: a cut word
        // is looked up without building it.
        var joined = Set<UInt64>()
        for word in words where word.count >= 4 {
            joined.insert(Self.joinedHash(word))
            for ending in Self.endings { joined.insert(Self.joinedHash(word + ending)) }
        }
        joinedHashes = HashSet64(joined)
        stemHashes = HashSet64(stems.filter { $0.count >= 5 }.map(Self.joinedHash))
        // What a glued run may be cut into (`GluedWords`): every word of two letters or more,
        // those of three or more with a common ending, and stems alone or with an ending.
        var pieces = Set<UInt64>()
        for word in words where word.count >= 2 {
            pieces.insert(Self.joinedHash(word))
            if word.count >= 3 { for ending in Self.endings { pieces.insert(Self.joinedHash(word + ending)) } }
        }
        for stem in stems where stem.count >= 3 {
            pieces.insert(Self.joinedHash(stem))
            for ending in Self.stemEndings { pieces.insert(Self.joinedHash(stem + ending)) }
        }
        segmentHashes = HashSet64(pieces)
    }

    /// Hashes (`joinedHash`) of the pieces a glued run may be cut into (`segments`).
    private let segmentHashes: HashSet64

    /// True when skeleton letters with `joinedHash` `hash` are a piece a glued run may be cut into.
    @inline(__always) func segments(_ hash: UInt64) -> Bool { segmentHashes.contains(hash) }

    /// Endings after a concept stem in a glued run ("instruct" + "ions").
    static let stemEndings: [[UInt8]] = ["e", "es", "ed", "ing", "ion", "ions", "ive", "s", "er", "ers", "or", "ors", "y", "ies"].map { Array($0.utf8) }

    /// Hashes of the words a cut word may read as (`readsJoined`), and of the stems it may begin with.
    private let joinedHashes: HashSet64
    private let stemHashes: HashSet64

    /// FNV-1a of skeleton letters, one step (`joinedHash` of a word is every step from `joinedSeed`).
    static let joinedSeed: UInt64 = 0xCBF2_9CE4_8422_2325
    @inline(__always) static func joinedStep(_ h: UInt64, _ skeletonByte: UInt8) -> UInt64 { (h ^ UInt64(skeletonByte)) &* 0x100_0000_01B3 }
    static func joinedHash(_ skeleton: [UInt8]) -> UInt64 { skeleton.reduce(joinedSeed, joinedStep) }

    /// Runs of letters in a pattern (as its database compiles it), escapes skipped, lower case and
    /// (with `skeleton`) with `l` as `i`: the words the pattern may need a text to have as words
    /// ("(ignore|disregard) all" gives three). Class members and flags give a few fragments too;
    /// a fragment only makes a split count or not.
    static func letterRuns(_ pattern: String, skeleton: Bool = true) -> [[UInt8]] {
        var runs: [[UInt8]] = []
        var run: [UInt8] = []
        var skip = 0
        let bytes = Array(pattern.utf8)
        for (k, b) in bytes.enumerated() {
            if skip > 0 { skip -= 1; if !run.isEmpty { runs.append(run); run = [] }; continue }
            if b == 0x5C { // a backslash: the next byte is an escape, `\x` two more
                skip = k + 1 < bytes.count && bytes[k + 1] == 0x78 ? 3 : 1
                if !run.isEmpty { runs.append(run); run = [] }
                continue
            }
            let lower = FastViews.lowerTable[Int(b)]
            if lower >= 0x61 && lower <= 0x7A {
                run.append(skeleton && lower == 0x6C ? 0x69 : lower)
            } else if !run.isEmpty {
                runs.append(run)
                run = []
            }
        }
        if !run.isEmpty { runs.append(run) }
        return runs
    }

    /// True when `part` (lower-case skeleton letters) is a word of the rules, begins with a stem,
    /// or (three letters or more) begins with a piece of a pattern or begins one ("ignoring" and
    /// `ignor(e|ing)`, "instruction" and `instructions?`).
    func knows(_ part: [UInt8]) -> Bool {
        if words.contains(part) { return true }
        if stems.contains(where: { part.count >= $0.count && part.starts(with: $0) }) { return true }
        guard part.count >= Self.shortestPiece else { return false }
        for length in Self.shortestPiece..<part.count where pieceSet.contains(Array(part[..<length])) { return true }
        // The first piece not below `part` begins with it if any does.
        var lo = 0, hi = pieces.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pieces[mid].lexicographicallyPrecedes(part) { lo = mid + 1 } else { hi = mid }
        }
        return lo < pieces.count && pieces[lo].starts(with: part)
    }

    /// True when `joined` (lower-case skeleton letters) is a word of the rules.
    func isWord(_ joined: [UInt8]) -> Bool { words.contains(joined) }

    /// Endings a word of the rules may take in a text ("ignores", "instructed").
    static let endings: [[UInt8]] = ["s", "es", "d", "ed", "ing", "ion", "ions", "ly", "er", "ers"].map { Array($0.utf8) }

    /// True when a word cut by punctuation reads, joined, as a word of the rules (`CutWords`): a
    /// word of a pattern, concept term or `not_after` phrase of four letters or more, one of them
    /// with a common ending, or a concept stem of five letters or more with at most three letters
    /// after it ("instruct" + "ion"; not a compound such as "system" + "wide"). `hash` is the
    /// `joinedHash` of the joined skeleton letters, `prefixes` that of its prefixes one, two and
    /// three letters shorter (0 where there is none).
    func readsJoined(hash: UInt64, prefixes: (UInt64, UInt64, UInt64)) -> Bool {
        joinedHashes.contains(hash) || stemHashes.contains(hash) || stemHashes.contains(prefixes.0)
            || stemHashes.contains(prefixes.1) || stemHashes.contains(prefixes.2)
    }

    var isEmpty: Bool { words.isEmpty && stems.isEmpty }
}

enum CaseSplit {
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    @inline(__always) static func isASCIILetter(_ b: UInt8) -> Bool { isUpper(b) || isLower(b) }

    /// The words of a plain view (runs of bytes the prose pass reads as a word: letters, digits,
    /// leetspeak symbols) with a capital after their first byte, as the prose pass finds them.
    static func casedWords(_ plain: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let cls = FastViews.classes
        var i = 0
        while i < plain.count {
            guard cls[Int(plain[i])] & 7 != 0 else { i += 1; continue }
            var end = i + 1
            var capital = false
            while end < plain.count, cls[Int(plain[end])] & 7 != 0 {
                if cls[Int(plain[end])] & 16 != 0 { capital = true }
                end += 1
            }
            if capital { out.append(i..<end) }
            i = end
        }
        return out
    }

    /// Where the case changes inside `words` of a plain view (ranges from `casedWords`, in
    /// order): the offsets a new word starts at, ascending; the case changes kept glued as names
    /// (`joined`, "Open|AI"); and whether a change touches a part the rules know (`live`; when
    /// false reading the text apart finds nothing the first reading does not).
    static func splits(_ plain: [UInt8], in words: [Range<Int>], _ vocabulary: CaseSplitVocabulary)
        -> (offsets: [Int], joined: [Int], live: Bool) {
        var offsets: [Int] = []
        var joined: [Int] = []
        var live = false
        for word in words {
            var i = word.lowerBound
            while i < word.upperBound {
                guard isASCIILetter(plain[i]) else { i += 1; continue }
                var end = i + 1
                var changes = false
                while end < word.upperBound, isASCIILetter(plain[end]) {
                    if isUpper(plain[end]) { changes = true }
                    end += 1
                }
                if changes, end - i > 2 { split(plain, i..<end, vocabulary, &offsets, &joined, &live) }
                i = end
            }
        }
        return (offsets, joined, live)
    }

    /// The case changes of one run of letters.
    private static func split(_ plain: [UInt8], _ run: Range<Int>, _ vocabulary: CaseSplitVocabulary,
                              _ offsets: inout [Int], _ joined: inout [Int], _ live: inout Bool) {
        var cuts: [Int] = []
        for k in run.lowerBound + 1..<run.upperBound {
            let before = plain[k - 1], here = plain[k]
            if isLower(before) && isUpper(here) {
                cuts.append(k)
            } else if isUpper(before) && isUpper(here) && k + 1 < run.upperBound && isLower(plain[k + 1])
                        && !(plain[k + 1] == 0x73 && k + 2 == run.upperBound) {
                cuts.append(k)
            }
        }
        guard !cuts.isEmpty else { return }
        func part(_ r: Range<Int>) -> [UInt8] {
            plain[r].map { b in let l = FastViews.lowerTable[Int(b)]; return l == 0x6C ? 0x69 : l }
        }
        var current = run.lowerBound..<cuts[0]
        for (c, cut) in cuts.enumerated() {
            let next = cut..<(c + 1 < cuts.count ? cuts[c + 1] : run.upperBound)
            if !live, vocabulary.knows(part(current)) || vocabulary.knows(part(next)) { live = true }
            // A name that ends in capitals and that the rules write glued stays glued: "OpenAI"
            // and "ChatGPT" read "openai" and "chatgpt" ("AsAnOpenAIEmployee": "as an openai
            // employee"); "systemPrompt" is read apart although "systemprompt" is a word too.
            if next.count >= 2, plain[next].allSatisfy(isUpper), vocabulary.isWord(part(current.lowerBound..<next.upperBound)) {
                joined.append(cut)
                current = current.lowerBound..<next.upperBound
                continue
            }
            offsets.append(cut)
            current = next
        }
    }

    /// A range of a plain view to read apart, and the splits in it (a range of the offsets).
    struct Window: Equatable {
        var bytes: Range<Int>
        var splits: Range<Int>
    }

    /// The ranges of a plain view to read apart: `radius` bytes either side of each split,
    /// widened to whole words (by at most `radius` bytes more), overlapping ones merged. A match
    /// that reads a split word apart lies within `radius` bytes of the split (a bound, like the
    /// longest match `refine` looks back for).
    static func windows(_ plain: [UInt8], _ offsets: [Int], radius: Int) -> [Window] {
        var out: [Window] = []
        // An edge moves at most `radius` bytes more to reach a word's edge: a longer word is cut
        // (a megabyte without a space must not be walked once per split).
        for (k, p) in offsets.enumerated() {
            var to = min(plain.count, p + radius)
            let ceiling = min(plain.count, to + radius)
            while to < ceiling && plain[to] != 0x20 { to += 1 }
            if let last = out.last, last.bytes.upperBound >= p - radius {
                out[out.count - 1] = Window(bytes: last.bytes.lowerBound..<max(last.bytes.upperBound, to), splits: last.splits.lowerBound..<k + 1)
                continue
            }
            var from = max(0, p - radius)
            let floor = max(0, from - radius)
            while from > floor && plain[from - 1] != 0x20 { from -= 1 }
            out.append(Window(bytes: from..<to, splits: k..<k + 1))
        }
        return out
    }

    /// A window of a plain view with a space before every split in it.
    static func apart(_ plain: [UInt8], _ window: Window, _ offsets: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(window.bytes.count + window.splits.count)
        var cursor = window.bytes.lowerBound
        for p in offsets[window.splits] {
            out += plain[cursor..<p]
            out.append(0x20)
            cursor = p
        }
        out += plain[cursor..<window.bytes.upperBound]
        return out
    }

    /// The same with origins: an inserted space has an empty origin at the capital it precedes,
    /// which is how a match that reads the split is told (`isSplitSpace`).
    static func apart(_ plain: NormalizedText, _ window: Window, _ offsets: [Int]) -> NormalizedText {
        var out = NormalizedText(capacity: window.bytes.count + window.splits.count, tracking: plain.tracking)
        var cursor = window.bytes.lowerBound
        for p in offsets[window.splits] {
            out.append(contentsOf: plain, cursor..<p)
            let at = Int(plain.starts[p])
            out.append(0x20, at, at)
            cursor = p
        }
        out.append(contentsOf: plain, cursor..<window.bytes.upperBound)
        return out
    }

    /// True when byte `k` of a view built from `apart` is a space it inserted.
    @inline(__always) static func isSplitSpace(_ view: NormalizedText, _ k: Int) -> Bool {
        view.bytes[k] == 0x20 && view.starts[k] == view.ends[k]
    }
}
