import Testing
@testable import JSONSchema

@Suite("Validator behaviour beyond the suite")
struct ValidatorTests {
    static let paymentSchema = #"{"type":"object","required":["amount_usd","destination"],"properties":{"amount_usd":{"type":"number","minimum":0.01,"maximum":5000},"destination":{"type":"string","pattern":"acct-\\d{6,}"}},"additionalProperties":false}"#

    func instance(_ s: String) throws -> JSONValue { try JSONParser().parse(s) }

    @Test("payment arguments: valid, and a precise error when over the maximum")
    func payment() throws {
        let v = try JSONSchemaValidator(schemaText: Self.paymentSchema)
        #expect(v.validate(try instance(#"{"amount_usd":250,"destination":"acct-123456"}"#)).isValid)
        let r = v.validate(try instance(#"{"amount_usd":9000,"destination":"acct-123456"}"#))
        #expect(!r.isValid)
        let e = try #require(r.errors.first)
        #expect(e.instanceLocation == "/amount_usd")
        #expect(e.keywordLocation == "/properties/amount_usd/maximum")
        #expect(e.absoluteKeywordLocation == "urn:pramagent:schema#/properties/amount_usd/maximum")
        #expect(e.keyword == "maximum")
        #expect(e.message.contains("5000"))
    }

    @Test("first-error mode stops at one error; all-errors mode reports every one")
    func modes() throws {
        let v = try JSONSchemaValidator(schemaText: Self.paymentSchema)
        let bad = try instance(#"{"amount_usd":-1,"destination":"x","extra":true}"#)
        #expect(v.validate(bad, mode: .firstError).errors.count == 1)
        let all = v.validate(bad, mode: .allErrors).errors
        #expect(Set(all.map(\.keywordLocation)) == ["/properties/amount_usd/minimum", "/properties/destination/pattern", "/additionalProperties"])
        #expect(all.first { $0.keywordLocation == "/additionalProperties" }?.instanceLocation == "/extra")
        #expect(!v.isValid(bad))
    }

    @Test("keyword locations follow $ref; basic output has the spec's fields")
    func refLocations() throws {
        let v = try JSONSchemaValidator(schemaText: ##"{"$defs":{"pos":{"type":"integer","minimum":1}},"properties":{"n":{"$ref":"#/$defs/pos"}}}"##)
        let r = v.validate(try instance(#"{"n":0}"#))
        #expect(r.errors.first?.keywordLocation == "/properties/n/$ref/minimum")
        #expect(r.errors.first?.absoluteKeywordLocation == "urn:pramagent:schema#/$defs/pos/minimum")
        let out = r.basicOutput
        #expect(out["valid"] == .bool(false))
        #expect(out["errors"]?.arrayValue?.first?["instanceLocation"] == .string("/n"))
        #expect(out["errors"]?.arrayValue?.first?["error"]?.stringValue?.isEmpty == false)
    }

    @Test("bad schemas are compile errors with a stable code and pointer")
    func compileErrors() {
        func code(_ s: String) -> SchemaCompileError.Code? {
            do { _ = try JSONSchemaValidator(schemaText: s); return nil } catch { return error.code }
        }
        #expect(code(#"{"type":"strng"}"#) == .metaSchemaViolation)
        #expect(code(#"{"minimum":"1"}"#) == .metaSchemaViolation)
        #expect(code(#"{"$ref":"https://example.com/remote.json"}"#) == .unresolvedReference)
        #expect(code(##"{"$ref":"#/$defs/missing"}"##) == .unresolvedReference)
        #expect(code(#"{"pattern":"(?i)x"}"#) == .invalidPattern)
        #expect(code(#"{"type":"object",}"#) == .invalidJSON)
        #expect(code(##"{"$schema":"http://json-schema.org/draft-07/schema#"}"##) == .unsupported)
        do { _ = try JSONSchemaValidator(schemaText: #"{"properties":{"a":{"pattern":"("}}}"#) } catch {
            #expect(error.pointer == "/properties/a/pattern")
        }
    }

    @Test("a schema that recurses without consuming input is bounded")
    func infiniteRecursion() throws {
        let v = try JSONSchemaValidator(schemaText: ##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##)
        let r = v.validate(.number(JSONNumber(1)))
        #expect(!r.isValid)
        #expect(r.errors.first?.message.contains("deeper") == true)
    }

    @Test("format is an annotation unless assertion is asked for")
    func formatModes() throws {
        let schema = #"{"format":"email"}"#
        #expect(try JSONSchemaValidator(schemaText: schema).isValid(.string("nope")))
        let asserting = try JSONSchemaValidator(schemaText: schema, options: ValidatorOptions(assertFormats: true))
        #expect(!asserting.isValid(.string("nope")))
        #expect(asserting.isValid(.string("a@example.com")))
    }

    @Test("property names compare by code points")
    func exactPropertyNames() throws {
        let v = try JSONSchemaValidator(schemaText: "{\"properties\":{\"\u{E9}\":{\"type\":\"integer\"}},\"additionalProperties\":false}")
        #expect(v.isValid(try instance("{\"\u{E9}\":1}")))
        #expect(!v.isValid(try instance("{\"e\u{301}\":1}")))
    }

    @Test("remote references resolve only through mapped local directories")
    func remotes() throws {
        var registry = SchemaRegistry.standard
        registry.mapRemote(prefix: "http://localhost:1234/", directory: Suite.root.appendingPathComponent("remotes").path)
        let v = try JSONSchemaValidator(schemaText: #"{"$ref":"http://localhost:1234/integer.json"}"#, registry: registry)
        #expect(v.isValid(.number(JSONNumber(3))))
        #expect(!v.isValid(.string("3")))
        #expect(throws: SchemaCompileError.self) {
            try JSONSchemaValidator(schemaText: #"{"$ref":"http://localhost:1234/../etc/passwd"}"#, registry: registry)
        }
    }
}
