/// Finds the concept rules' terms in a padded prose view by looking words up, instead of a
/// literal automaton: one pass over the words hashes each word and probes a table with it
/// and with the pair it makes with the previous word (and, for the few words that may begin a
/// stem, with their prefixes). It reports what a literal database of `ConceptTerm.pattern`
/// would (`(term, end)`: every place where a space, the term's literal and, unless the term
/// is a stem, another space occur); `TermIndexTests` holds it to Vectorscan on every built-in
/// term.
///
/// Why this is exact: a literal has no leading space and single spaces between its words, so
/// an occurrence starts at a word of the view (a byte after a space), its first word is that
/// word, and its second word (if any) the next one, one space later. A term is filed under its
/// first word (one word) or its first two words (more), a stem under the prefix it allows;
/// every candidate found by a key is confirmed byte by byte. Keys are of four forms: a word
/// ("you"), a stem ("instruct"), a pair ("you were", for "you were given" too), a pair ending
/// in a stem ("you instruct*").
///
/// Cost per word, not per byte, growing slowly with the number of terms (four times the terms,
/// all filed under keys the built-in ones use: 1.45 times the time): a word's end is
/// found eight bytes at a time, its hash is one multiply per eight bytes, and a bit filter
/// stands in front of every table probe (most words are no term's key). Stems (dozens) are
/// probed only for words whose first three bytes begin some stem. Measured: as fast as the
/// Vectorscan literal database it replaced in whole scans (6,154 terms), with nothing to
/// compile (docs/benchmarks.md).
struct TermIndex: Sendable {
    /// A term filed under a key: its id and where its literal lies in `literalBytes`.
    private struct Candidate {
        var term: Int32
        var offset: Int32
        var length: Int32
        var stem: Bool
    }
    /// Every literal, one after another (no array per term to reach through on a probe).
    private let literalBytes: [UInt8]
    /// The candidates of every key, list after list (`listBounds` gives each list's range).
    private let candidates: [Candidate]
    /// Open addressing: key hash (0 = empty) and the list of terms filed under it.
    private let keys: [UInt64]
    private let lists: [Int32]
    /// Where each list's candidates begin in `candidates` (one more entry than lists).
    private let listBounds: [Int32]
    private let tableShift: UInt64
    /// Bit filter over every key hash (at least 64 Ki bits, about 12 bits a key): its low bits.
    private let filter: [UInt64]
    private let filterMask: UInt64
    /// One 64-bit block per word hash (`blockMix`), read once per word of the text: a bit says
    /// the word may be a one-word key, another that it may begin a pair (so the pair it makes
    /// with the next word is probed only then). Most words of prose are neither or only one of
    /// them; the old way took two filter reads a word, each a likely cache miss once the rule
    /// databases have had the cache.
    private let wordBlocks: [UInt64]
    private let blockMask: UInt64
    /// Per prefix length (1...256): bit 0 a one-word stem has it, bit 1 a pair's stem word.
    private let stemLengths: [UInt8]
    /// The longest stem (of one word, or a pair's second word).
    private let longestStem: Int
    /// Bits by a word's first three bytes (`gateIndex`): a stem of three or more bytes (of one
    /// word, or a pair's second word) may begin so. Stems are few (dozens), so most words probe
    /// no prefix at all.
    private let stemGate: [UInt64]

    @inline(__always) private static func gateIndex(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        Int(a & 31) << 10 | Int(b & 31) << 5 | Int(c & 31)
    }

    /// Hash of `count` bytes of `b` from `start`: eight-byte little-endian chunks (the last
    /// one filled with zeros), one multiply each, with the length mixed in.
    @inline(__always) static func hash(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
        var p = start
        var left = count
        while left > 0 {
            var chunk: UInt64
            if p + 8 <= b.count {
                chunk = UnsafeRawPointer(b.baseAddress! + p).loadUnaligned(as: UInt64.self)
                if left < 8 { chunk &= (1 << UInt64(left * 8)) &- 1 }
            } else {
                chunk = 0
                for k in 0..<min(left, 8) { chunk |= UInt64(b[p + k]) << UInt64(k * 8) }
            }
            h = (h ^ chunk) &* 0xC2B2_AE3D_27D4_EB4F
            h ^= h >> 29
            p += 8
            left -= 8
        }
        return h
    }

