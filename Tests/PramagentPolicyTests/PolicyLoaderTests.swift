import Foundation
import Testing
@testable import PramagentPolicy
import JSONSchema
import Yams
import PramagentCrypto

@Suite("Policy loading and compilation")
struct PolicyLoaderTests {
    func load(_ files: [(String, String)]) throws(PolicyLoadError) -> PolicySnapshot {
        try PolicyLoader().load(files: files.map { (name: $0.0, text: $0.1) })
    }

    func issues(_ files: [(String, String)]) -> [PolicyIssue] {
        do { _ = try load(files); return [] } catch { return error.issues }
    }

    static let minimal = """
    callers:
      - uid: 1000
        tenants: [acme]
    tools:
      read_thing:
        side_effect: read
        tenants: [acme]
        schema: { properties: { id: { type: integer } } }
    """

    @Test("a minimal bundle compiles; the tool schema is enforced as an object")
    func minimal() throws {
        let s = try load([("a.yaml", Self.minimal)])
        let tool = try #require(s.tools["read_thing"])
        #expect(tool.sideEffect == .read)
        #expect(tool.action == .allow)
        #expect(tool.tenants == ["acme"])
        #expect(s.callers.mayActFor(uid: 1000, gid: 5, tenant: "acme"))
        #expect(!s.callers.mayActFor(uid: 1000, gid: 5, tenant: "other"))
        #expect(!s.callers.mayActFor(uid: 1001, gid: 5, tenant: "acme"))
        #expect(s.chains.count == BuiltinChains.all.count)
        #expect(s.version.count == 64)
    }

    @Test("the version is the SHA-256 of the bundle: it changes with any byte")
    func version() throws {
        let a = try load([("a.yaml", Self.minimal)])
        let b = try load([("a.yaml", Self.minimal + "\n# comment")])
        let c = try load([("a.yaml", Self.minimal)])
        #expect(a.version != b.version)
        #expect(a.version == c.version)
    }

    @Test("the version covers the built-in corpora the bundle switches on, not only its files")
    func versionCoversBuiltinCorpora() throws {
        let text = Self.minimal + "\nscanning:\n  corpora: [secrets, jailbreak]\n"
        let snapshot = try load([("a.yaml", text)])
        func digest(_ name: String, _ bytes: [UInt8]) -> [UInt8] {
            Array(name.utf8) + [0] + Array(String(bytes.count).utf8) + [0] + bytes
        }
        let sources = BuiltinRuleCorpora.sources
        let jailbreak = try #require(sources["jailbreak"]), secrets = try #require(sources["secrets"])
        let shared = try #require(BuiltinRuleCorpora.sharedLexicons)
        let filesOnly = SHA256.hash(digest("a.yaml", Array(text.utf8))).hexString
        let withCorpora = SHA256.hash(digest("a.yaml", Array(text.utf8)) + digest(shared.file, Array(shared.text.utf8))
                                      + digest(secrets.file, Array(secrets.text.utf8))
                                      + digest(jailbreak.file, Array(jailbreak.text.utf8))).hexString
        #expect(snapshot.version != filesOnly)
        #expect(snapshot.version == withCorpora)
    }

    @Test("an unknown side effect points at its line")
    func unknownSideEffect() {
        let found = issues([("t.yaml", """
        tools:
          x:
            side_effect: reed
            tenants: [a]
        """)])
        #expect(found.count == 1)
        #expect(found.first?.code == "policy_unknown_side_effect")
        #expect(found.first?.location?.file == "t.yaml")
        #expect(found.first?.location?.line == 3)
    }

    @Test("a broken schema is rejected with the tool's file and line")
    func brokenSchema() {
        let found = issues([("t.yaml", """
        tools:
          ok:
            side_effect: read
            tenants: [a]
          bad:
            side_effect: read
            tenants: [a]
            schema: { type: object, properties: { n: { minimum: "one" } } }
        """)])
        #expect(found.map(\.code) == ["policy_schema"])
        #expect(found.first?.location?.line == 8)
        #expect(found.first?.message.contains("bad") == true)
    }

    @Test("typos, YAML errors and duplicates are errors, all reported at once")
    func manyProblems() {
        let found = issues([
            ("a.yaml", "tools:\n  t:\n    side_effect: read\n    tenants: [a]\n    acton: allow\n"),
            ("b.yaml", "tools: [unclosed\n"),
            ("c.yaml", "tools:\n  u:\n    side_effect: read\n    tenants: [a]\n"),
            ("d.yaml", "tools:\n  u:\n    side_effect: write\n    tenants: [a]\n"),
        ])
        let codes = Set(found.map(\.code))
        #expect(codes.contains("policy_unknown_key"))
        #expect(codes.contains("policy_yaml"))
        #expect(codes.contains("policy_duplicate"))
        #expect(found.first { $0.code == "policy_yaml" }?.location?.file == "b.yaml")
        #expect(found.first { $0.code == "policy_duplicate" }?.message.contains("c.yaml") == true)
    }

