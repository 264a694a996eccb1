import Foundation
import Synchronization

/// A normalised copy of a text. For every byte it keeps the span of the original text its
/// source character came from, so a match in the copy maps back to original offsets.
public struct NormalizedText: Sendable {
    public internal(set) var bytes: [UInt8] = []
    var starts: [UInt32] = []
    var ends: [UInt32] = []
    /// Whether origins are kept (views are first built without them; only a text with matches
    /// is normalised again with them, so clean text pays for one cheap pass).
    let tracking: Bool

    init(capacity: Int, tracking: Bool = true) {
        self.tracking = tracking
        bytes.reserveCapacity(capacity)
        if tracking {
            starts.reserveCapacity(capacity)
            ends.reserveCapacity(capacity)
        }
    }

    /// Bytes without origins (for the untracked fast path).
    init(untracked bytes: [UInt8]) {
        self.bytes = bytes
        tracking = false
    }

    @inline(__always) mutating func append(_ byte: UInt8, _ start: Int, _ end: Int) {
        bytes.append(byte)
        if tracking {
            starts.append(UInt32(truncatingIfNeeded: start))
            ends.append(UInt32(truncatingIfNeeded: end))
        }
    }

    /// Appends `byte` with the origin of byte `k` of `source`.
    @inline(__always) mutating func append(_ byte: UInt8, from source: NormalizedText, _ k: Int) {
        bytes.append(byte)
        if tracking {
            starts.append(source.starts[k])
            ends.append(source.ends[k])
        }
    }

    /// Appends bytes `range` of `source` with their origins.
    mutating func append(contentsOf source: NormalizedText, _ range: Range<Int>) {
        bytes += source.bytes[range]
        if tracking {
            starts += source.starts[range]
            ends += source.ends[range]
        }
    }

    mutating func removeLast() {
        bytes.removeLast()
        if tracking { starts.removeLast(); ends.removeLast() }
    }