    /// Table keys of the four forms (never 0, the empty slot).
    @inline(__always) private static func finished(_ x: UInt64) -> UInt64 {
        var k = x &* 0xFF51_AFD7_ED55_8CCD
        k ^= k >> 32
        return k == 0 ? 1 : k
    }
    @inline(__always) static func wordKey(_ h: UInt64) -> UInt64 { finished(h &+ 0x1F) }
    /// A word's block index (low bits) and its two bits in the block (`wordBit`, `pairFirstBit`).
    @inline(__always) static func blockMix(_ h: UInt64) -> UInt64 { finished(h &+ 0x5B) }
    @inline(__always) static func wordBit(_ m: UInt64) -> UInt64 { 1 << (m >> 58) }
    @inline(__always) static func pairFirstBit(_ m: UInt64) -> UInt64 { 1 << ((m >> 52) & 63) }
    @inline(__always) static func stemKey(_ h: UInt64) -> UInt64 { finished(h &+ 0x2E) }
    @inline(__always) static func pairKey(_ first: UInt64, _ second: UInt64) -> UInt64 {
        finished(first &* 0x94D0_49BB_1331_11EB &+ second &+ 0x3D)
    }
    @inline(__always) static func pairStemKey(_ first: UInt64, _ second: UInt64) -> UInt64 {
        finished(first &* 0x94D0_49BB_1331_11EB &+ second &+ 0x4C)
    }

    init(_ terms: [ConceptTerm]) {
        var listOfKey: [UInt64: Int] = [:]
        var termLists: [[Int]] = []
        var stemLengths = [UInt8](repeating: 0, count: ConceptEvaluator.maxTermBytes + 2)
        var stemGate = [UInt64](repeating: 0, count: (1 << 15) / 64)
        var longestStem = 0
        func gate(_ s: [UInt8]) {
            longestStem = max(longestStem, s.count)
            guard s.count >= 3 else { return }
            let g = Self.gateIndex(s[0], s[1], s[2])
            stemGate[g >> 6] |= 1 << UInt64(g & 63)
        }
        var wordMarks: [(hash: UInt64, pairFirst: Bool)] = []
        for (id, term) in terms.enumerated() {
            let literal = term.literal
            // A literal with bytes outside ASCII never occurs in the padded view (they read as spaces).
            guard !literal.isEmpty, literal[0] != 0x20, literal.allSatisfy({ $0 < 0x80 }) else { continue }
            let words = literal.split(separator: 0x20, omittingEmptySubsequences: false).map(Array.init)
            func h(_ word: [UInt8]) -> UInt64 { word.withUnsafeBufferPointer { Self.hash($0, 0, $0.count) } }
            let key: UInt64
            if words.count == 1 {
                key = term.stem ? Self.stemKey(h(literal)) : Self.wordKey(h(literal))
                if !term.stem { wordMarks.append((h(literal), false)) }
                if term.stem { stemLengths[literal.count] |= 1; gate(literal) }
            } else if words.count == 2 && term.stem {
                key = Self.pairStemKey(h(words[0]), h(words[1]))
                wordMarks.append((h(words[0]), true))
                stemLengths[words[1].count] |= 2
                gate(words[1])
            } else {
                key = Self.pairKey(h(words[0]), h(words[1]))
                wordMarks.append((h(words[0]), true))
            }
            if let list = listOfKey[key] {
                termLists[list].append(id)
            } else {
                listOfKey[key] = termLists.count
                termLists.append([id])
            }
        }
        var capacity = 16
        while capacity < listOfKey.count * 2 { capacity *= 2 }
        let shift = UInt64(64 - capacity.trailingZeroBitCount)
        var keys = [UInt64](repeating: 0, count: capacity)
        var lists = [Int32](repeating: -1, count: capacity)
        var filterBits = 16
        while 1 << filterBits < listOfKey.count * 12 { filterBits += 1 }
        let filterMask = UInt64(1 << filterBits) - 1
        var filter = [UInt64](repeating: 0, count: 1 << (filterBits - 6))
        for (key, list) in listOfKey {
            var slot = Int(key >> shift)
            while keys[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            keys[slot] = key
            lists[slot] = Int32(list)
            let bit = key & filterMask
            filter[Int(bit >> 6)] |= 1 << (bit & 63)
        }
        // One or two marked words a block (about 1.5 to 3 bits in a hundred set), so the blocks
        // stay small enough for the cache (at most 64 KiB for the built-in terms).
        let distinctMarks = Set(wordMarks.map { $0.hash << 1 | ($0.pairFirst ? 1 : 0) }).count
        var blockCount = 64
        while blockCount * 2 < distinctMarks { blockCount *= 2 }
        var wordBlocks = [UInt64](repeating: 0, count: blockCount)
        let blockMask = UInt64(blockCount - 1)
        for mark in wordMarks {
            let m = Self.blockMix(mark.hash)
            wordBlocks[Int(m & blockMask)] |= mark.pairFirst ? Self.pairFirstBit(m) : Self.wordBit(m)
        }
        self.wordBlocks = wordBlocks
        self.blockMask = blockMask
        self.keys = keys
        self.lists = lists
        var literalBytes: [UInt8] = []
        var candidates: [Candidate] = []
        var listBounds: [Int32] = [0]
        for list in termLists { listBounds.append(listBounds.last! + Int32(list.count)) }
        self.listBounds = listBounds
        for id in termLists.flatMap({ $0 }) {
            candidates.append(Candidate(term: Int32(id), offset: Int32(literalBytes.count), length: Int32(terms[id].literal.count),
                                        stem: terms[id].stem))
            literalBytes += terms[id].literal
        }
        // Padding, so that `equal` may read eight bytes from any literal's last bytes.
        self.literalBytes = literalBytes + [UInt8](repeating: 0, count: 8)
        self.candidates = candidates
        self.tableShift = shift
        self.filter = filter
        self.filterMask = filterMask
        self.longestStem = longestStem
        self.stemLengths = stemLengths
        self.stemGate = stemGate
    }

    /// The view `hits` reads: a prose view with a space at either end and every byte outside
    /// ASCII read as a space, so a term glued to an emoji or to a letter of another script
    /// ("😀ignore") is still a word, as `\b` sees it. Offsets are one more than in `prose`.
    static func padded(_ prose: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: prose.count + 2) { out, count in
            out[0] = 0x20
            prose.withUnsafeBufferPointer { src in
                for k in 0..<src.count { out[k + 1] = src[k] < 0x80 ? src[k] : 0x20 }
            }
            out[prose.count + 1] = 0x20
            count = prose.count + 2
        }
    }

