/// An ECMA-262 regular expression (Unicode mode, no flags) parsed into a tree.
///
/// Syntax follows ECMA-262 section 22.2 with the `u` flag: identity escapes only
/// for syntax characters, `\p{...}` property classes, `\u{...}` code points,
/// named groups, backreferences and lookaround.
indirect enum RegexNode: Sendable {
    case empty
    case scalar(UInt32)
    case set(RegexCharSet)
    case dot
    case lineStart
    case lineEnd
    case wordBoundary(negated: Bool)
    case group(RegexNode, capture: Int?)
    case concat([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool)
    case backreference(Int)
    case namedBackreference(String)
    case look(RegexNode, ahead: Bool, negated: Bool)
}

/// Why a pattern is not a valid ECMA-262 regular expression.
public struct RegexSyntaxError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at position \(offset)" }
}

struct RegexParser {
    private let scalars: [UInt32]
    private var i = 0
    private(set) var captureCount = 0
    private(set) var captureNames: [String: Int] = [:]
    private var namedReferences: [(String, Int)] = []
    private var maxBackreference = 0

    init(_ pattern: String) {
        scalars = pattern.unicodeScalars.map(\.value)
    }

    mutating func parse() throws(RegexSyntaxError) -> RegexNode {
        let node = try parseDisjunction()
        if i < scalars.count {
            throw fail(scalars[i] == 0x29 ? "unmatched ')'" : "unexpected character")
        }
        for (name, offset) in namedReferences where captureNames[name] == nil {
            throw RegexSyntaxError(message: "reference to unknown group name '\(name)'", offset: offset)
        }
        if maxBackreference > captureCount {
            throw RegexSyntaxError(message: "backreference \\\(maxBackreference) to a group that does not exist", offset: 0)
        }
        return node
    }

    private func fail(_ message: String) -> RegexSyntaxError { RegexSyntaxError(message: message, offset: i) }

    private var atEnd: Bool { i >= scalars.count }
    private func peek(_ k: Int = 0) -> UInt32? { i + k < scalars.count ? scalars[i + k] : nil }

    private mutating func eat(_ c: Character) -> Bool {
        if let p = peek(), p == c.unicodeScalars.first!.value { i += 1; return true }
        return false
    }

    private mutating func parseDisjunction() throws(RegexSyntaxError) -> RegexNode {
        var alternatives = [try parseAlternative()]
        while eat("|") { alternatives.append(try parseAlternative()) }
        return alternatives.count == 1 ? alternatives[0] : .alternation(alternatives)
    }

    private mutating func parseAlternative() throws(RegexSyntaxError) -> RegexNode {
        var terms: [RegexNode] = []
        while let c = peek(), c != 0x7C /* | */, c != 0x29 /* ) */ {
            terms.append(try parseTerm())
        }
        if terms.isEmpty { return .empty }
        return terms.count == 1 ? terms[0] : .concat(terms)
    }

    private mutating func parseTerm() throws(RegexSyntaxError) -> RegexNode {
        let c = peek()!
        var quantifiable = true
        let atom: RegexNode
        switch c {
        case 0x5E: i += 1; return .lineStart        // ^
        case 0x24: i += 1; return .lineEnd          // $
        case 0x5C where peek(1) == 0x62: i += 2; return .wordBoundary(negated: false) // \b
        case 0x5C where peek(1) == 0x42: i += 2; return .wordBoundary(negated: true)  // \B
        case 0x28: // (
            if peek(1) == 0x3F { // ?
                switch peek(2) {
                case 0x3D, 0x21: // (?= (?!
                    let negated = peek(2) == 0x21
                    i += 3
                    let inner = try parseDisjunction()
                    guard eat(")") else { throw fail("missing ')'") }
                    atom = .look(inner, ahead: true, negated: negated)
                    // Lookaheads are quantifiable only in Annex B (non-Unicode) mode.
                    quantifiable = false
                case 0x3C where peek(3) == 0x3D || peek(3) == 0x21: // (?<= (?<!
                    let negated = peek(3) == 0x21
                    i += 4
                    let inner = try parseDisjunction()
                    guard eat(")") else { throw fail("missing ')'") }
                    atom = .look(inner, ahead: false, negated: negated)
                    quantifiable = false
                case 0x3A: // (?:
                    i += 3
                    let inner = try parseDisjunction()
                    guard eat(")") else { throw fail("missing ')'") }
                    atom = .group(inner, capture: nil)
                case 0x3C: // (?<name>
                    i += 3
                    let name = try parseGroupName()
                    if captureNames[name] != nil { throw fail("duplicate group name '\(name)'") }
                    captureCount += 1
                    let index = captureCount
                    captureNames[name] = index
                    let inner = try parseDisjunction()
                    guard eat(")") else { throw fail("missing ')'") }
                    atom = .group(inner, capture: index)
                default:
                    throw fail("invalid group")
                }
            } else {
                i += 1
                captureCount += 1
                let index = captureCount
                let inner = try parseDisjunction()
                guard eat(")") else { throw fail("missing ')'") }
                atom = .group(inner, capture: index)
            }
        case 0x2E: i += 1; atom = .dot
        case 0x5B: atom = .set(try parseClass())
        case 0x5C: atom = try parseAtomEscape()
        case 0x2A, 0x2B, 0x3F: throw fail("nothing to repeat")
        case 0x7B:
            if (try? lookQuantifier()) != nil { throw fail("nothing to repeat") }
            throw fail("lone '{' is not allowed in Unicode mode")
        case 0x7D: throw fail("lone '}' is not allowed in Unicode mode")
        case 0x5D: throw fail("lone ']' is not allowed in Unicode mode")
        default: i += 1; atom = .scalar(c)
        }
        return try parseQuantifier(atom, quantifiable: quantifiable)
    }

