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

    static func lettersIL(_ pattern: String) -> String {
        var out = ""
        var inClass = false
        var escaped = false
        var groupFlags = false
        var previous: Character = " "
        for c in pattern {
            defer { previous = c }
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
        return out
    }
}
