/// Words with their inner letters scrambled ("Ignroe all perivous isntructions"): a reader
/// reads them right when the first and the last letter stay ("typoglycemia"), and so must the
/// scanner. A word of the text of four or more letters whose first and last letters, length and
/// inner letters (in any order) are those of a word of the rules, but which is not that word, is
/// read as the rules' word in a second reading (`RuleEngine.scrambleReading`), around such words
/// only. One signature per word of the text: a sum of a random value per inner letter (the same
/// in any order) mixed with the length and the outer letters, looked up in a bit filter first.
struct ScrambleIndex: Sendable {
    /// Shortest word read: "yuor" is "your"; three letters have one inner letter, nothing to scramble.
    static let shortestWord = 4
    /// Longest word read (longer words are left as they are).
    static let longestWord = 32

    /// Value of a letter in the inner sum (a-z and A-Z alike; 0 for every other byte).
    static let letterValues: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 256)
        var state: UInt64 = 0x5DEE_CE66_D1CE_4E5B
        for b in 0x61...0x7A {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            t[b] = state | 1
            t[b - 0x20] = t[b]
        }
        return t
    }()

    /// Words of the rules by signature (open addressing: 0 = empty); each word's letters lie at
    /// `wordStarts[slot]` in `wordBytes` (its length is the signature's).
    private let keys: [UInt64]
    private let wordStarts: [Int32]
    private let wordBytes: [UInt8]
    private let mask: Int
    private let filter: [UInt64]
    private let filterMask: UInt64

    /// The index of `vocabulary`: words of letters a-z of `shortestWord...longestWord` letters.
    init(_ vocabulary: Set<[UInt8]>) {
        let usable = vocabulary.filter { w in
            w.count >= Self.shortestWord && w.count <= Self.longestWord && w.allSatisfy { $0 >= 0x61 && $0 <= 0x7A }
        }.sorted { $0.lexicographicallyPrecedes($1) }
        var size = 16
        while size < usable.count * 2 { size <<= 1 }
        var keys = [UInt64](repeating: 0, count: size)
        var wordStarts = [Int32](repeating: 0, count: size)
        var wordBytes: [UInt8] = []
        let filterBits = max(1 << 17, size * 16)
        var filter = [UInt64](repeating: 0, count: filterBits / 64)
        let filterMask = UInt64(filterBits - 1)
        for word in usable {
            let key = Self.signature(word[...])
            var slot = Int(truncatingIfNeeded: key >> 17) & (size - 1)
            while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & (size - 1) }
            // Two words of the rules with one signature ("united", "untied"): the first is kept
            // as the reading of the others' scrambles; a text word equal to either is no scramble.
            if keys[slot] == 0 {
                keys[slot] = key
                wordStarts[slot] = Int32(wordBytes.count)
                wordBytes += word
            }
            let bit = key & filterMask
            filter[Int(bit >> 6)] |= 1 << (bit & 63)
        }
        self.keys = keys
        self.wordStarts = wordStarts
        self.wordBytes = wordBytes
        self.mask = size - 1
        self.filter = filter
        self.filterMask = filterMask
        self.exactHashes = Set(usable.map { w in w.withUnsafeBufferPointer { Self.exactHash($0, 0..<w.count) } })
        self.shortWords = HashSet64(vocabulary.filter { w in
            w.count >= 2 && w.count < Self.shortestWord && w.allSatisfy { $0 >= 0x61 && $0 <= 0x7A }
        }.map { Self.shortKey($0[...]) })
    }

    /// Words of the rules of two or three letters ("the", "api", "ai"), for leet words only:
    /// too short to scramble, but "7he" and "4I" are written for them.
    private let shortWords: HashSet64

    /// The letters of a word of at most seven bytes and its length, packed.
    @inline(__always) static func shortKey<C: Collection>(_ word: C) -> UInt64 where C.Element == UInt8 {
        var key = UInt64(word.count)
        for b in word { key = key << 8 | UInt64(b) }
        return key
    }

    /// A hash of every word of the index, to tell a word from a scramble of it (a collision
    /// only leaves a scramble unread).
    private let exactHashes: Set<UInt64>

    var isEmpty: Bool { exactHashes.isEmpty }

    /// A hash of the letters of a word in order (either case).
    @inline(__always) static func exactHash(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for k in range { h = (h ^ UInt64(FastViews.lowerTable[Int(b[k])])) &* 0x100_0000_01B3 }
        return h
    }

    /// The signature of a word (letters in either case).
    static func signature(_ word: ArraySlice<UInt8>) -> UInt64 {
        var inner: UInt64 = 0
        for b in word.dropFirst().dropLast() { inner &+= letterValues[Int(b)] }
        return mix(inner, first: FastViews.lowerTable[Int(word.first!)], last: FastViews.lowerTable[Int(word.last!)], count: word.count)
    }

    @inline(__always) static func mix(_ inner: UInt64, first: UInt8, last: UInt8, count: Int) -> UInt64 {
        var h = inner ^ (UInt64(first) << 56 | UInt64(last) << 48 | UInt64(count))
        h = (h ^ (h >> 31)) &* 0x9E37_79B9_7F4A_7C15
        return (h ^ (h >> 29)) | 1
    }

    /// The scrambled words of a plain view: each word's range and the rules' word it reads as
    /// (same length), in order. Words of ASCII letters only (a word is what the prose pass reads
    /// as one: letters, digits and leetspeak symbols). The prose pass finds the same words
    /// (`FastViews.proseWithSentences(_:scrambles:)`); this is its reference and its stand-in
    /// when no prose pass runs.
    func scrambles(in plain: [UInt8]) -> [(range: Range<Int>, word: [UInt8])] {
        var out: [(range: Range<Int>, word: [UInt8])] = []
        plain.withUnsafeBufferPointer { src in
        Self.letterValues.withUnsafeBufferPointer { values in
        FastViews.lowerTable.withUnsafeBufferPointer { lower in
        FastViews.classes.withUnsafeBufferPointer { cls in
            let n = src.count
            var i = 0
            while i < n {
                guard cls[Int(src[i])] & 7 != 0 else { i += 1; continue }
                var end = i
                var inner: UInt64 = 0
                var seen: UInt8 = 0
                while end < n, cls[Int(src[end])] & 7 != 0 {
                    seen |= cls[Int(src[end])]
                    inner &+= values[Int(src[end])]
                    end += 1
                }
                if seen & (6 | 32) == 0 { check(src, i..<end, inner: inner, lower: lower, values: values, into: &out) }
                if seen & 6 != 0, seen & 32 == 0 { leetWord(src, i, end, cls: cls, lower: lower, values: values, into: &out) }
                i = end
            }
        }}}}
        return out
    }

    /// The prose pass's folding of a word with digits or leetspeak symbols (trailing `!` and `|`
    /// are punctuation; a word with a letter or a symbol is folded), then `checkLeet`.
    private func leetWord(_ src: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, cls: UnsafeBufferPointer<UInt8>,
                          lower: UnsafeBufferPointer<UInt8>, values: UnsafeBufferPointer<UInt64>,
                          into out: inout [(range: Range<Int>, word: [UInt8])]) {
        var wordEnd = end
        while wordEnd > i + 2, src[wordEnd - 1] == 0x21 || src[wordEnd - 1] == 0x7C { wordEnd -= 1 }
        guard (i..<wordEnd).contains(where: { cls[Int(src[$0])] & 1 != 0 }) else { return }
        var folded = [UInt8](repeating: 0, count: wordEnd - i)
        for k in i..<wordEnd {
            var b = lower[Int(src[k])]
            if cls[Int(b)] & 1 == 0, FastViews.leetTable[Int(b)] != 0 { b = FastViews.leetTable[Int(b)] }
            folded[k - i] = b
        }
        folded.withUnsafeMutableBufferPointer { checkLeet($0, 0, i..<wordEnd, values: values, into: &out) }
    }

    /// Appends word `range` of `src` to `out` when it scrambles a word of the rules (`inner`:
    /// the sum of the letter values of the whole word; letters only).
    @inline(__always) func check(_ src: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, inner: UInt64, lower: UnsafeBufferPointer<UInt8>,
                                 values: UnsafeBufferPointer<UInt64>, into out: inout [(range: Range<Int>, word: [UInt8])]) {
        let count = range.count
        guard count >= Self.shortestWord, count <= Self.longestWord else { return }
        let first = src[range.lowerBound], last = src[range.upperBound - 1]
        let key = Self.mix(inner &- values[Int(first)] &- values[Int(last)], first: lower[Int(first)], last: lower[Int(last)], count: count)
        guard let at = wordStart(key) else { return }
        // Most hits are the word itself ("your", "instructions"): compared in place.
        var same = true
        for k in 0..<count where lower[Int(src[range.lowerBound + k])] != wordBytes[at + k] { same = false; break }
        if !same, !exactHashes.contains(Self.exactHash(src, range)) { out.append((range, Array(wordBytes[at..<at + count]))) }
    }

    /// Where the word of the rules with signature `key` lies in `wordBytes` (nil: there is none).
    @inline(__always) private func wordStart(_ key: UInt64) -> Int? {
        let bit = key & filterMask
        guard filter[Int(bit >> 6)] & (1 << (bit & 63)) != 0 else { return nil }
        var slot = Int(truncatingIfNeeded: key >> 17) & mask
        while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & mask }
        return keys[slot] == key ? Int(wordStarts[slot]) : nil
    }
}

