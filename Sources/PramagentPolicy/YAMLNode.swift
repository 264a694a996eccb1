import JSONSchema
import Yams

/// How a scalar reads under the YAML 1.2 core schema (resolved here by hand: Yams' default
/// resolver runs a regular expression per scalar, which dominated bundle compile time).
enum ScalarKind: Equatable {
    case null
    case bool(Bool)
    case int
    case float
    case string
}

/// Parses policy YAML with no implicit tag resolution; `YAMLNode` types scalars itself.
enum PolicyYAML {
    static func compose(_ text: String) throws -> Node? {
        try Yams.compose(yaml: text, .basic)
    }
}

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

    /// The scalar's type: quoted scalars and explicit `!!str` are strings; plain ones follow the core schema.
    var scalarKind: ScalarKind? {
        guard case .scalar(let s) = node else { return nil }
        switch s.tag.rawValue {
        case "", "?": break
        case "tag:yaml.org,2002:str", "!": return .string
        case "tag:yaml.org,2002:null": return .null
        default: break
        }
        guard s.style == .plain || s.style == .any else { return .string }
        let text = s.string
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN": return .float
        default: break
        }
        let bytes = Array(text.utf8)
        var i = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
        let digitsStart = i
        if bytes.count > i + 2, bytes[i] == UInt8(ascii: "0"), bytes[i + 1] == UInt8(ascii: "x") || bytes[i + 1] == UInt8(ascii: "o") {
            let hex = bytes[i + 1] == UInt8(ascii: "x")
            let rest = bytes[(i + 2)...]
            let ok = rest.allSatisfy { hex ? ($0 >= 48 && $0 <= 57) || (($0 | 0x20) >= 97 && ($0 | 0x20) <= 102) : ($0 >= 48 && $0 <= 55) }
            return ok && digitsStart == 0 ? .int : .string
        }
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
        let intDigits = i - digitsStart
        if i == bytes.count { return intDigits > 0 ? .int : .string }
        var fractionDigits = 0
        if bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1; fractionDigits += 1 }
        }
        guard intDigits + fractionDigits > 0 else { return .string }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
            let expStart = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
            if i == expStart { return .string }
        }
        return i == bytes.count ? .float : .string
    }

    func string() throws(PolicyIssue) -> String {
        guard case .scalar(let s) = node, scalarKind != .null else { throw issue("policy_type", "expected a string, found \(kindName)") }
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
        guard case .bool(let b)? = scalarKind else { throw issue("policy_type", "expected true or false") }
        return b
    }

    /// Most nodes one converted value may have. YAML aliases are expanded by the parser, so a
    /// small file can describe an enormous tree ("billion laughs"); this bounds the work.
    static let maxJSONNodes = 100_000

    /// Converts to JSON (for inline schemas): YAML scalars by their resolved tag, numbers exactly.
    func json() throws(PolicyIssue) -> JSONValue {
        var budget = YAMLNode.maxJSONNodes
        return try json(depth: 0, budget: &budget)
    }

    private func json(depth: Int, budget: inout Int) throws(PolicyIssue) -> JSONValue {
        guard depth < 128 else { throw issue("policy_too_deep", "nested deeper than 128 levels") }
        budget -= 1
        guard budget >= 0 else {
            throw issue("policy_too_large", "more than \(YAMLNode.maxJSONNodes) values (YAML aliases expanded?)")
        }
        switch node {
        case .scalar(let s):
            switch scalarKind ?? .string {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .int:
                var text = s.string
                if text.hasPrefix("+") { text.removeFirst() }
                if let n = JSONNumber(text) { return .number(n) }
                let negative = text.hasPrefix("-")
                let body = negative ? String(text.dropFirst()) : text
                if body.hasPrefix("0x"), let v = Int(body.dropFirst(2), radix: 16) { return .number(JSONNumber(negative ? -v : v)) }
                if body.hasPrefix("0o"), let v = Int(body.dropFirst(2), radix: 8) { return .number(JSONNumber(negative ? -v : v)) }
                let digits = body.drop { $0 == "0" }
                if let n = JSONNumber((negative ? "-" : "") + (digits.isEmpty ? "0" : String(digits))) { return .number(n) }
                throw issue("policy_type", "integer \(s.string) is not representable in JSON")
            case .float:
                var text = s.string
                if text.hasPrefix("+") { text.removeFirst() }
                if text.hasPrefix(".") { text = "0" + text } else if text.hasPrefix("-.") { text = "-0" + text.dropFirst() }
                if text.hasSuffix(".") { text += "0" }
                if let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].first.map({ !$0.isNumber }) ?? true {
                    text.insert("0", at: text.index(after: dot))
                }
                if let n = JSONNumber(text) { return .number(n) }
                throw issue("policy_type", "number \(s.string) is not representable in JSON (write it as a JSON number)")
            case .string:
                return .string(s.string)
            }
        case .sequence(let seq):
            var out: [JSONValue] = []
            for item in seq { out.append(try YAMLNode(node: item, file: file).json(depth: depth + 1, budget: &budget)) }
            return .array(out)
        case .mapping:
            var object = JSONObject()
            for (key, value) in try mapping() { object.set(key, try value.json(depth: depth + 1, budget: &budget)) }
            return .object(object)
        case .alias:
            throw issue("policy_type", "YAML aliases are not allowed in policies")
        }
    }
}
