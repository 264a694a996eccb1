/// Host names: RFC 1123 labels, and IDNA2008 (RFC 5890-5893) for A-labels and U-labels.
///
/// The IDNA code point classes are derived from Unicode properties (RFC 5892 section 2)
/// with the exception tables of section 2.6; joining types for CONTEXTJ are approximated
/// by the Arabic-script letters.
enum Hostnames {
    static func isHostname(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253, s.unicodeScalars.allSatisfy({ $0.isASCII }) else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard isASCIILabel(label) else { return false }
        }
        return true
    }

    private static func isLDH(_ c: Unicode.Scalar) -> Bool {
        (c.value >= 0x61 && c.value <= 0x7A) || (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x30 && c.value <= 0x39) || c == "-"
    }

    private static func isASCIILabel(_ label: Substring) -> Bool {
        guard !label.isEmpty, label.utf8.count <= 63, label.unicodeScalars.allSatisfy(isLDH),
              !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
        let lower = label.lowercased()
        if lower.hasPrefix("xn--") {
            guard let decoded = Punycode.decode(String(lower.dropFirst(4))), !decoded.isEmpty,
                  decoded.contains(where: { $0.value >= 0x80 }),
                  Punycode.encode(decoded) == String(lower.dropFirst(4)) else { return false }
            return isULabel(decoded) && bidiRulesHold([decoded])
        }
        // "--" in the third and fourth positions is reserved for A-labels (RFC 5891 section 4.2.3.1).
        let chars = Array(lower.utf8)
        if chars.count >= 4, chars[2] == 0x2D, chars[3] == 0x2D { return false }
        return true
    }

    static func isIDNHostname(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        var labels: [[Unicode.Scalar]] = [[]]
        for c in s.unicodeScalars {
            if c == "." || c == "\u{3002}" || c == "\u{FF0E}" || c == "\u{FF61}" { labels.append([]) } else { labels[labels.count - 1].append(c) }
        }
        var total = 0
        var uLabels: [[Unicode.Scalar]] = []
        for label in labels {
            guard !label.isEmpty else { return false }
            if label.allSatisfy(\.isASCII) {
                let text = String(String.UnicodeScalarView(label))
                guard isASCIILabel(Substring(text)) else { return false }
                total += label.count
                if text.lowercased().hasPrefix("xn--"), let decoded = Punycode.decode(String(text.lowercased().dropFirst(4))) {
                    uLabels.append(decoded)
                } else {
                    uLabels.append(label)
                }
            } else {
                guard isULabel(label) else { return false }
                let encoded = Punycode.encode(label)
                guard 4 + encoded.utf8.count <= 63 else { return false }
                total += 4 + encoded.utf8.count
                uLabels.append(label)
            }
            total += 1
        }
        guard total - 1 <= 253 else { return false }
        return bidiRulesHold(uLabels)
    }

    // MARK: U-labels (RFC 5891 section 5.4, RFC 5892)

    private static let pvalidExceptions: Set<UInt32> = [0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007]
    private static let disallowedExceptions: Set<UInt32> = [0x0640, 0x07FA, 0x302E, 0x302F, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303B]

    static func isULabel(_ label: [Unicode.Scalar]) -> Bool {
        guard let first = label.first, first != "-", label.last != "-" else { return false }
        if label.count >= 4, label[2] == "-", label[3] == "-" { return false }
        // A label must not begin with a combining mark (RFC 5891 section 5.4).
        switch first.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return false
        default: break
        }
        for (i, c) in label.enumerated() {
            let v = c.value
            if disallowedExceptions.contains(v) { return false }
            if pvalidExceptions.contains(v) { continue }
            switch v {
            case 0x200C: // ZERO WIDTH NON-JOINER
                if !(i > 0 && isVirama(label[i - 1])) && !zwnjJoins(label, i) { return false }
            case 0x200D: // ZERO WIDTH JOINER
                if !(i > 0 && isVirama(label[i - 1])) { return false }
            case 0x00B7: // MIDDLE DOT between two 'l'
                if !(i > 0 && i + 1 < label.count && label[i - 1] == "l" && label[i + 1] == "l") { return false }
            case 0x0375: // GREEK KERAIA before Greek
                if !(i + 1 < label.count && isGreek(label[i + 1].value)) { return false }
            case 0x05F3, 0x05F4: // HEBREW GERESH/GERSHAYIM after Hebrew
                if !(i > 0 && (0x0590...0x05FF).contains(label[i - 1].value)) { return false }
            case 0x30FB: // KATAKANA MIDDLE DOT with Hiragana, Katakana or Han
                if !label.contains(where: { $0.value != 0x30FB && isKanaOrHan($0.value) }) { return false }
            case 0x0660...0x0669:
                if label.contains(where: { (0x06F0...0x06F9).contains($0.value) }) { return false }
            case 0x06F0...0x06F9:
                if label.contains(where: { (0x0660...0x0669).contains($0.value) }) { return false }
            case 0x2D, 0x30...0x39, 0x61...0x7A:
                continue
            default:
                if !isPValid(c) { return false }
            }
        }
        return true
    }

    private static func isPValid(_ c: Unicode.Scalar) -> Bool {
        let p = c.properties
        if p.changesWhenNFKCCaseFolded { return false }
        switch p.generalCategory {
        case .lowercaseLetter, .otherLetter, .modifierLetter, .nonspacingMark, .spacingMark, .decimalNumber:
            return true
        default:
            return false
        }
    }

    private static func isVirama(_ c: Unicode.Scalar) -> Bool { c.properties.canonicalCombiningClass.rawValue == 9 }
    private static func isGreek(_ v: UInt32) -> Bool { (0x0370...0x03FF).contains(v) || (0x1F00...0x1FFF).contains(v) }
    private static func isKanaOrHan(_ v: UInt32) -> Bool {
        (0x3040...0x30FF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x20000...0x2FA1F).contains(v) || v == 0x3005 || v == 0x3007
    }

    private static func isJoiningLetter(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        return ((0x0620...0x06FF).contains(v) || (0x0750...0x077F).contains(v) || (0x08A0...0x08FF).contains(v))
            && c.properties.generalCategory == .otherLetter
    }

    /// RFC 5892 A.1 regular expression: joining letter, transparent marks, ZWNJ, transparent marks, joining letter.
    private static func zwnjJoins(_ label: [Unicode.Scalar], _ i: Int) -> Bool {
        var before = i - 1
        while before >= 0, label[before].properties.generalCategory == .nonspacingMark { before -= 1 }
        var after = i + 1
        while after < label.count, label[after].properties.generalCategory == .nonspacingMark { after += 1 }
        return before >= 0 && after < label.count && isJoiningLetter(label[before]) && isJoiningLetter(label[after])
    }

    // MARK: Bidi rule (RFC 5893 section 2)

    private enum BidiClass { case l, r, an, en, nsm, other }

    private static func bidiClass(_ c: Unicode.Scalar) -> BidiClass {
        let v = c.value
        if (0x0660...0x0669).contains(v) || (0x06DD == v) { return .an }
        if (0x30...0x39).contains(v) || (0x06F0...0x06F9).contains(v) { return .en }
        if c.properties.generalCategory == .nonspacingMark || c.properties.generalCategory == .enclosingMark { return .nsm }
        if (0x0590...0x08FF).contains(v) || (0xFB1D...0xFDFF).contains(v) || (0xFE70...0xFEFF).contains(v)
            || (0x10800...0x10FFF).contains(v) || (0x1E800...0x1EFFF).contains(v) {
            return c.properties.isAlphabetic ? .r : .other
        }
        return c.properties.isAlphabetic || c.properties.generalCategory == .decimalNumber ? .l : .other
    }

    static func bidiRulesHold(_ labels: [[Unicode.Scalar]]) -> Bool {
        let classes = labels.map { $0.map(bidiClass) }
        let isBidiDomain = classes.contains { $0.contains(.r) || $0.contains(.an) }
        guard isBidiDomain else { return true }
        for label in classes {
            guard let first = label.first else { continue }
            guard first == .l || first == .r else { return false }
            let trimmed = label.reversed().drop { $0 == .nsm }
            guard let last = trimmed.first else { return false }
            if first == .r {
                if label.contains(.l) { return false }
                if label.contains(.en) && label.contains(.an) { return false }
                guard last == .r || last == .en || last == .an else { return false }
            } else {
                if label.contains(.r) || label.contains(.an) { return false }
                guard last == .l || last == .en else { return false }
            }
        }
        return true
    }
}