extension ScrambleIndex {
    /// A word written in leetspeak whose folding is a word of the rules ("promp7", "$Y$73M",
    /// "@55!$74n7"): `folded` is the word as the prose pass wrote it (lower case, leet folded,
    /// one byte for one), `range` the word in the plain view. The plain view keeps the leet
    /// characters (its rules read punctuation), so the word is read again as the rules' word in
    /// the scramble reading, like a scramble. Only an exact word: `1` folds to `i`, so a `1`
    /// written for `l` ("a11") reads no word here (the prose view's skeleton reads `l` as `i`).
    /// Words of two or three letters ("7he", "4I") are looked up whole in `shortWords`.
    @inline(__always) func checkLeet(_ folded: UnsafeMutableBufferPointer<UInt8>, _ from: Int, _ range: Range<Int>,
                                     values: UnsafeBufferPointer<UInt64>, into out: inout [(range: Range<Int>, word: [UInt8])]) {
        let count = range.count
        if count < Self.shortestWord {
            guard count >= 2 else { return }
            let word = UnsafeBufferPointer(rebasing: folded[from..<from + count])
            if shortWords.contains(Self.shortKey(word)) { out.append((range, Array(word))) }
            return
        }
        guard count <= Self.longestWord else { return }
        var inner: UInt64 = 0
        for k in from + 1..<from + count - 1 { inner &+= values[Int(folded[k])] }
        let first = folded[from], last = folded[from + count - 1]
        guard let at = wordStart(Self.mix(inner, first: first, last: last, count: count)) else { return }
        for k in 0..<count where folded[from + k] != wordBytes[at + k] { return }
        out.append((range, Array(wordBytes[at..<at + count])))
    }

