import Testing
@testable import JSONSchema

@Suite("Strict JSON parser")
struct JSONParserTests {
    func parse(_ s: String, limits: JSONLimits = .arguments) throws(JSONParseError) -> JSONValue {
        try JSONParser(limits: limits).parse(s)
    }

    func code(_ s: String, limits: JSONLimits = .arguments) -> JSONParseError.Code? {
        do { _ = try parse(s, limits: limits); return nil } catch { return error.code }
    }

    @Test("numbers append the same JSON text as their description", arguments: [
        "0", "-0", "7", "-7", "250", "18446744073709551615", "-18446744073709551615", "18446744073709551616",
        "1.5", "-0.001", "1e400", "12345678901234567890123", "5e-7",
    ])
    func numberText(_ text: String) throws {
        guard case .number(let n) = try JSONParser().parse(text) else { Issue.record("not a number"); return }
        var out: [UInt8] = []
        n.appendJSONText(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == n.description)
    }

    @Test("RFC 8259 violations are syntax errors", arguments: [
        "[1,]", "{\"a\":1,}", "// c\n1", "/* c */ 1", "NaN", "Infinity", "-Infinity", "01", "1.", ".5", "+1",
        "'a'", "{a:1}", "[1 2]", "\"\\x41\"", "\"a\tb\"", "tru", "nul", "[", "{\"a\"}", "1 2", "\u{FEFF}1", "",
    ])
    func syntaxErrors(_ text: String) {
        #expect(code(text) == .syntax)
    }

    @Test("lone surrogates are rejected")
    func loneSurrogates() {
        #expect(code(#""\ud800""#) == .syntax)
        #expect(code(#""\udc00""#) == .syntax)
        #expect(code(#""\ud800\u0041""#) == .syntax)
        #expect((try? parse(#""\ud83d\udc32""#)) == .string("\u{1F432}"))
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22]] {
            do { _ = try JSONParser().parse(bytes); Issue.record("accepted \(bytes)") } catch {
                #expect(error.code == .invalidUTF8)
            }
        }
    }

    @Test("duplicate keys are rejected with their path")
    func duplicateKeys() {
        do { _ = try parse(#"{"a":{"b":1,"c":2,"b":3}}"#); Issue.record("accepted duplicate") } catch {
            #expect(error.code == .duplicateKey)
            #expect(error.path == "/a/b")
        }
        // Canonically equivalent but different code points are different keys.
        #expect((try? parse("{\"\u{E9}\":1,\"e\u{301}\":2}")) != nil)
        // Many members: the hashed path detects duplicates too.
        let many = (0..<50).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(code("{\(many),\"k7\":0}") == .duplicateKey)
    }

    @Test("limits produce their own error codes")
    func limits() {
        let small = JSONLimits(maxBytes: 100, maxDepth: 3, maxStringBytes: 5, maxContainerCount: 3, maxNumberLength: 10)
        #expect(code(String(repeating: " ", count: 101) + "1", limits: small) == .tooLarge)
        #expect(code("[[[[1]]]]", limits: small) == .tooDeep)
        #expect(code("[[[1]]]", limits: small) == nil)
        #expect(code(#""abcdef""#, limits: small) == .stringTooLong)
        #expect(code(#""ab\ncdef""#, limits: small) == .stringTooLong)
        #expect(code("[1,2,3,4]", limits: small) == .tooManyMembers)
        #expect(code(#"{"a":1,"b":2,"c":3,"d":4}"#, limits: small) == .tooManyMembers)
        #expect(code("12345678901", limits: small) == .numberTooLong)
        // Deep nesting never overflows the stack: the depth limit stops it first.
        #expect(code(String(repeating: "[", count: 100_000)) == .tooDeep)
    }

    @Test("escapes decode")
    func escapes() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t\u00e9""#) == .string("\"\\/\u{8}\u{C}\n\r\t\u{E9}"))
    }

    @Test("numbers keep their exact value")
    func numbers() throws {
        let n = { (s: String) throws -> JSONNumber in try #require(JSONNumber(s)) }
        #expect(try n("1.0").isInteger)
        #expect(try n("1e2").isInteger)
        #expect(try !n("1.5").isInteger)
        #expect(try n("1.0") == n("1"))
        #expect(try n("100") == n("1e2"))
        #expect(try n("-0") == n("0"))
        #expect(try n("0.3").isMultiple(of: n("0.1")))
        #expect(try n("0.0075").isMultiple(of: n("0.0001")))
        #expect(try !n("0.00751").isMultiple(of: n("0.0001")))
        #expect(try n("1e308").isMultiple(of: n("0.5")))
        #expect(try !n("1e-308").isMultiple(of: n("3")))
        // Beyond 2^53 and 2^64: exact comparison.
        #expect(try JSONNumber.compare(n("9007199254740993"), n("9007199254740992")) == 1)
        #expect(try JSONNumber.compare(n("18446744073709551617"), n("18446744073709551616")) == 1)
        #expect(try JSONNumber.compare(n("-18446744073709551617"), n("-18446744073709551616")) == -1)
        #expect(try JSONNumber.compare(n("123456789012345678901234567890"), n("1.2345678901234567890123456789e29")) == 0)
        #expect(try JSONNumber.compare(n("0.1"), n("0.09999999999999999999999")) == 1)
        #expect(try n("12345678901234567890124").isMultiple(of: n("3")) == false)
        #expect(try n("12345678901234567890120").isMultiple(of: n("3")) == true)
        #expect(try n("250").description == "250")
        #expect(try n("0.01").description == "0.01")
        #expect(try n("5000").intValue == 5000)
    }

    @Test("JSON equality ignores member order and number spelling")
    func equality() throws {
        #expect(try parse(#"{"a":1,"b":[1.0,"x"]}"#) == parse(#"{"b":[1,"x"],"a":1.00}"#))
        #expect(try parse(#"{"a":1}"#) != parse(#"{"a":true}"#))
        #expect(try parse("\"\u{E9}\"") != parse("\"e\u{301}\""))
    }
}