/// Punycode (RFC 3492) for IDNA A-labels.
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 0x80

    private static func adapt(_ delta: Int, _ numPoints: Int, _ first: Bool) -> Int {
        var d = first ? delta / damp : delta / 2
        d += d / numPoints
        var k = 0
        while d > ((base - tMin) * tMax) / 2 { d /= base - tMin; k += base }
        return k + (base - tMin + 1) * d / (d + skew)
    }

    private static func digit(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c) - 22
        case 0x41...0x5A: return Int(c) - 0x41
        case 0x61...0x7A: return Int(c) - 0x61
        default: return nil
        }
    }

    private static func character(_ d: Int) -> Character {
        Character(Unicode.Scalar(UInt8(d < 26 ? d + 0x61 : d + 22)))
    }

    static func decode(_ input: String) -> [Unicode.Scalar]? {
        let bytes = Array(input.utf8)
        var output: [UInt32] = []
        var position = 0
        if let delimiter = bytes.lastIndex(of: 0x2D) {
            for b in bytes[..<delimiter] {
                guard b < 0x80 else { return nil }
                output.append(UInt32(b))
            }
            position = delimiter + 1
        }
        var n = initialN, i = 0, bias = initialBias
        while position < bytes.count {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard position < bytes.count, let d = digit(bytes[position]) else { return nil }
                position += 1
                let (m, o1) = d.multipliedReportingOverflow(by: w)
                let (sum, o2) = i.addingReportingOverflow(m)
                guard !o1, !o2, sum < Int(Int32.max) else { return nil }
                i = sum
                let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if d < t { break }
                w *= base - t
                k += base
            }
            bias = adapt(i - oldI, output.count + 1, oldI == 0)
            n += i / (output.count + 1)
            guard n <= 0x10FFFF else { return nil }
            i %= output.count + 1
            output.insert(UInt32(n), at: i)
            i += 1
        }
        var scalars: [Unicode.Scalar] = []
        for v in output {
            guard let s = Unicode.Scalar(v) else { return nil }
            scalars.append(s)
        }
        return scalars
    }

    static func encode(_ input: [Unicode.Scalar]) -> String {
        var output = ""
        let values = input.map { Int($0.value) }
        for v in values where v < 0x80 { output.append(Character(Unicode.Scalar(UInt8(v)))) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append("-") }
        var n = initialN, delta = 0, bias = initialBias
        while handled < values.count {
            let m = values.filter { $0 >= n }.min()!
            delta += (m - n) * (handled + 1)
            n = m
            for c in values {
                if c < n { delta += 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(character(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(character(q))
                    bias = adapt(delta, handled + 1, handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return output
    }
}
