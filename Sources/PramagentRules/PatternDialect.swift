import CVectorscan

/// Rewrites a rule pattern for the view it runs on.
enum PatternDialect {
    /// The prose view is matched as a skeleton in which `l` reads as `i` (leetspeak `1`, `!`
    /// and `|` also read `i`): "a11" and "all" both read "aii", and a lower-case L posing as a
    /// capital I ("lgnore") reads "ignore". Patterns get the same mapping, so their literals stay
    /// literals (character classes such as `[il]` made the prose database a third slower).
    /// Matches also start at a word boundary: prose rules are about words, and an anchor lets
    /// the matcher skip the middle of words.
    static func prose(_ pattern: String) -> String {
        "\\b(?:" + lettersIL(pattern) + ")"
    }

    /// Native-view patterns get the view's fold on every non-ASCII character (see
    /// `TextNormalizer.nativeFold`): written in capitals, with presentation forms or harakat,
    /// they still read as the text does. A character that folds to ASCII punctuation is
    /// escaped, so a full-width parenthesis stays a literal.
    /// Inside a character class a character is folded only when it stays one character (a
    /// class member that became two would change the class).
    static func native(_ pattern: String) -> String {
        var out = ""
        var inClass = false
        var escaped = false
        for cluster in pattern {
            if escaped { out.append(cluster); escaped = false; continue }
            if cluster == "\\" { out.append(cluster); escaped = true; continue }
            if cluster == "[" { inClass = true } else if cluster == "]" { inClass = false }
            // ASCII letters in lower case, as the view has them: the database is compiled without
            // HS_FLAG_CASELESS, which in UTF-8 mode folds every letter of every script and made
            // compiling several times slower. Escapes (`\S`, `\W`) are kept as written.
            if let ascii = cluster.asciiValue {
                out.append(ascii >= 0x41 && ascii <= 0x5A ? Character(Unicode.Scalar(ascii | 0x20)) : cluster)
                continue
            }
            guard cluster.unicodeScalars.contains(where: { $0.value >= 0x80 }) else { out.append(cluster); continue }
            let folded = String(decoding: TextNormalizer.nativeFold(cluster.unicodeScalars.map(\.value)), as: UTF8.self)
            if inClass && folded.unicodeScalars.count != 1 { out.append(cluster); continue }
            for scalar in folded.unicodeScalars {
                let v = scalar.value
                let alnum = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
                if v < 0x80 && !alnum && v != 0x20 { out.append("\\") }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A rule pattern as its view's database compiles it, with its flags: prose patterns in the
    /// prose dialect, native ones folded and in UTF-8 mode (no caseless: lower-cased instead),
    /// raw ones case-sensitive, every other caseless.
    static func compiled(_ pattern: String, view: RuleView) -> (text: String, flags: UInt32) {
        let dotall = UInt32(HS_FLAG_DOTALL)
        switch view {
        case .prose: return (prose(pattern), dotall | UInt32(HS_FLAG_CASELESS))
        case .plain: return (pattern, dotall | UInt32(HS_FLAG_CASELESS))
        case .raw: return (pattern, dotall)
        case .native: return (native(pattern), dotall | UInt32(HS_FLAG_UTF8))
        }
    }

    /// True when `pattern` has a character outside ASCII (every native-view pattern must).
    static func hasNonASCII(_ pattern: String) -> Bool { pattern.utf8.contains { $0 >= 0x80 } }

    static func lettersIL(_ pattern: String) -> String {
        var out = ""
        var inClass = false
        var escaped = false
        var groupFlags = false
        var previous: Character = " "
        // A literal word of letters and digits ("base64", "gpt4"), or of one or two digits ("0"),
        // reads as the prose view writes it: digits in leetspeak ("base6a", "o"), else the
        // pattern could never match.
        var word = ""
        var wordAfterEscape = false // `\x4a`: the rest of an escape, not a word
        var escapeEnded = false
        var inBrace = false // a counted repeat `{2,5}`
        func flushWord() {
            guard !word.isEmpty else { return }
            // Words of one or two digits are leetspeak in the view too ("0 tokens" reads "o tokens").
            let digitsOnly = !word.contains { $0.isLetter }
            let mixed = !wordAfterEscape && (digitsOnly ? word.count <= 2 : word.contains { $0.isNumber })
            for c in word {
                if mixed, let ascii = c.asciiValue, let folded = TextNormalizer.leet(ascii), c.isNumber {
                    out.unicodeScalars.append(Unicode.Scalar(folded))
                } else {
                    out.append(c)
                }
            }
            word = ""
        }
        for c in pattern {
            defer { previous = c }
            if !escaped && !inClass && !groupFlags {
                if c == "{" { inBrace = true } else if c == "}" { inBrace = false }
            }
            let wordCharacter = !escaped && !inClass && !groupFlags && !inBrace && c.isASCII && (c.isLetter || c.isNumber)
            if wordCharacter {
                if word.isEmpty { wordAfterEscape = escapeEnded }
                escapeEnded = false
                // Inside a word, `l` reads `i` like every other letter below.
                word.append(c == "l" || c == "L" ? "i" : c)
                continue
            }
            flushWord()
            escapeEnded = escaped && (c == "x" || c == "o" || c == "c" || c.isNumber)
            if escaped { out.append(c); escaped = false; continue }
            if c == "\\" { out.append(c); escaped = true; continue }
            if inClass {
                if c == "]" { inClass = false }
                out.append(c == "l" || c == "L" ? "i" : c)
                continue
            }
            if groupFlags {
                if c == ":" || c == ")" { groupFlags = false }
                out.append(c)
                continue
            }
            switch c {
            case "[": inClass = true; out.append(c)
            case "?" where previous == "(": groupFlags = true; out.append(c)
            case "l", "L": out += "i"
            default: out.append(c)
            }
        }
        flushWord()
        return out
    }
}
