import JSONSchema
import Yams

/// A YAML node with its file, and typed accessors that report problems with file:line.
struct YAMLNode {
    let node: Node
    let file: String

    var location: SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    func issue(_ code: String, _ message: String) -> PolicyIssue {
        PolicyIssue(code: code, message: message, location: location)
    }

    var kindName: String {
        switch node {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// Mapping entries with string keys, in order.
    func mapping() throws(PolicyIssue) -> [(String, YAMLNode)] {
        guard case .mapping(let m) = node else { throw issue("policy_type", "expected a mapping, found \(kindName)") }
        var out: [(String, YAMLNode)] = []
        for (k, v) in m {
            guard case .scalar(let s) = k else {
                throw YAMLNode(node: k, file: file).issue("policy_type", "mapping keys must be strings")
            }
            out.append((s.string, YAMLNode(node: v, file: file)))
        }
        return out
    }

    /// Mapping entries, rejecting keys not in `allowed` (typos are errors, not ignored).
    func mapping(allowed: Set<String>, context: String) throws(PolicyIssue) -> [String: YAMLNode] {
        var out: [String: YAMLNode] = [:]
        for (key, value) in try mapping() {
            guard allowed.contains(key) else {
                throw value.issue("policy_unknown_key", "unknown key \"\(key)\" in \(context); expected one of: \(allowed.sorted().joined(separator: ", "))")
            }
            out[key] = value
        }
        return out
    }

    func list() throws(PolicyIssue) -> [YAMLNode] {
        guard case .sequence(let s) = node else { throw issue("policy_type", "expected a list, found \(kindName)") }
        return s.map { YAMLNode(node: $0, file: file) }
    }

    func string() throws(PolicyIssue) -> String {
        guard case .scalar(let s) = node, Resolver.default.resolveTag(of: node) != .null else { throw issue("policy_type", "expected a string, found \(kindName)") }
        return s.string
    }

    func stringList() throws(PolicyIssue) -> [String] {
        var out: [String] = []
        for item in try list() { out.append(try item.string()) }
        return out
    }

    func int(min: Int = 0) throws(PolicyIssue) -> Int {
        guard case .scalar(let s) = node, let v = Int(s.string), v >= min else {
            throw issue("policy_type", "expected an integer >= \(min)")
        }
        return v
    }

    func double(min: Double = 0) throws(PolicyIssue) -> Double {
        guard case .scalar(let s) = node, let v = Double(s.string), v.isFinite, v >= min else {
            throw issue("policy_type", "expected a number >= \(min)")
        }
        return v
    }

    func bool() throws(PolicyIssue) -> Bool {
        guard case .scalar = node, Resolver.default.resolveTag(of: node) == .bool, let b = node.bool else {
            throw issue("policy_type", "expected true or false")
        }
        return b
    }

    /// Converts to JSON (for inline schemas): YAML scalars by their resolved tag, numbers exactly.
    func json(depth: Int = 0) throws(PolicyIssue) -> JSONValue {
        guard depth < 128 else { throw issue("policy_too_deep", "nested deeper than 128 levels") }
        switch node {
        case .scalar(let s):
            switch Resolver.default.resolveTag(of: node) {
            case .null: return .null
            case .bool: return .bool(node.bool ?? false)
            case .int:
                if let n = JSONNumber(s.string) { return .number(n) }
                if let i = node.int { return .number(JSONNumber(i)) }
                throw issue("policy_type", "integer \(s.string) is not representable in JSON")
            case .float:
                if let n = JSONNumber(s.string) { return .number(n) }
                throw issue("policy_type", "number \(s.string) is not representable in JSON (write it as a JSON number)")
            default:
                return .string(s.string)
            }
        case .sequence(let seq):
            var out: [JSONValue] = []
            for item in seq { out.append(try YAMLNode(node: item, file: file).json(depth: depth + 1)) }
            return .array(out)
        case .mapping:
            var object = JSONObject()
            for (key, value) in try mapping() { object.set(key, try value.json(depth: depth + 1)) }
            return .object(object)
        case .alias:
            throw issue("policy_type", "YAML aliases are not allowed in policies")
        }
    }
}
