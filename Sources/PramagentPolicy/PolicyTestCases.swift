import Foundation
import JSONSchema
import PramagentSystem
import Yams

/// One call in a policy test and what the policy must answer.
public struct PolicyTestStep: Sendable {
    public var tenant: String
    public var session: String
    public var tool: String
    public var operation: String
    public var argumentsJSON: String
    public var expectedVerdict: PolicyVerdict
    /// Expected reason codes in order; nil when the test does not check them.
    public var expectedReasons: [String]?
    /// Expected chain name for dangerous_chain, if given.
    public var expectedChain: String?
    public var location: SourceLocation
}

/// A named sequence of calls run on a fresh engine (fresh sessions and limits).
public struct PolicyTestCase: Sendable {
    public var name: String
    public var uid: UInt32
    public var gid: UInt32
    public var steps: [PolicyTestStep]
    public var location: SourceLocation
}

/// Reads policy test files: YAML with a `cases` list (see docs/policy.md, "Policy tests").
public enum PolicyTestLoader {
    /// Loads every *.yaml file in `directory` (usually `POLICY_DIR/tests`).
    public static func load(directory: String) throws(PolicyLoadError) -> [PolicyTestCase] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var cases: [PolicyTestCase] = []
        var issues: [PolicyIssue] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                issues.append(PolicyIssue(code: "policy_io", message: "cannot read \(path)", location: nil))
                continue
            }
            do {
                cases += try parse(text, file: path)
            } catch {
                issues.append(error)
            }
        }
        if !issues.isEmpty { throw PolicyLoadError(issues: issues) }
        return cases
    }

    public static func parse(_ text: String, file: String) throws(PolicyIssue) -> [PolicyTestCase] {
        let root: Node?
        do {
            root = try PolicyYAML.compose(text)
        } catch let error as YamlError {
            throw PolicyBundleYAML.issue(for: error, file: file)
        } catch {
            throw PolicyIssue(code: "policy_yaml", message: "\(error)", location: SourceLocation(file: file, line: 0, column: 0))
        }
        guard let root else { return [] }
        let top = try YAMLNode(node: root, file: file).mapping(allowed: ["cases"], context: "a policy test file")
        guard let list = top["cases"] else { return [] }
        var cases: [PolicyTestCase] = []
        for (index, item) in try list.list().enumerated() {
            let m = try item.mapping(allowed: ["name", "caller", "steps", "request", "expect"], context: "a test case")
            let name = try m["name"]?.string() ?? "case \(index + 1)"
            var uid: UInt32 = 0
            var gid: UInt32 = 0
            if let c = m["caller"] {
                let cm = try c.mapping(allowed: ["user", "uid", "gid"], context: "caller")
                if let u = cm["user"] {
                    let user = try u.string()
                    guard let id = PolicyTestLoader.uid(user) else { throw u.issue("policy_unknown_user", "no unix user \"\(user)\"") }
                    uid = id
                }
                if let u = cm["uid"] { uid = UInt32(try u.int()) }
                if let g = cm["gid"] { gid = UInt32(try g.int()) }
            }
            var stepNodes: [YAMLNode] = []
            if let s = m["steps"] { stepNodes = try s.list() } else { stepNodes = [item] }
            var steps: [PolicyTestStep] = []
            for stepNode in stepNodes {
                let sm = try stepNode.mapping()
                let dict = Dictionary(sm, uniquingKeysWith: { a, _ in a })
                guard let r = dict["request"], let e = dict["expect"] else {
                    throw stepNode.issue("policy_missing_key", "a test step needs request and expect")
                }
                steps.append(try step(r, e, defaultSession: "test-\(index + 1)"))
            }
            cases.append(PolicyTestCase(name: name, uid: uid, gid: gid, steps: steps, location: item.location))
        }
        return cases
    }

    static func uid(_ user: String) -> UInt32? { UnixAccounts.uid(ofUser: user) }

    private static func step(_ r: YAMLNode, _ e: YAMLNode, defaultSession: String) throws(PolicyIssue) -> PolicyTestStep {
        let rm = try r.mapping(allowed: ["tenant", "session", "tool", "operation", "arguments", "arguments_json"], context: "request")
        let em = try e.mapping(allowed: ["verdict", "reasons", "chain"], context: "expect")
        var arguments = "{}"
        if let a = rm["arguments"] { arguments = try a.json().jsonText }
        if let a = rm["arguments_json"] { arguments = try a.string() }
        guard let v = em["verdict"] else { throw e.issue("policy_missing_key", "expect needs a verdict") }
        let verdictText = try v.string()
        guard let verdict = PolicyVerdict(rawValue: verdictText) else {
            throw v.issue("policy_unknown_verdict", "unknown verdict \"\(verdictText)\"")
        }
        return PolicyTestStep(tenant: try rm["tenant"]?.string() ?? "", session: try rm["session"]?.string() ?? defaultSession,
                              tool: try rm["tool"]?.string() ?? "", operation: try rm["operation"]?.string() ?? "",
                              argumentsJSON: arguments, expectedVerdict: verdict, expectedReasons: try em["reasons"]?.stringList(),
                              expectedChain: try em["chain"]?.string(), location: r.location)
    }
}