    /// Reads `{n}`, `{n,}` or `{n,m}` at the cursor without consuming it.
    private func lookQuantifier() throws(RegexSyntaxError) -> (min: Int, max: Int?, length: Int)? {
        guard peek() == 0x7B else { return nil }
        var k = i + 1
        func number() -> Int? {
            let start = k
            var v = 0
            while k < scalars.count, scalars[k] >= 0x30, scalars[k] <= 0x39 {
                v = min(v * 10 + Int(scalars[k] - 0x30), 1_000_000_000); k += 1
            }
            return k > start ? v : nil
        }
        guard let lower = number() else { return nil }
        var upper: Int? = lower
        if k < scalars.count, scalars[k] == 0x2C {
            k += 1
            upper = number()
        }
        guard k < scalars.count, scalars[k] == 0x7D else { return nil }
        if let upper, upper < lower { throw RegexSyntaxError(message: "numbers out of order in {} quantifier", offset: i) }
        return (lower, upper, k + 1 - i)
    }

    private mutating func parseQuantifier(_ atom: RegexNode, quantifiable: Bool) throws(RegexSyntaxError) -> RegexNode {
        var min = 0
        var max: Int? = nil
        switch peek() {
        case 0x2A: i += 1
        case 0x2B: i += 1; min = 1
        case 0x3F: i += 1; max = 1
        case 0x7B:
            guard let q = try lookQuantifier() else { throw fail("lone '{' is not allowed in Unicode mode") }
            i += q.length
            min = q.min; max = q.max
        default:
            return atom
        }
        if !quantifiable { throw fail("assertion cannot be repeated") }
        let greedy = !eat("?")
        return .repetition(atom, min: min, max: max, greedy: greedy)
    }

    private mutating func parseGroupName() throws(RegexSyntaxError) -> String {
        var name = ""
        while let c = peek(), c != 0x3E {
            guard let s = Unicode.Scalar(c), s.properties.isIDContinue || c == 0x24 || c == 0x5F else {
                throw fail("invalid group name")
            }
            if name.isEmpty && !(s.properties.isIDStart || c == 0x24 || c == 0x5F) { throw fail("invalid group name") }
            name.unicodeScalars.append(s)
            i += 1
        }
        guard eat(">"), !name.isEmpty else { throw fail("invalid group name") }
        return name
    }

    private mutating func parseAtomEscape() throws(RegexSyntaxError) -> RegexNode {
        i += 1 // backslash
        guard let c = peek() else { throw fail("\\ at end of pattern") }
        if c >= 0x31 && c <= 0x39 { // \1-\9...
            var n = 0
            while let d = peek(), d >= 0x30, d <= 0x39 { n = Swift.min(n * 10 + Int(d - 0x30), 100_000); i += 1 }
            maxBackreference = Swift.max(maxBackreference, n)
            return .backreference(n)
        }
        if c == 0x6B { // \k<name>
            i += 1
            guard eat("<") else { throw fail("invalid named reference") }
            let offset = i
            let name = try parseGroupName()
            namedReferences.append((name, offset))
            return .namedBackreference(name)
        }
        if let set = try parseClassEscape() { return .set(set) }
        return .scalar(try parseCharacterEscape(inClass: false))
    }