    @Test("an alias bomb in a schema is bounded, not expanded")
    func aliasBomb() {
        var text = "tools:\n  t:\n    side_effect: read\n    tenants: [a]\n    schema:\n      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<8 { text += "      l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let found = issues([("a.yaml", text)])
        #expect(found.map(\.code) == ["policy_too_large"])
    }

    @Test("YAML duplicate keys are rejected")
    func duplicateKeys() {
        let found = issues([("a.yaml", "tools:\n  t:\n    side_effect: read\n    side_effect: write\n    tenants: [a]\n")])
        #expect(found.first?.code == "policy_duplicate")
    }

    @Test("callers: unknown users are errors; groups and uids map")
    func callers() throws {
        let found = issues([("a.yaml", "callers:\n  - user: no-such-user-pramagent\n    tenants: [a]\ntools:\n  t: { side_effect: read, tenants: [a] }\n")])
        #expect(found.first?.code == "policy_unknown_user")
        #expect(found.first?.location?.line == 2)
        let s = try load([("a.yaml", "callers:\n  - user: root\n    tenants: ['*']\n  - gid: 4242\n    tenants: [a]\ntools:\n  t: { side_effect: read, tenants: [a] }\n")])
        #expect(s.callers.mayActFor(uid: 0, gid: 0, tenant: "anything"))
        #expect(s.callers.mayActFor(uid: 77, gid: 4242, tenant: "a"))
        #expect(!s.callers.mayActFor(uid: 77, gid: 4242, tenant: "b"))
    }

    @Test("chains: custom chains compile, built-ins can be replaced or turned off")
    func chains() throws {
        let text = """
        defaults: { builtin_chains: false }
        tools:
          t: { side_effect: read, tenants: [a] }
        chains:
          - name: mine
            sequence: [read, ">=write", "tool:t"]
            verdict: block
        """
        let s = try load([("a.yaml", text)])
        #expect(s.chains.map(\.name) == ["mine"])
        #expect(s.chains[0].steps == [.sideEffect(.read), .atLeast(.write), .tool("t")])
        let replaced = try load([("a.yaml", "tools:\n  t: { side_effect: read, tenants: [a] }\nchains:\n  - name: data_exfiltration\n    sequence: [read, write]\n")])
        #expect(replaced.chains.filter { $0.name == "data_exfiltration" }.count == 1)
        #expect(replaced.chains.first { $0.name == "data_exfiltration" }?.steps == [.sideEffect(.read), .sideEffect(.write)])
        let bad = issues([("a.yaml", "chains:\n  - name: x\n    sequence: [\"tool:ghost\"]\n")])
        #expect(bad.first?.code == "policy_unknown_tool")
    }

    @Test("the shipped bundles compile")
    func shippedBundles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let main = try PolicyLoader().load(directory: root.appendingPathComponent("policies").path)
        #expect(main.tools["lookup_customer"] != nil)
        let examples = try PolicyLoader().load(directory: root.appendingPathComponent("policies/examples").path)
        let payment = try #require(examples.tools["send_payment"])
        #expect(payment.sideEffect == .payment)
        #expect(payment.action == .escalate)
        #expect(payment.tenants == ["finance_team"])
    }

    @Test("a missing directory is a clear error")
    func missingDirectory() {
        do { _ = try PolicyLoader().load(directory: "/nonexistent/pramagent"); Issue.record("loaded") } catch {
            #expect(error.issues.first?.code == "policy_io")
        }
    }
}