    /// The original span of normalised bytes `from..<to`.
    public func originalSpan(_ from: Int, _ to: Int) -> Range<Int> {
        guard from < to, to <= bytes.count else { return 0..<0 }
        return Int(starts[from])..<Int(ends[to - 1])
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// Builds the `plain` and `prose` views of a text (see `RuleView`). Linear in the input.
public enum TextNormalizer {
    /// The plain view: NFKC with compatibility folding, diacritics and zero-width/bidi controls
    /// removed, other scripts in lower case (ASCII letters keep their case: the plain database is
    /// caseless, and the prose pass reads case changes inside words), Cyrillic/Greek look-alikes
    /// folded to Latin, whitespace runs as one space.
    public static func plain(_ text: [UInt8], tracking: Bool = true) -> NormalizedText {
        var out = NormalizedText(capacity: text.count, tracking: tracking)
        var lastWasSpace = true
        var i = 0
        let n = text.count
        while i < n {
            let b = text[i]
            if b < 0x80 {
                if isASCIISpace(b) {
                    if !lastWasSpace { out.append(0x20, i, i + 1); lastWasSpace = true }
                } else {
                    out.append(b, i, i + 1)
                    lastWasSpace = false
                }
                i += 1
                continue
            }
            let (scalar, length) = decodeScalar(text, i)
            let folded = fold(scalar)
            if folded.count == 1 && folded[0] == 0x20 {
                if !lastWasSpace { out.append(0x20, i, i + length); lastWasSpace = true }
            } else {
                for byte in folded { out.append(byte, i, i + length) }
                if !folded.isEmpty { lastWasSpace = false }
            }
            i += length
        }
        if out.bytes.last == 0x20 { out.removeLast() }
        return out
    }

    /// The prose view, from a plain view: lower case, leetspeak digits and symbols inside words
    /// become letters, every other non-alphanumeric byte becomes a separator, separator runs become
    /// one space, and runs of three or more single letters are joined.
    public static func prose(_ plain: NormalizedText) -> NormalizedText {
        let src = plain.bytes.map { FastViews.lowerTable[Int($0)] }
        let n = src.count
        var words = NormalizedText(capacity: n, tracking: plain.tracking)
        var lastWasSpace = true
        var i = 0
        while i < n {
            // A word: letters, digits and the symbols that stand for letters (@ $ ! |).
            guard isWordByte(src[i]) || leet(src[i]) != nil else {
                if !lastWasSpace { words.append(0x20, from: plain, i); lastWasSpace = true }
                i += 1
                continue
            }
            var end = i
            while end < n, isWordByte(src[end]) || leet(src[end]) != nil { end += 1 }
            // "!" and "|" closing a word of three or more characters are punctuation ("hello!"),
            // in shorter words letters ("A!" is "ai", "AP!" is "api").
            var wordEnd = end
            while wordEnd > i + 2, src[wordEnd - 1] == 0x21 || src[wordEnd - 1] == 0x7C { wordEnd -= 1 }
            var hasLetter = false
            var hasSymbol = false
            for k in i..<wordEnd {
                if isLetter(src[k]) { hasLetter = true } else if !isWordByte(src[k]) { hasSymbol = true }
            }
            // Digits and symbols read as letters in words that are not numbers ("h4ck", "@11", "70"
            // for "to"; not "2024" or "365").
            let convert = hasLetter || hasSymbol || wordEnd - i <= 2
            if wordEnd > i {
                for k in i..<wordEnd {
                    var b = src[k]
                    if convert, !isLetter(b), let letter = leet(b) { b = letter }
                    words.append(b, from: plain, k)
                }
                lastWasSpace = false
            }
            if wordEnd < end, !lastWasSpace { words.append(0x20, from: plain, wordEnd); lastWasSpace = true }
            i = end
        }
        if words.bytes.last == 0x20 { words.removeLast() }
        return joinSpacedLetters(words)
    }

    /// The original text with invisible characters (zero-width, bidi controls, soft hyphens,
    /// variation selectors) removed and compatibility forms folded (full-width digits and letters),
    /// case and punctuation kept; for secrets and identifiers split by invisible characters.
    /// Nil when there is nothing to strip (plain ASCII, curly quotes, other scripts).
    public static func stripped(_ text: [UInt8]) -> NormalizedText? {
        guard FastViews.hasNonASCII(text) else { return nil }
        var k = 0
        var needed = false
        while k < text.count {
            guard text[k] >= 0x80 else { k += 1; continue }
            let (scalar, length) = decodeScalar(text, k)
            if isIgnorable(scalar) || (0xFF01...0xFF5E).contains(scalar) { needed = true; break }
            k += length
        }
        guard needed else { return nil }
        var out = NormalizedText(capacity: text.count)
        var i = 0
        while i < text.count {
            if text[i] < 0x80 { out.append(text[i], i, i + 1); i += 1; continue }
            let (scalar, length) = decodeScalar(text, i)
            if isIgnorable(scalar) { i += length; continue }
            if (0xFF01...0xFF5E).contains(scalar) {
                out.append(UInt8(scalar - 0xFF01 + 0x21), i, i + length) // full-width ASCII
            } else {
                for k in i..<i + length { out.append(text[k], i, i + length) }
            }
            i += length
        }
        return out
    }

    /// "i g n o r e that" -> "ignore that": three or more one-letter words in a row are joined.
    static func joinSpacedLetters(_ words: NormalizedText) -> NormalizedText {
        let b = words.bytes
        let n = b.count
        // Fast exit: no three one-letter words in a row ("a b c"), the least that is joined.
        // Ordinary prose has pairs ("a I") but hardly ever three, so this pass decides alone.
        let candidate = b.withUnsafeBufferPointer { t -> Bool in
            var run = 0        // one-letter words in a row so far
            var i = 0
            while i < n {
                // At a word start: is it one letter long?
                let single = isLetter(t[i]) && (i + 1 == n || t[i + 1] == 0x20)
                run = single ? run + 1 : 0
                if run >= 3 { return true }
                // Next word start.
                while i < n && t[i] != 0x20 { i += 1 }
                i += 1
            }
            return false
        }
        guard candidate else { return words }
        var out = NormalizedText(capacity: n, tracking: words.tracking)
        var i = 0
        while i < n {
            if isSingle(b, i) {
                var j = i
                var count = 1
                while j + 2 < n && b[j + 1] == 0x20 && isSingle(b, j + 2) { j += 2; count += 1 }
                if count >= 3 {
                    var k = i
                    while k <= j { out.append(b[k], from: words, k); k += 2 }
                    i = j + 1
                    continue
                }
            }
            out.append(b[i], from: words, i)
            i += 1
        }
        return out
    }

    @inline(__always) static func isSingle(_ b: [UInt8], _ i: Int) -> Bool {
        isLetter(b[i]) && (i == 0 || b[i - 1] == 0x20) && (i + 1 == b.count || b[i + 1] == 0x20)
    }

    @inline(__always) static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || b >= 0x80 }
    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool { isLetter(b) || (b >= 0x30 && b <= 0x39) }
    @inline(__always) static func isLetterish(_ b: UInt8) -> Bool { isLetter(b) || leet(b) != nil }

    /// Leetspeak: a digit or symbol standing for a letter inside a word.
    @inline(__always) static func leet(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30: return 0x6F // 0 -> o
        case 0x31, 0x21, 0x7C: return 0x69 // 1 ! | -> i
        case 0x33: return 0x65 // 3 -> e
        case 0x34, 0x40: return 0x61 // 4 @ -> a
        case 0x35, 0x24: return 0x73 // 5 $ -> s
        case 0x37: return 0x74 // 7 -> t
        case 0x38: return 0x62 // 8 -> b
        default: return nil
        }
    }

