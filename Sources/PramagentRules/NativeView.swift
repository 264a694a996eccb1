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
        while i < n {
            let b = text[i]
            if b < 0x80 {
                if isASCIISpace(b) {
                    if !lastWasSpace { out.append(0x20, i, i + 1); lastWasSpace = true }
                } else {
                    out.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b, i, i + 1)
                    lastWasSpace = false
                }
                i += 1
                continue
            }
            let (scalar, length) = decodeScalar(text, i)
            cluster.removeAll(keepingCapacity: true)
            cluster.append(scalar)
            var end = i + length
            while end < n, text[end] >= 0x80 {
                let (mark, markLength) = decodeScalar(text, end)
                guard isCombiningMark(mark) else { break }
                cluster.append(mark)
                end += markLength
            }
            let folded = cluster.count == 1 ? nativeFoldCached(scalar) : nativeFold(cluster)
            if folded.count == 1 && folded[0] == 0x20 {
                if !lastWasSpace { out.append(0x20, i, end); lastWasSpace = true }
            } else if !folded.isEmpty {
                for byte in folded { out.append(byte, i, end) }
                lastWasSpace = false
            }
            i = end
        }
        if out.bytes.last == 0x20 { out.removeLast() }
        return cyrillicLookalikesFolded(out)
    }

    /// Latin letters that look Cyrillic (after lower-casing: a c e o p x y i j s, and the
    /// capitals' h b m t k), as the Cyrillic letters they pose as, inside words that also have a
    /// Cyrillic letter: "игнoрируй" with a Latin o reads "игнорируй". (The reverse of the prose
    /// view's confusable folding, which reads Cyrillic look-alikes in Latin words as Latin.)
    static func cyrillicLookalikesFolded(_ view: NormalizedText) -> NormalizedText {
        let b = view.bytes
        func isCyrillicLead(_ x: UInt8) -> Bool { x == 0xD0 || x == 0xD1 || x == 0xD2 || x == 0xD3 }
        func isWordByte(_ x: UInt8) -> Bool { x >= 0x80 || (x >= 0x61 && x <= 0x7A) }
        // Words (runs of letters of any script) with both a Cyrillic letter and a look-alike.
        var mixed: [Range<Int>] = []
        var i = 0
        while i < b.count {
            guard isWordByte(b[i]) else { i += 1; continue }
            var j = i
            var cyrillic = false, lookalike = false
            while j < b.count && isWordByte(b[j]) {
                if isCyrillicLead(b[j]) { cyrillic = true } else if b[j] < 0x80 && cyrillicLookalike[Int(b[j])] != nil { lookalike = true }
                j += 1
            }
            if cyrillic && lookalike { mixed.append(i..<j) }
            i = j
        }
        guard !mixed.isEmpty else { return view }
        var out = NormalizedText(capacity: b.count + 16, tracking: view.tracking)
        var k = 0
        for word in mixed {
            while k < word.lowerBound { out.append(b[k], from: view, k); k += 1 }
            while k < word.upperBound {
                if b[k] < 0x80, let cyrillic = cyrillicLookalike[Int(b[k])] {
                    for byte in cyrillic { out.append(byte, from: view, k) }
                } else {
                    out.append(b[k], from: view, k)
                }
                k += 1
            }
        }
        while k < b.count { out.append(b[k], from: view, k); k += 1 }
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

    /// A mark that belongs to the character before it (general category Mn, Mc or Me).
    static func isCombiningMark(_ v: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(v) else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Dropped from the native view besides the invisible characters: Arabic harakat (optional
    /// vowel signs), the superscript alef and the tatweel (a stretching stroke, U+0640), which
    /// otherwise split or hide words.
    static func isNativeIgnorable(_ v: UInt32) -> Bool {
        isIgnorable(v) || (0x064B...0x065F).contains(v) || v == 0x0670 || v == 0x0640
    }

    /// One character (a scalar and its combining marks) as the native view writes it: NFKC,
    /// lower case, then what `isNativeIgnorable` names removed (marks that did not compose);
    /// typographic quotes and dashes as ASCII, Greek without accents, and ё as е (both are
    /// commonly written either way).
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