@Suite("Published policy JSON Schema")
struct PolicySchemaDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func validator() throws -> JSONSchemaValidator {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/policy.schema.json"), encoding: .utf8)
        return try JSONSchemaValidator(schemaText: text)
    }

    func json(_ yaml: String) throws -> JSONValue {
        let node = try #require(try PolicyYAML.compose(yaml))
        return try YAMLNode(node: node, file: "x").json()
    }

    @Test("the shipped bundles conform to docs/policy.schema.json", arguments: ["policies/pramagent.yaml", "policies/examples/payments.yaml"])
    func shipped(_ path: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
        let result = try validator().validate(try json(text), mode: .allErrors)
        #expect(result.isValid, "\(result.errors)")
    }

    /// The schema must not reject what the loader reads: every key a rule, its `concepts` or the
    /// scanning section may have is a property of the schema's definition.
    @Test("the schema knows every key the loader allows")
    func keysMatchTheLoader() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/policy.schema.json"), encoding: .utf8)
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let defs = try #require(schema["$defs"] as? [String: Any])
        let rule = try #require(defs["rule"] as? [String: Any])
        let ruleProperties = try #require(rule["properties"] as? [String: Any])
        #expect(RuleCorpusLoader.ruleKeys.subtracting(ruleProperties.keys).isEmpty,
                "rule keys missing from the schema: \(RuleCorpusLoader.ruleKeys.subtracting(ruleProperties.keys).sorted())")
        let concepts = try #require((ruleProperties["concepts"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(ConceptRuleParser.conceptKeys.subtracting(concepts.keys).isEmpty,
                "concept keys missing from the schema: \(ConceptRuleParser.conceptKeys.subtracting(concepts.keys).sorted())")
    }

    @Test("the schema catches what the loader rejects")
    func rejects() throws {
        let v = try validator()
        #expect(!v.isValid(try json("tools:\n  t: { side_effect: reed, tenants: [a] }\n")))
        #expect(!v.isValid(try json("tools:\n  t: { side_effect: read }\n")))
        #expect(!v.isValid(try json("toolz: {}\n")))
        #expect(!v.isValid(try json("chains:\n  - { name: x, sequence: [wrte] }\n")))
        let rule = "scanning:\n  rules:\n    - {id: a, severity: high, patterns: %@}\n"
        #expect(v.isValid(try json(rule.replacingOccurrences(of: "%@", with: "['x y', {from_end: 'a b'}], not_after: [never]"))))
        #expect(!v.isValid(try json(rule.replacingOccurrences(of: "%@", with: "[{form_end: 'a b'}]"))))
    }
}

@Suite("YAML scalar typing (core schema)")
struct ScalarTypingTests {
    func json(_ yaml: String) throws -> JSONValue {
        let node = try #require(try PolicyYAML.compose(yaml))
        return try YAMLNode(node: node, file: "x").json()
    }

    @Test("plain scalars are typed, quoted ones are strings, numbers stay exact")
    func typing() throws {
        let v = try json("""
        a: 1
        b: -2.50
        c: "3"
        d: true
        e: ~
        f: yes
        g: 0x1F
        h: 1e3
        i: .5
        j: 'null'
        k: 007
        l: 1.0.0
        """)
        #expect(v["a"] == .number(JSONNumber(1)))
        #expect(v["b"] == .number(try #require(JSONNumber("-2.5"))))
        #expect(v["c"] == .string("3"))
        #expect(v["d"] == .bool(true))
        #expect(v["e"] == .null)
        #expect(v["f"] == .string("yes"))
        #expect(v["g"] == .number(JSONNumber(31)))
        #expect(v["h"] == .number(JSONNumber(1000)))
        #expect(v["i"] == .number(try #require(JSONNumber("0.5"))))
        #expect(v["j"] == .string("null"))
        #expect(v["k"] == .number(JSONNumber(7)))
        #expect(v["l"] == .string("1.0.0"))
    }
}

@Suite("Compile cache across reloads")
struct CompileCacheTests {
    @Test("unchanged schemas are reused, changed ones recompiled; results are identical to an uncached load")
    func reuse() throws {
        let cache = CompileCache()
        let a = "tools:\n  t: { side_effect: read, tenants: [x], schema: { properties: { n: { maximum: 3 } } } }\n  u: { side_effect: read, tenants: [x], schema: { required: [k] } }\n"
        let b = a.replacingOccurrences(of: "maximum: 3", with: "maximum: 4")
        let first = try PolicyLoader(cache: cache).load(files: [(name: "a.yaml", text: a)])
        let second = try PolicyLoader(cache: cache).load(files: [(name: "a.yaml", text: a)])
        let third = try PolicyLoader(cache: cache).load(files: [(name: "a.yaml", text: b)])
        let uncached = try PolicyLoader().load(files: [(name: "a.yaml", text: b)])
        #expect(first.tools["t"]!.schema! === second.tools["t"]!.schema!)
        #expect(first.tools["u"]!.schema! === third.tools["u"]!.schema!)
        #expect(first.tools["t"]!.schema! !== third.tools["t"]!.schema!)
        #expect(first.version == second.version)
        #expect(third.version == uncached.version)
        let four = JSONValue.object(JSONObject(keys: ["n"], values: [.number(JSONNumber(4))]))
        #expect(third.tools["t"]!.schema!.isValid(four))
        #expect(!first.tools["t"]!.schema!.isValid(four))
        #expect(cache.schemaCount == 3)
    }
}
