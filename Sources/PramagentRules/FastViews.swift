/// The views without origins, written with raw buffers: the common path (a text with no match
/// is normalised only this way). Must produce exactly the bytes of `TextNormalizer.plain` and
/// `.prose`; a differential test checks it.
enum FastViews {
    /// Byte classes: bit 0 letter (a-z, A-Z), bit 1 digit, bit 2 leet symbol, bit 3 ASCII
    /// whitespace, bit 4 capital (A-Z: the plain view keeps ASCII case; the prose view lower-cases),
    /// bit 5 a byte outside ASCII.
    static let classes: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for b in 0x61...0x7A { t[b] |= 1 }
        for b in 0x41...0x5A { t[b] |= 1 | 16 }
        for b in 0x80...0xFF { t[b] |= 1 | 32 } // UTF-8 bytes of non-ASCII letters count as letters (bit 5: not ASCII)
        for b in 0x30...0x39 { t[b] |= 2 }
        for b in [0x40, 0x24, 0x21, 0x7C] { t[b] |= 4 }
        for b in [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D] { t[b] |= 8 }
        return t
    }()

    /// Leet letter for a byte, 0 when none.
    static let leetTable: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for b in 0..<256 { t[b] = TextNormalizer.leet(UInt8(b)) ?? 0 }
        return t
    }()

    /// Plain-view byte of an ASCII byte: whitespace reads as a space, every other byte as itself
    /// (ASCII case is kept: the plain database is caseless, and the prose pass reads case changes
    /// inside words, see `CaseSplit`).
    static let plainTable: [UInt8] = (0..<256).map { b in classes[b] & 8 != 0 ? 0x20 : UInt8(b) }

    /// A-Z as a-z, every other byte as itself.
    static let lowerTable: [UInt8] = (0..<256).map { b in
        let v = UInt8(b)
        return v >= 0x41 && v <= 0x5A ? v | 0x20 : v
    }

    /// True when `text` has a byte outside ASCII.
    static func hasNonASCII(_ text: [UInt8]) -> Bool {
        text.withUnsafeBufferPointer { src in
            var high: UInt8 = 0
            for b in src { high |= b }
            return high >= 0x80
        }
    }

    /// The plain view without origins (the bytes of `TextNormalizer.plain`). ASCII bytes go
    /// through a table without branches: every byte is written, and the output advances unless
    /// it is a space after a space (whitespace at word breaks is unpredictable, and mispredicted
    /// branches were most of this pass's time). Other characters are folded one by one
    /// (`TextNormalizer.fold`): English prose with a few curly quotes or dashes stays on this
    /// path (it used to take the tracked normaliser, twice as slow for the whole scan).
    static func plainView(_ text: [UInt8]) -> [UInt8] {
        text.withUnsafeBufferPointer { src -> [UInt8] in
            let n = src.count
            // Folds of the non-ASCII characters with their lengths in the text, in order, and the
            // room they need beyond their own bytes (a fold may be longer: "ﬃ" is "ffi").
            var folds: [(bytes: [UInt8], length: Int)] = []
            var extra = 0
            if hasNonASCII(text) {
                var i = 0
                while i < n {
                    guard src[i] >= 0x80 else { i += 1; continue }
                    let (scalar, length) = TextNormalizer.decodeScalar(text, i)
                    let folded = TextNormalizer.fold(scalar)
                    extra += max(0, folded.count - length)
                    folds.append((folded, length))
                    i += length
                }
            }
            return plainTable.withUnsafeBufferPointer { table in
                [UInt8](unsafeUninitializedCapacity: n + extra) { out, count in
                    guard let base = out.baseAddress else { count = 0; return }
                    var o = 0
                    var lastWasSpace = 1 // a leading space is dropped
                    var i = 0
                    var next = 0 // index into `folds`
                    while i < n {
                        let b = src[i]
                        if b < 0x80 {
                            let v = table[Int(b)]
                            let isSpace = v == 0x20 ? 1 : 0
                            base[o] = v
                            o += 1 &- (isSpace & lastWasSpace)
                            lastWasSpace = isSpace
                            i += 1
                            continue
                        }
                        let (folded, length) = folds[next]
                        next += 1
                        i += length
                        if folded.count == 1 && folded[0] == 0x20 {
                            if lastWasSpace == 0 { base[o] = 0x20; o += 1; lastWasSpace = 1 }
                        } else if !folded.isEmpty {
                            for f in folded { base[o] = f; o += 1 }
                            lastWasSpace = 0
                        }
                    }
                    if o > 0 && base[o - 1] == 0x20 { o -= 1 }
                    count = o
                }
            }
        }
    }

    /// Prose view bytes from plain view bytes (same rules as `TextNormalizer.prose`).
    static func prose(_ plain: [UInt8]) -> [UInt8] { proseWithSentences(plain).bytes }

    /// True when byte `k` of a plain view ends a sentence: `.`, `!` or `?` before a space or the end.
    @inline(__always) static func endsSentence(_ src: UnsafeBufferPointer<UInt8>, _ k: Int) -> Bool {
        let b = src[k]
        return (b == 0x2E || b == 0x21 || b == 0x3F) && (k + 1 == src.count || src[k + 1] == 0x20)
    }

    /// The prose view and where its sentences begin: offsets of the spaces that follow a
    /// sentence end in the plain view (for concept rules, which stay inside one sentence).
    /// Empty when spaced letters were joined (offsets move; every text is then one sentence).
    /// `casedWords`: the words (ranges of `plain`) with a capital after their first byte, which
    /// may be words glued by case (see `CaseSplit`; without one there is nothing to read apart).
    /// `scrambled`: with `scrambles`, the words it reads as scrambles of the rules' words (the
    /// same as `ScrambleIndex.scrambles(in:)`, found in this pass instead of one of their own).
    static func proseWithSentences(_ plain: [UInt8], scrambles: ScrambleIndex? = nil)
        -> (bytes: [UInt8], sentenceBreaks: [Int], casedWords: [Range<Int>], scrambled: [(range: Range<Int>, word: [UInt8])]) {
        var scrambled: [(range: Range<Int>, word: [UInt8])] = []
        let letterValues = scrambles == nil ? Self.noValues : ScrambleIndex.letterValues
        var breaks: [Int] = []
        breaks.reserveCapacity(plain.count / 48 + 8) // a sentence every ~100 bytes of prose
        var casedWords: [Range<Int>] = []
        // One-letter words in a row so far: three or more are joined (`joinSpacedLetters`), which
        // then runs; ordinary prose hardly ever has three, so counting here spares it a pass.
        var singles = 0
        var spacedLetters = false
        let words = plain.withUnsafeBufferPointer { src in
            classes.withUnsafeBufferPointer { cls in
              letterValues.withUnsafeBufferPointer { values in
              lowerTable.withUnsafeBufferPointer { lower in
                leetTable.withUnsafeBufferPointer { leet in
                    [UInt8](unsafeUninitializedCapacity: src.count) { out, count in
                        let n = src.count
                        var o = 0
                        var lastWasSpace = true
                        var i = 0
                        while i < n {
                            let c = cls[Int(src[i])]
                            guard c & 7 != 0 else {
                                if endsSentence(src, i), o > 0, breaks.last != o - (lastWasSpace ? 1 : 0) {
                                    breaks.append(lastWasSpace ? o - 1 : o)
                                }
                                if !lastWasSpace { out[o] = 0x20; o += 1; lastWasSpace = true }
                                i += 1
                                continue
                            }
                            // The common case first: a word of letters only is copied as it is
                            // read (the output never runs ahead of the input, so `o + k - i` is
                            // in bounds); a word with digits or symbols is written again below.
                            var end = i
                            var seen: UInt8 = 0
                            var inner: UInt64 = 0
                            while end < n {
                                let ce = cls[Int(src[end])]
                                guard ce & 7 != 0 else { break }
                                seen |= ce
                                inner &+= values[Int(src[end])]
                                out[o + end - i] = lower[Int(src[end])]
                                end += 1
                            }
                            if let scrambles, seen & (6 | 32) == 0 {
                                scrambles.check(src, i..<end, inner: inner, lower: lower, values: values, into: &scrambled)
                            }
                            if seen & 16 != 0 {
                                for k in i + 1..<end where cls[Int(src[k])] & 16 != 0 { casedWords.append(i..<end); break }
                            }
                            if seen & 6 == 0 {
                                singles = end - i == 1 ? singles + 1 : 0
                                if singles >= 3 { spacedLetters = true }
                                o += end - i
                                lastWasSpace = false
                                i = end
                                continue
                            }
                            var wordEnd = end
                            while wordEnd > i + 2, src[wordEnd - 1] == 0x21 || src[wordEnd - 1] == 0x7C { wordEnd -= 1 }
                            var hasLetter = false
                            var hasSymbol = false
                            for k in i..<wordEnd {
                                let ck = cls[Int(src[k])]
                                if ck & 1 != 0 { hasLetter = true } else if ck & 4 != 0 { hasSymbol = true }
                            }
                            let convert = hasLetter || hasSymbol || wordEnd - i <= 2
                            if wordEnd > i {
                                let first = o
                                for k in i..<wordEnd {
                                    var b = lower[Int(src[k])]
                                    if convert, cls[Int(b)] & 1 == 0, leet[Int(b)] != 0 { b = leet[Int(b)] }
                                    out[o] = b
                                    o += 1
                                }
                                // A word in leetspeak that folds into a word of the rules is read as
                                // that word in the scramble reading (the plain view keeps the symbols).
                                if let scrambles, hasLetter, convert, seen & 32 == 0 {
                                    scrambles.checkLeet(out, first, i..<wordEnd, values: values, into: &scrambled)
                                }
                                singles = o - first == 1 && TextNormalizer.isLetter(out[first]) ? singles + 1 : 0
                                if singles >= 3 { spacedLetters = true }
                                lastWasSpace = false
                            }
                            if wordEnd < end {
                                if endsSentence(src, end - 1), o > 0, breaks.last != o - (lastWasSpace ? 1 : 0) {
                                    breaks.append(lastWasSpace ? o - 1 : o)
                                }
                                if !lastWasSpace { out[o] = 0x20; o += 1; lastWasSpace = true }
                            }
                            i = end
                        }
                        if o > 0 && out[o - 1] == 0x20 { o -= 1 }
                        count = o
                    }
                }
              }
              }
            }
        }
        guard spacedLetters else { return (words, breaks, casedWords, scrambled) }
        let joined = TextNormalizer.joinSpacedLetters(NormalizedText(untracked: words)).bytes
        return (joined, joined.count == words.count ? breaks : [], casedWords, scrambled)
    }

    /// Letter values when no scrambles are looked for (all zero).
    static let noValues = [UInt64](repeating: 0, count: 256)

    /// A short text (a concept term, a `not_after` phrase) read as the prose skeleton of a scan reads it.
    static func proseSkeleton(_ text: [UInt8]) -> [UInt8] { skeleton(prose(plainView(text))) }

    /// The prose skeleton: `l` reads as `i` (see `PatternDialect.prose`). Byte for byte, so
    /// origins do not change.
    static func skeleton(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { src in
            [UInt8](unsafeUninitializedCapacity: src.count) { out, count in
                for i in 0..<src.count { out[i] = src[i] == 0x6C ? 0x69 : src[i] }
                count = src.count
            }
        }
    }

    /// ROT13 of ASCII letters with a table.
    static let rot13Table: [UInt8] = (0..<256).map { b in
        let v = UInt8(b)
        if v >= 0x61 && v <= 0x7A { return (v - 0x61 + 13) % 26 + 0x61 }
        return v
    }

    static func rot13(_ bytes: [UInt8]) -> [UInt8] {
        rot13Table.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { src in
                [UInt8](unsafeUninitializedCapacity: src.count) { out, count in
                    for i in 0..<src.count { out[i] = t[Int(src[i])] }
                    count = src.count
                }
            }
        }
    }
}
