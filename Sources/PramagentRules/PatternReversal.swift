/// Reverses a pattern: the reversed pattern matches the reversed text exactly where the pattern
/// matches the text (regular languages are closed under reversal; `\b` and `\B` look at both
/// neighbours, so they stay as they are). Used to match a pattern from the end of a text when its
/// rare words come last: Vectorscan starts work at a pattern's first words, and a pattern that
/// opens with common ones ("you", "your", "the") keeps its automaton busy on ordinary prose.
enum PatternReversal {
    struct Unsupported: Error, Sendable {
        var message: String
    }

    indirect enum Node {
        /// A literal, escape, class or `.`, printed as written (a class has no order).
        case atom(String)
        /// A group: its opening (`(` or `(?:`) and its alternatives.
        case group(String, [[Node]])
        /// A node with its quantifier as written (`?`, `*`, `{2,5}?` ...).
        case quantified(Node, String)
    }

    /// The reversed pattern; throws for what cannot be reversed here (anchors, lookaround,
    /// inline flags, back-references).
    static func reversed(_ pattern: String) throws(Unsupported) -> String {
        var parser = Parser(chars: Array(pattern))
        let alternatives = try parser.alternatives()
        guard parser.atEnd else { throw Unsupported(message: "unbalanced ')'") }
        return print(alternatives, reversing: true)
    }

    static func print(_ alternatives: [[Node]], reversing: Bool) -> String {
        alternatives.map { sequence in
            (reversing ? sequence.reversed() : sequence).map { print($0, reversing: reversing) }.joined()
        }.joined(separator: "|")
    }

    static func print(_ node: Node, reversing: Bool) -> String {
        switch node {
        case .atom(let text): return text
        case .group(let open, let alternatives): return open + print(alternatives, reversing: reversing) + ")"
        case .quantified(let inner, let quantifier): return print(inner, reversing: reversing) + quantifier
        }
    }

    struct Parser {
        let chars: [Character]
        var i = 0
        /// Groups open around the current position (bounded: the reader recurses per group).
        var depth = 0
        static let maxDepth = 200

        var atEnd: Bool { i >= chars.count }

        mutating func alternatives() throws(Unsupported) -> [[Node]] {
            var out: [[Node]] = [[]]
            while i < chars.count {
                let c = chars[i]
                if c == ")" { break }
                if c == "|" { out.append([]); i += 1; continue }
                var node = try atom()
                while let q = quantifier() { node = .quantified(node, q) }
                out[out.count - 1].append(node)
            }
            return out
        }

        mutating func atom() throws(Unsupported) -> Node {
            let c = chars[i]
            switch c {
            case "(":
                i += 1
                var open = "("
                if i < chars.count, chars[i] == "?" {
                    guard i + 1 < chars.count, chars[i + 1] == ":" else {
                        throw Unsupported(message: "lookaround and inline flags cannot be matched from the end")
                    }
                    open = "(?:"
                    i += 2
                }
                depth += 1
                guard depth <= Parser.maxDepth else { throw Unsupported(message: "groups nested more than \(Parser.maxDepth) deep") }
                let inner = try alternatives()
                depth -= 1
                guard i < chars.count, chars[i] == ")" else { throw Unsupported(message: "unclosed '('") }
                i += 1
                return .group(open, inner)
            case "[":
                return .atom(try characterClass())
            case "\\":
                return .atom(try escape())
            case "^", "$":
                throw Unsupported(message: "anchors (^, $) cannot be matched from the end")
            case "{", "}":
                i += 1
                return .atom("\\" + String(c)) // a literal brace, escaped so it cannot become a quantifier
            case "*", "+", "?":
                throw Unsupported(message: "quantifier '\(c)' with nothing before it")
            default:
                i += 1
                return .atom(String(c))
            }
        }

        mutating func escape() throws(Unsupported) -> String {
            guard i + 1 < chars.count else { throw Unsupported(message: "pattern ends with '\\'") }
            let e = chars[i + 1]
            var text = "\\" + String(e)
            i += 2
            switch e {
            case "A", "z", "Z", "G":
                throw Unsupported(message: "anchors (\\\(e)) cannot be matched from the end")
            case "Q", "E", "K", "g", "k", "R", "X":
                throw Unsupported(message: "\\\(e) is not supported when matching from the end")
            case "1"..."9":
                throw Unsupported(message: "back-references are not supported")
            case "x", "p", "P", "o":
                if i < chars.count, chars[i] == "{" {
                    while i < chars.count, chars[i] != "}" { text.append(chars[i]); i += 1 }
                    guard i < chars.count else { throw Unsupported(message: "unclosed '{' in an escape") }
                    text.append("}")
                    i += 1
                } else if e == "x" {
                    for _ in 0..<2 where i < chars.count && chars[i].isHexDigit { text.append(chars[i]); i += 1 }
                } else if e == "p" || e == "P" {
                    guard i < chars.count else { throw Unsupported(message: "\\\(e) needs a property") }
                    text.append(chars[i])
                    i += 1
                }
            case "0":
                for _ in 0..<2 where i < chars.count && ("0"..."7").contains(chars[i]) { text.append(chars[i]); i += 1 }
            case "c":
                guard i < chars.count else { throw Unsupported(message: "\\c needs a character") }
                text.append(chars[i])
                i += 1
            default:
                break
            }
            return text
        }

        /// A bracket expression as written, including `[:alpha:]` classes and a leading `]`.
        mutating func characterClass() throws(Unsupported) -> String {
            var text = "["
            i += 1
            if i < chars.count, chars[i] == "^" { text.append("^"); i += 1 }
            if i < chars.count, chars[i] == "]" { text.append("]"); i += 1 }
            while i < chars.count, chars[i] != "]" {
                if chars[i] == "\\", i + 1 < chars.count {
                    text.append(chars[i]); text.append(chars[i + 1]); i += 2
                } else if chars[i] == "[", i + 1 < chars.count, chars[i + 1] == ":" {
                    while i < chars.count, !(chars[i] == "]" && text.last == ":") { text.append(chars[i]); i += 1 }
                    guard i < chars.count else { throw Unsupported(message: "unclosed '[:'") }
                    text.append("]")
                    i += 1
                } else {
                    text.append(chars[i])
                    i += 1
                }
            }
            guard i < chars.count else { throw Unsupported(message: "unclosed '['") }
            text.append("]")
            i += 1
            return text
        }

        /// `?`, `*`, `+` or `{n}`, `{n,}`, `{n,m}`, with a lazy or possessive mark; nil when none.
        mutating func quantifier() -> String? {
            guard i < chars.count else { return nil }
            var text = ""
            switch chars[i] {
            case "?", "*", "+":
                text = String(chars[i])
                i += 1
            case "{":
                var j = i + 1
                var body = ""
                while j < chars.count, chars[j].isNumber || chars[j] == "," { body.append(chars[j]); j += 1 }
                guard j < chars.count, chars[j] == "}", body.first?.isNumber == true else { return nil }
                text = "{" + body + "}"
                i = j + 1
            default:
                return nil
            }
            if i < chars.count, chars[i] == "?" || chars[i] == "+" { text.append(chars[i]); i += 1 }
            return text
        }
    }
}