    /// The words of the rules that read text: letter runs of every prose and plain pattern as
    /// written (escapes skipped), every word of a concept term and of a `not_after` phrase.
    init(rules: [Rule]) {
        var vocabulary = Set<[UInt8]>()
        func words(_ text: String) {
            for run in CaseSplitVocabulary.letterRuns(text, skeleton: false) { vocabulary.insert(run) }
        }
        for rule in rules where rule.view == .prose || rule.view == .plain {
            rule.patterns.forEach(words)
            rule.notAfter.forEach(words)
            rule.concept?.allTerms.forEach(words)
        }
        self.init(Self.withoutSlips(vocabulary))
    }

    /// `vocabulary` without the typing slips a concept term's `~` added ("irompt" of `prompt~`):
    /// read as words, they would turn words of the text into them ("import" scrambles "irompt").
    /// A word with `~` is told by its single deletions: four in five or more of them are words of
    /// the vocabulary too (of an ordinary word, hardly any are).
    static func withoutSlips(_ vocabulary: Set<[UInt8]>) -> Set<[UInt8]> {
        var out = vocabulary
        for word in vocabulary where word.count >= ConceptMatch.minTypoWord && word.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) {
            var deletions = Set<[UInt8]>()
            for i in word.indices { var d = word; d.remove(at: i); deletions.insert(d) }
            guard deletions.filter({ vocabulary.contains($0) }).count * 5 >= deletions.count * 4 else { continue }
            let term = String(decoding: word, as: UTF8.self) + "~"
            guard let variants = try? ConceptMatch.typoVariants(term) else { continue }
            for variant in variants.dropFirst() { out.remove(Array(variant.utf8)) }
        }
        return out
    }
}
