import Foundation
import Synchronization

/// The native view (`RuleView.native`): the text in its own script, for rules written in
/// scripts other than Latin. Linear in the input; a character's fold is cached.
extension TextNormalizer {
    /// The native view (see `RuleView.native`): the text in its own script. A character and the
    /// combining marks after it are folded together (so "й" written as "и" and a breve reads as
    /// "й"); every byte keeps the span of its whole character.
    public static func native(_ text: [UInt8], tracking: Bool = true) -> NormalizedText {
        var out = NormalizedText(capacity: text.count, tracking: tracking)
        var lastWasSpace = true
        var i = 0
        let n = text.count
        var cluster: [UInt32] = []
        // The words with both a Cyrillic letter and a Latin look-alike (offsets into `out`) get
        // `cyrillicLookalikesFolded`. (A struct, not a closure over `out`: captured locals were
        // boxed and checked for exclusive access on every byte.)
        var words = MixedWords()
        while i < n {
            let b = text[i]
            if b < 0x80 {
                if isASCIISpace(b) {
                    words.end(at: out.bytes.count)
                    if !lastWasSpace { out.append(0x20, i, i + 1); lastWasSpace = true }
                    words.start = out.bytes.count
                } else {
                    let lower = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
                    if lower >= 0x61 && lower <= 0x7A {
                        if cyrillicLookalike[Int(lower)] != nil { words.lookalike = true }
                        out.append(lower, i, i + 1)
                    } else {
                        words.end(at: out.bytes.count)
                        out.append(lower, i, i + 1)
                        words.start = out.bytes.count
                    }
                    lastWasSpace = false
                }
                i += 1
                continue
            }
            let (scalar, length) = decodeScalar(text, i)
            var end = i + length
            let marked = end < n && text[end] >= 0x80 && isCombiningMark(decodeScalar(text, end).0)
            if !marked, let identity = nativeIdentity(scalar) {
                // The common case: a letter the fold leaves as it is (or only lowers).
                if identity {
                    for k in i..<end { out.append(text[k], i, end) }
                } else {
                    for byte in String(Unicode.Scalar(scalar + 0x20)!).utf8 { out.append(byte, i, end) }
                }
                if scalar >= 0x0400 && scalar <= 0x04FF { words.cyrillic = true }
                lastWasSpace = false
                i = end
                continue
            }
            cluster.removeAll(keepingCapacity: true)
            cluster.append(scalar)
            while end < n, text[end] >= 0x80 {
                let (mark, markLength) = decodeScalar(text, end)
                guard isCombiningMark(mark) else { break }
                cluster.append(mark)
                end += markLength
            }
            let folded = cluster.count == 1 ? nativeFoldCached(scalar) : nativeFold(cluster)
            if folded.count == 1 && folded[0] == 0x20 {
                words.end(at: out.bytes.count)
                if !lastWasSpace { out.append(0x20, i, end); lastWasSpace = true }
                words.start = out.bytes.count
            } else if !folded.isEmpty {
                let punctuation = folded[0] < 0x80 && !(folded[0] >= 0x61 && folded[0] <= 0x7A)
                if punctuation { words.end(at: out.bytes.count) } // punctuation folded to ASCII ends a word
                for byte in folded { out.append(byte, i, end) }
                if punctuation { words.start = out.bytes.count }
                lastWasSpace = false
                if folded.contains(where: { $0 >= 0xD0 && $0 <= 0xD3 }) { words.cyrillic = true }
            }
            i = end
        }
        words.end(at: out.bytes.count)
        if out.bytes.last == 0x20 { out.removeLast() }
        return words.ranges.isEmpty ? out : cyrillicLookalikesFolded(out, words: words.ranges)
    }

    /// The word being written (does it have a Cyrillic letter, a Latin look-alike) and the words
    /// so far that had both.
    struct MixedWords {
        var cyrillic = false, lookalike = false
        var start = 0
        var ranges: [Range<Int>] = []

        @inline(__always) mutating func end(at offset: Int) {
            if cyrillic && lookalike { ranges.append(start..<offset) }
            cyrillic = false
            lookalike = false
        }
    }

    /// True when the native view of `text` has a character outside ASCII: some character is not
    /// one the fold turns into ASCII or removes (curly quotes, dashes, no-break spaces,
    /// zero-width characters). Native patterns always have one, so a text without cannot match
    /// them: English prose with typographic punctuation skips the view.
    static func nativeViewHasNonASCII(_ text: [UInt8]) -> Bool {
        var i = 0
        while i < text.count {
            guard text[i] >= 0x80 else { i += 1; continue }
            let (scalar, length) = decodeScalar(text, i)
            if nativeIdentity(scalar) != nil || nativeFoldCached(scalar).contains(where: { $0 >= 0x80 }) { return true }
            i += length
        }
        return false
    }

    /// For letters of the commonest scripts, what the fold does without computing it: true when
    /// the character stays as it is, false when it only lowers (Cyrillic А-Я, +0x20), nil when
    /// it must be folded (`nativeFold`). Chinese, Hangul, kana, Cyrillic а-я, Arabic, Hebrew,
    /// Devanagari and Thai letters are unchanged by NFKC and lower-casing.
    @inline(__always) static func nativeIdentity(_ v: UInt32) -> Bool? {
        switch v {
        case 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0x3041...0x3096, 0x30A1...0x30FA, 0x0430...0x0450, 0x0452...0x045F,
             0x0621...0x063A, 0x0641...0x0648, 0x064A, 0x05D0...0x05EA, 0x0905...0x0939, 0x0E01...0x0E30, 0x03B1...0x03C1, 0x03C3...0x03C9:
            return true
        case 0x0410...0x042F:
            return false
        default:
            return nil
        }
    }