    /// Decodes one UTF-8 scalar at `i`; invalid bytes decode as U+FFFD of length 1.
    static func decodeScalar(_ t: [UInt8], _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(t[i])
        let n = t.count
        func cont(_ k: Int) -> UInt32? { k < n && t[k] & 0xC0 == 0x80 ? UInt32(t[k] & 0x3F) : nil }
        if b0 & 0xE0 == 0xC0, let c1 = cont(i + 1) {
            let v = (b0 & 0x1F) << 6 | c1
            return v >= 0x80 ? (v, 2) : (0xFFFD, 1)
        }
        if b0 & 0xF0 == 0xE0, let c1 = cont(i + 1), let c2 = cont(i + 2) {
            let v = (b0 & 0x0F) << 12 | c1 << 6 | c2
            return v >= 0x800 && !(0xD800...0xDFFF).contains(v) ? (v, 3) : (0xFFFD, 1)
        }
        if b0 & 0xF8 == 0xF0, let c1 = cont(i + 1), let c2 = cont(i + 2), let c3 = cont(i + 3) {
            let v = (b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
            return v >= 0x10000 && v <= 0x10FFFF ? (v, 4) : (0xFFFD, 1)
        }
        return (0xFFFD, 1)
    }

    /// Invisible characters used to split words: zero-width, bidi controls, soft hyphen,
    /// variation selectors, tags, combining marks.
    static func isIgnorable(_ v: UInt32) -> Bool {
        switch v {
        case 0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B...0x180F, 0x200B...0x200F, 0x202A...0x202E,
             0x2060...0x206F, 0x3164, 0xFE00...0xFE0F, 0xFEFF, 0xFFA0, 0x1D173...0x1D17A, 0xE0000...0xE0FFF,
             0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F:
            return true
        default:
            return false
        }
    }

    static func isUnicodeSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Cyrillic and Greek letters that look like Latin ones (after lower-casing), and typographic
    /// quotes and dashes as their ASCII forms: "don’t" from a phone reads "don't" (then "don t"
    /// in the prose view), not as a word of its own.
    static let confusables: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        let pairs: [(String, Character)] = [
            ("\u{2018}\u{2019}\u{201A}\u{201B}\u{2032}\u{02BC}\u{02B9}\u{FF07}", "'"),
            ("\u{201C}\u{201D}\u{201E}\u{201F}\u{2033}\u{00AB}\u{00BB}\u{FF02}", "\""),
            ("\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}\u{2015}\u{2212}", "-"),
            ("аɑα", "a"), ("вЬьβ", "b"), ("сϲς", "c"), ("ԁ", "d"), ("еєεҽ", "e"), ("ғ", "f"), ("ɡ", "g"), ("һн", "h"),
            ("іїιıɩ", "i"), ("јϳ", "j"), ("κк", "k"), ("ӏⅼ", "l"), ("м", "m"), ("ηп", "n"), ("оοσ", "o"), ("рρ", "p"),
            ("ԛ", "q"), ("г", "r"), ("ѕ", "s"), ("τт", "t"), ("υμ", "u"), ("ѵν", "v"), ("ԝω", "w"), ("хχ", "x"),
            ("уγ", "y"), ("ᴢ", "z"),
        ]
        for (chars, latin) in pairs {
            for s in chars.unicodeScalars { m[s.value] = latin.asciiValue! }
        }
        return m
    }()