    /// `\d \D \w \W \s \S \p{..} \P{..}`; nil for other escapes (cursor unchanged).
    private mutating func parseClassEscape() throws(RegexSyntaxError) -> RegexCharSet? {
        guard let c = peek() else { return nil }
        switch c {
        case 0x64: i += 1; return RegexCharSet(items: [.digit], negated: false)
        case 0x44: i += 1; return RegexCharSet(items: [.digit], negated: true)
        case 0x77: i += 1; return RegexCharSet(items: [.word], negated: false)
        case 0x57: i += 1; return RegexCharSet(items: [.word], negated: true)
        case 0x73: i += 1; return RegexCharSet(items: [.space], negated: false)
        case 0x53: i += 1; return RegexCharSet(items: [.space], negated: true)
        case 0x70, 0x50:
            i += 1
            guard eat("{") else { throw fail("invalid property escape") }
            var body = ""
            while let p = peek(), p != 0x7D {
                guard let s = Unicode.Scalar(p) else { throw fail("invalid property escape") }
                body.unicodeScalars.append(s); i += 1
            }
            guard eat("}") else { throw fail("invalid property escape") }
            guard let property = UnicodeProperty(expression: body) else {
                throw fail("unknown or unsupported Unicode property '\(body)'")
            }
            return RegexCharSet(items: [.property(property)], negated: c == 0x50)
        default:
            return nil
        }
    }

    /// A single-character escape (after the backslash).
    private mutating func parseCharacterEscape(inClass: Bool) throws(RegexSyntaxError) -> UInt32 {
        guard let c = peek() else { throw fail("\\ at end of pattern") }
        i += 1
        switch c {
        case 0x74: return 0x09 // t
        case 0x6E: return 0x0A // n
        case 0x76: return 0x0B // v
        case 0x66: return 0x0C // f
        case 0x72: return 0x0D // r
        case 0x63: // cX
            guard let l = peek(), (l >= 0x41 && l <= 0x5A) || (l >= 0x61 && l <= 0x7A) else {
                throw fail("invalid control escape")
            }
            i += 1
            return l % 32
        case 0x30: // \0
            if let d = peek(), d >= 0x30, d <= 0x39 { throw fail("octal escapes are not allowed in Unicode mode") }
            return 0
        case 0x78: // xHH
            guard let v = hex(count: 2) else { throw fail("invalid \\x escape") }
            return v
        case 0x75: // uHHHH, u{...}
            if eat("{") {
                var v: UInt32 = 0
                var digits = 0
                while let d = peek(), let h = hexValue(d) { v = v &* 16 &+ h; digits += 1; i += 1; if v > 0x10FFFF { break } }
                guard digits > 0, v <= 0x10FFFF, eat("}") else { throw fail("invalid \\u{} escape") }
                return v
            }
            guard let v = hex(count: 4) else { throw fail("invalid \\u escape") }
            // A surrogate pair written as two \u escapes is one code point.
            if v >= 0xD800 && v <= 0xDBFF, peek() == 0x5C, peek(1) == 0x75 {
                let save = i
                i += 2
                if let low = hex(count: 4), low >= 0xDC00, low <= 0xDFFF {
                    return 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                }
                i = save
            }
            return v
        case 0x2D where inClass: return 0x2D // \- inside a class
        default:
            // Identity escapes: only syntax characters and '/'.
            if "^$\\.*+?()[]{}|/".unicodeScalars.contains(where: { $0.value == c }) { return c }
            throw fail("invalid escape '\\\(Unicode.Scalar(c).map { String(Character($0)) } ?? "?")'")
        }
    }

    private func hexValue(_ c: UInt32) -> UInt32? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x37
        case 0x61...0x66: return c - 0x57
        default: return nil
        }
    }

    private mutating func hex(count: Int) -> UInt32? {
        var v: UInt32 = 0
        for k in 0..<count {
            guard let c = peek(k), let h = hexValue(c) else { return nil }
            v = v * 16 + h
        }
        i += count
        return v
    }

    private mutating func parseClass() throws(RegexSyntaxError) -> RegexCharSet {
        i += 1 // [
        let negated = eat("^")
        var items: [RegexCharSet.Item] = []
        while true {
            guard let c = peek() else { throw fail("missing ']'") }
            if c == 0x5D { i += 1; break }
            let first = try parseClassAtom()
            if peek() == 0x2D, let next = peek(1), next != 0x5D {
                i += 1
                let second = try parseClassAtom()
                guard case .scalar(let lo) = first, case .scalar(let hi) = second else {
                    throw fail("invalid character class range")
                }
                guard lo <= hi else { throw fail("range out of order in character class") }
                items.append(.range(lo, hi))
            } else {
                switch first {
                case .scalar(let s): items.append(.range(s, s))
                case .set(let set): items.append(contentsOf: set.negated ? [.negatedSet(set)] : set.items)
                }
            }
        }
        return RegexCharSet(items: items, negated: negated)
    }

    private enum ClassAtom { case scalar(UInt32); case set(RegexCharSet) }

    private mutating func parseClassAtom() throws(RegexSyntaxError) -> ClassAtom {
        let c = peek()!
        if c != 0x5C { i += 1; return .scalar(c) }
        i += 1
        if let set = try parseClassEscape() { return .set(set) }
        if peek() == 0x62 { i += 1; return .scalar(0x08) } // \b is backspace in a class
        return .scalar(try parseCharacterEscape(inClass: true))
    }
}