    /// A mark that belongs to the character before it (general category Mn, Mc or Me). The
    /// Basic Multilingual Plane is looked up in a bit table made once (the property lookup was a
    /// tenth of a scan of text in other scripts).
    static func isCombiningMark(_ v: UInt32) -> Bool {
        if v < 0x10000 { return markBits[Int(v >> 6)] >> (v & 63) & 1 != 0 }
        return isMarkCategory(v)
    }

    static let markBits: [UInt64] = (0..<1024).map { word in
        var bits: UInt64 = 0
        for k in 0..<64 where isMarkCategory(UInt32(word * 64 + k)) { bits |= 1 << UInt64(k) }
        return bits
    }

    static func isMarkCategory(_ v: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(v) else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Latin letters that look Cyrillic (after lower-casing: a c e o p x y i j s, and the
    /// capitals' h b m t k), as the Cyrillic letters they pose as, inside words that also have a
    /// Cyrillic letter: "игнoрируй" with a Latin o reads "игнорируй". (The reverse of the prose
    /// view's confusable folding, which reads Cyrillic look-alikes in Latin words as Latin.)
    /// `words`: the ranges of `view` with both kinds of letter, ascending.
    static func cyrillicLookalikesFolded(_ view: NormalizedText, words: [Range<Int>]) -> NormalizedText {
        let b = view.bytes
        var out = NormalizedText(capacity: b.count + 16, tracking: view.tracking)
        var k = 0
        for word in words {
            out.append(contentsOf: view, k..<word.lowerBound)
            for m in word {
                if b[m] < 0x80, let cyrillic = cyrillicLookalike[Int(b[m])] {
                    for byte in cyrillic { out.append(byte, from: view, m) }
                } else {
                    out.append(b[m], from: view, m)
                }
            }
            k = word.upperBound
        }
        out.append(contentsOf: view, k..<b.count)
        return out
    }

    /// UTF-8 of the Cyrillic letter each lower-case Latin look-alike stands for.
    static let cyrillicLookalike: [[UInt8]?] = {
        var table = [[UInt8]?](repeating: nil, count: 128)
        for (latin, cyrillic) in zip("aceopxyijshbmtk", "асеорхуіјѕнвмтк") {
            table[Int(latin.asciiValue!)] = Array(String(cyrillic).utf8)
        }
        return table
    }()

    /// Dropped from the native view besides the invisible characters: Arabic harakat (optional
    /// vowel signs), the superscript alef and the tatweel (a stretching stroke, U+0640), which
    /// otherwise split or hide words.
    static func isNativeIgnorable(_ v: UInt32) -> Bool {
        isIgnorable(v) || (0x064B...0x065F).contains(v) || v == 0x0670 || v == 0x0640
    }

    /// One character (a scalar and its combining marks) as the native view writes it: NFKC,
    /// lower case, then what `isNativeIgnorable` names removed (marks that did not compose);
    /// typographic quotes and dashes as ASCII, Greek without accents, ё as е, and the Persian
    /// and Arabic forms of yeh and kaf as one (all commonly written either way).
    static func nativeFold(_ scalars: [UInt32]) -> [UInt8] {
        guard let first = scalars.first else { return [] }
        if scalars.count == 1 {
            if isNativeIgnorable(first) { return [] }
            if isUnicodeSpace(first) { return [0x20] }
        }
        var string = ""
        for v in scalars { if let s = Unicode.Scalar(v) { string.unicodeScalars.append(s) } }
        var out: [UInt8] = []
        for s in string.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars where !isNativeIgnorable(s.value) {
            if isUnicodeSpace(s.value) {
                out.append(0x20)
            } else if let ascii = confusables[s.value], ascii < 0x41 {
                out.append(ascii) // typographic quotes and dashes, as in the other views
            } else if s.value == 0x0451 {
                out += Array("\u{0435}".utf8) // ё is often written е
            } else if s.value == 0x06CC || s.value == 0x0649 {
                out += Array("\u{064A}".utf8) // Persian yeh and alef maksura as Arabic yeh (keyboards differ)
            } else if s.value == 0x06A9 {
                out += Array("\u{0643}".utf8) // Persian keheh as Arabic kaf
            } else if (0x0370...0x03FF).contains(s.value) || (0x1F00...0x1FFF).contains(s.value) {
                // Greek accents (tonos, breathings) are often left out: the base letter only; final
                // sigma as σ (a capital Σ lowers to σ one character at a time).
                for base in String(s).decomposedStringWithCanonicalMapping.unicodeScalars where !isCombiningMark(base.value) {
                    out += Array((base.value == 0x03C2 ? "\u{03C3}" : String(base)).utf8)
                }
            } else {
                out += Array(String(s).utf8)
            }
        }
        return out
    }

    private static let nativeCache = Mutex<[UInt32: [UInt8]]>([:])

    static func nativeFoldCached(_ v: UInt32) -> [UInt8] {
        if let hit = nativeCache.withLock({ $0[v] }) { return hit }
        let out = nativeFold([v])
        nativeCache.withLock { c in if c.count < 16_384 { c[v] = out } }
        return out
    }
}