    /// Bytes of the tables a lookup reads (keys, lists, filter, stem lengths), for profiles.
    var tableBytes: Int {
        keys.count * 8 + lists.count * 4 + listBounds.count * 4 + candidates.count * MemoryLayout<Candidate>.stride
            + literalBytes.count + filter.count * 8 + wordBlocks.count * 8 + stemLengths.count + stemGate.count * 8
    }

    /// Term hits `(term, end)` in `padded` (a prose view with a space at either end and every
    /// byte outside ASCII read as a space), at most `limit` of them; `truncated` when more were
    /// there.
    func hits(in padded: [UInt8], limit: Int, truncated: inout Bool) -> [(term: Int, end: Int)] {
        var out: [(term: Int, end: Int)] = []
        guard !candidates.isEmpty, padded.last == 0x20 else { return out }
        // Prose has about one hit per 50 bytes: one allocation instead of a doubling series.
        out.reserveCapacity(min(limit, padded.count / 32 + 16))
        var full = false
        padded.withUnsafeBufferPointer { b in
            stemLengths.withUnsafeBufferPointer { stemLengths in
              stemGate.withUnsafeBufferPointer { stemGate in
               wordBlocks.withUnsafeBufferPointer { blocks in
                guard let base = b.baseAddress else { return }
                let n = b.count
                let ones: UInt64 = 0x0101_0101_0101_0101
                let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
                let shortStems = stemLengths[1] | stemLengths[2]
                var i = 0
                // The previous word's hash, where it starts, and where the next word must start
                // to make a pair with it (one space after it).
                var previous: UInt64 = 0
                var previousStart = 0
                var pairStart = -1
                // Whether the previous word may begin a pair (its block says so).
                var previousPairs = false
                while i < n && !full {
                    if b[i] == 0x20 { i += 1; continue }
                    let start = i
                    // The word's end: the first space, eight bytes at a time (the view ends with one).
                    var end = start
                    while true {
                        guard end + 8 <= n else {
                            while b[end] != 0x20 { end += 1 }
                            break
                        }
                        let x = UnsafeRawPointer(base + end).loadUnaligned(as: UInt64.self) ^ (0x20 &* ones)
                        let spaces = ~(((x & lows) &+ lows) | x | lows) // high bit of each 0x20 byte, exactly
                        if spaces != 0 { end += spaces.trailingZeroBitCount >> 3; break }
                        end += 8
                    }
                    let length = end - start
                    let word = Self.hash(b, start, length)
                    let mix = Self.blockMix(word)
                    let block = blocks[Int(mix & blockMask)]
                    let paired = start == pairStart && previousPairs
                    // Stems the word may begin: gated by its first three bytes (and the rare
                    // stems shorter than that by their lengths alone).
                    var allowed: UInt8 = 0
                    if length >= 3 {
                        let g = Self.gateIndex(b[start], b[start + 1], b[start + 2])
                        if stemGate[g >> 6] & (1 << UInt64(g & 63)) != 0 { allowed = 3 }
                    }
                    if shortStems != 0 { allowed |= shortStems }
                    if allowed != 0 {
                        for l in 1...min(length, longestStem) {
                            let flags = stemLengths[l] & (l < 3 ? shortStems : allowed)
                            guard flags != 0 else { continue }
                            let prefix = l == length ? word : Self.hash(b, start, l)
                            if flags & 1 != 0 { probe(Self.stemKey(prefix), at: start, b, limit, &out, &full) }
                            if flags & 2 != 0 && paired { probe(Self.pairStemKey(previous, prefix), at: previousStart, b, limit, &out, &full) }
                        }
                    }
                    if block & Self.wordBit(mix) != 0 { probe(Self.wordKey(word), at: start, b, limit, &out, &full) }
                    if paired { probe(Self.pairKey(previous, word), at: previousStart, b, limit, &out, &full) }
                    previousPairs = block & Self.pairFirstBit(mix) != 0
                    previous = word
                    previousStart = start
                    pairStart = end + 1
                    i = end + 1
                }
               }
              }
            }
        }
        if full { truncated = true }
        return out
    }