    private static let cache = Mutex<[UInt32: [UInt8]]>([:])

    /// A non-ASCII scalar folded to its normalised UTF-8 bytes (empty when it is dropped).
    /// The blocks of the commonest scripts and punctuation are looked up in a table made once,
    /// Chinese characters are their own fold; the rest go through a locked cache (a lock and
    /// a hash per character were a quarter of a scan of text in other scripts).
    static func fold(_ v: UInt32) -> [UInt8] {
        for (range, table) in foldTables where range.contains(v) { return table[Int(v - range.lowerBound)] }
        if (0x4E00...0x9FFF).contains(v) { return Array(String(Unicode.Scalar(v)!).utf8) }
        if isIgnorable(v) { return [] }
        if isUnicodeSpace(v) { return [0x20] }
        if let hit = cache.withLock({ $0[v] }) { return hit }
        let out = computeFold(v)
        cache.withLock { c in if c.count < 8_192 { c[v] = out } }
        return out
    }

    /// Latin-1 and Latin Extended-A, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, general
    /// punctuation, kana: each scalar's fold, computed when first needed (~1,650 scalars).
    static let foldTables: [(ClosedRange<UInt32>, [[UInt8]])] = [
        0x0080...0x017F, 0x0370...0x04FF, 0x0590...0x06FF, 0x0900...0x097F, 0x0E00...0x0E7F, 0x2000...0x206F, 0x3000...0x30FF,
    ].map { range in (range, range.map(computeFold)) }

    /// The fold itself: NFKD, combining marks dropped (NFKC without diacritics), lower case,
    /// confusables as Latin, Unicode spaces as a space.
    static func computeFold(_ v: UInt32) -> [UInt8] {
        if isIgnorable(v) { return [] }
        if isUnicodeSpace(v) { return [0x20] }
        var out: [UInt8] = []
        if let scalar = Unicode.Scalar(v) {
            let decomposed = String(Character(scalar)).decomposedStringWithCompatibilityMapping.lowercased()
            for s in decomposed.unicodeScalars where !isIgnorable(s.value) {
                if s.value < 0x80 {
                    out.append(UInt8(s.value))
                } else if let latin = confusables[s.value] {
                    out.append(latin)
                } else if isUnicodeSpace(s.value) {
                    out.append(0x20)
                } else {
                    out += Array(String(s).utf8)
                }
            }
        }
        return out
    }
}
