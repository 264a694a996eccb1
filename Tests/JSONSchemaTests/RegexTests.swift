import Testing
@testable import JSONSchema

@Suite("ECMA-262 regular expressions")
struct RegexTests {
    func matches(_ pattern: String, _ text: String) throws -> Bool {
        try ECMARegex(pattern).matches(text)
    }

    @Test("search semantics")
    func basics() throws {
        #expect(try matches("acct-\\d{6,}", "acct-123456"))
        #expect(try !matches("acct-\\d{6,}", "acct-12345"))
        #expect(try matches("b", "abc"))
        #expect(try !matches("^b", "abc"))
        #expect(try !matches("^abc$", "abc\n"))
        #expect(try matches("^(a|b)+c?$", "ababab"))
        #expect(try matches("^a{2,3}$", "aaa"))
        #expect(try !matches("^a{2,3}$", "aaaa"))
        #expect(try matches("^[^a-c]x$", "dx"))
        #expect(try matches("^.$", "\u{1F432}"))
        #expect(try !matches("^.$", "\n"))
        #expect(try matches("\\bfoo\\b", "a foo b"))
        #expect(try !matches("\\bfoo\\b", "afoob"))
        #expect(try matches("^\\p{Lu}\\p{Ll}+$", "Élan"))
        #expect(try matches("^\\u{1F432}$", "\u{1F432}"))
        #expect(try matches("^\\ud83d\\udc32$", "\u{1F432}"))
    }

    @Test("lookaround and backreferences")
    func backtrackingFeatures() throws {
        #expect(try matches("^(?=.*\\d)[a-z\\d]+$", "abc1"))
        #expect(try !matches("^(?=.*\\d)[a-z\\d]+$", "abc"))
        #expect(try matches("^(?!ab)", "ba"))
        #expect(try matches("(?<=\\$)\\d+", "cost $42"))
        #expect(try !matches("(?<!\\$)\\b\\d+", "$42"))
        #expect(try matches("^(\\w+) \\1$", "hey hey"))
        #expect(try !matches("^(\\w+) \\1$", "hey you"))
        #expect(try matches("^(?<word>a+)-\\k<word>$", "aa-aa"))
        #expect(try !ECMARegex("(a)\\1").isLinearTime)
        #expect(try ECMARegex("(a|b)*c").isLinearTime)
    }

    @Test("Unicode-mode syntax errors", arguments: ["\\a", "(?i)abc", "(?P<x>a)", "a{2,1}", "[b-a]", "(", "a)", "\\k<nope>", "\\1", "{", "\\p{Nonsense}", "a**"])
    func syntaxErrors(_ pattern: String) {
        #expect(throws: RegexSyntaxError.self) { try ECMARegex(pattern) }
    }

    @Test("catastrophic patterns run in linear time without backreferences")
    func noCatastrophicBacktracking() throws {
        let input = String(repeating: "a", count: 20_000) + "!"
        // Exponential for a naive backtracker; memoised here, so this is O(pattern x input).
        #expect(try !matches("^(a+)+$", input))
        #expect(try !matches("^(a|aa)*$", input))
        #expect(try !matches("^(a*)*b$", input))
        #expect(try !matches("(x+x+)+y", String(repeating: "x", count: 5_000)))
    }

    @Test("backtracking patterns are bounded by a step budget")
    func budget() throws {
        let regex = try ECMARegex("^(a+)+\\1b$")
        #expect(throws: RegexMatchError.self) {
            try regex.matches(String(repeating: "a", count: 5_000), stepBudget: 100_000)
        }
    }
}