    /// Whether `count` bytes of `literals` from `offset` equal those of `b` from `start` (both
    /// in bounds): eight bytes at a time while both sides have eight (`literalBytes` ends with
    /// eight bytes of padding, so only the text's end falls back to single bytes).
    @inline(__always)
    private static func equal(_ literals: UnsafeBufferPointer<UInt8>, _ offset: Int, _ b: UnsafeBufferPointer<UInt8>,
                              _ start: Int, _ count: Int) -> Bool {
        guard let l = literals.baseAddress, let t = b.baseAddress else { return count == 0 }
        var j = 0
        while j + 8 <= count {
            guard UnsafeRawPointer(l + offset + j).loadUnaligned(as: UInt64.self)
                    == UnsafeRawPointer(t + start + j).loadUnaligned(as: UInt64.self) else { return false }
            j += 8
        }
        let left = count - j
        guard left > 0 else { return true }
        if start + j + 8 <= b.count {
            let mask: UInt64 = (1 << UInt64(left * 8)) &- 1
            let x = UnsafeRawPointer(l + offset + j).loadUnaligned(as: UInt64.self)
            let y = UnsafeRawPointer(t + start + j).loadUnaligned(as: UInt64.self)
            return (x ^ y) & mask == 0
        }
        while j < count {
            guard l[offset + j] == t[start + j] else { return false }
            j += 1
        }
        return true
    }

    /// Appends the terms filed under `key` that occur at `start` of `b`.
    @inline(__always)
    private func probe(_ key: UInt64, at start: Int, _ b: UnsafeBufferPointer<UInt8>, _ limit: Int,
                       _ out: inout [(term: Int, end: Int)], _ full: inout Bool) {
        let bit = key & filterMask
        guard filter[Int(bit >> 6)] & (1 << (bit & 63)) != 0 else { return }
        var slot = Int(key >> tableShift)
        while keys[slot] != key {
            if keys[slot] == 0 { return }
            slot = (slot + 1) & (keys.count - 1)
        }
        literalBytes.withUnsafeBufferPointer { literals in
            let list = Int(lists[slot])
            for k in Int(listBounds[list])..<Int(listBounds[list + 1]) {
                let c = candidates[k]
                let length = Int(c.length)
                let end = start + length
                guard end < b.count || (c.stem && end == b.count) else { continue }
                guard Self.equal(literals, Int(c.offset), b, start, length), c.stem || b[end] == 0x20 else { continue }
                if out.count >= limit { full = true; return }
                out.append((Int(c.term), c.stem ? end : end + 1))
            }
        }
    }
}
