import Foundation
import JSONSchema
import PramagentCrypto
import PramagentSystem
import Yams

/// Loads a policy directory (its top-level `*.yaml`/`*.yml` files) into a `PolicySnapshot`.
/// Every problem is collected with file:line; a bundle with any problem is rejected whole.
public struct PolicyLoader {
    public static let maxFileBytes = 8 << 20
    public static let maxFiles = 1_000
    /// Reuses compiled schemas between loads (the daemon keeps one for its reloads).
    public let cache: CompileCache?

    public init(cache: CompileCache? = nil) { self.cache = cache }

    /// Loads the bundle in `directory`.
    public func load(directory: String) throws(PolicyLoadError) -> PolicySnapshot {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PolicyLoadError(issues: [PolicyIssue(code: "policy_io", message: "policy directory \(directory) does not exist", location: nil)])
        }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .filter { !$0.hasPrefix(".") }
                .sorted()
        } catch {
            throw PolicyLoadError(issues: [PolicyIssue(code: "policy_io", message: "cannot read \(directory): \(error)", location: nil)])
        }
        if names.isEmpty {
            throw PolicyLoadError(issues: [PolicyIssue(code: "policy_empty", message: "no .yaml files in \(directory)", location: nil)])
        }
        if names.count > PolicyLoader.maxFiles {
            throw PolicyLoadError(issues: [PolicyIssue(code: "policy_too_large", message: "more than \(PolicyLoader.maxFiles) files", location: nil)])
        }
        var files: [(String, String)] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = fm.contents(atPath: path) else {
                throw PolicyLoadError(issues: [PolicyIssue(code: "policy_io", message: "cannot read \(path)", location: nil)])
            }
            guard data.count <= PolicyLoader.maxFileBytes else {
                throw PolicyLoadError(issues: [PolicyIssue(code: "policy_too_large", message: "\(name) is larger than \(PolicyLoader.maxFileBytes) bytes", location: nil)])
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw PolicyLoadError(issues: [PolicyIssue(code: "policy_encoding", message: "\(name) is not valid UTF-8", location: nil)])
            }
            files.append((name, text))
        }
        return try load(files: files, baseDirectory: directory)
    }

    /// Loads a bundle from (file name, YAML text) pairs.
    public func load(files: [(name: String, text: String)], baseDirectory: String? = nil) throws(PolicyLoadError) -> PolicySnapshot {
        let builder = BundleBuilder(baseDirectory: baseDirectory, cache: cache)
        for (name, text) in files { builder.add(file: name, text: text) }
        return try builder.finish()
    }
}

/// Accumulates the sections of every file, then compiles them.
final class BundleBuilder {
    let baseDirectory: String?
    let cache: CompileCache?
    var issues: [PolicyIssue] = []
    var hasher = [UInt8]()
    var fileNames: [String] = []
    var defaults = PolicyDefaults()
    var defaultsLocation: SourceLocation?
    var builtinChains = true
    var tools: [String: ToolPolicy] = [:]
    var tenants: [String: (TenantPolicy, SourceLocation)] = [:]
    var callers = CallerTable()
    var chains: [String: ChainPolicy] = [:]
    var chainOrder: [String] = []
    /// Tools and tenants are cross-checked once every file is read.
    var pendingTools: [(YAMLNode, String, [String: YAMLNode])] = []
    var pendingCallers: [(YAMLNode, [String: YAMLNode])] = []
    var scanningNode: YAMLNode?

    init(baseDirectory: String?, cache: CompileCache?) {
        self.baseDirectory = baseDirectory
        self.cache = cache
    }

    func record(_ body: () throws(PolicyIssue) -> Void) {
        do { try body() } catch { issues.append(error) }
    }

    func digest(_ name: String, _ bytes: [UInt8]) {
        hasher += Array(name.utf8) + [0] + Array(String(bytes.count).utf8) + [0] + bytes
    }

    func add(file: String, text: String) {
        fileNames.append(file)
        digest(file, Array(text.utf8))
        let root: Node?
        do {
            if let cache {
                root = try cache.parsed(file: file, text: text) { try PolicyYAML.compose($0) }
            } else {
                root = try PolicyYAML.compose(text)
            }
        } catch let error as YamlError {
            issues.append(PolicyBundleYAML.issue(for: error, file: file))
            return
        } catch {
            issues.append(PolicyIssue(code: "policy_yaml", message: "\(error)", location: SourceLocation(file: file, line: 0, column: 0)))
            return
        }
        guard let root else { return } // an empty file is allowed
        let top = YAMLNode(node: root, file: file)
        record { () throws(PolicyIssue) in
            let sections = try top.mapping(allowed: ["version", "defaults", "tenants", "callers", "tools", "chains", "scanning"], context: "a policy file")
            if let v = sections["version"] {
                guard try v.int(min: 1) == 1 else { throw v.issue("policy_version", "only policy format version 1 is supported") }
            }
            if let d = sections["defaults"] { addDefaults(d) }
            if let t = sections["tenants"] { addTenants(t) }
            if let c = sections["callers"] { record { () throws(PolicyIssue) in for item in try c.list() { addCaller(item) } } }
            if let t = sections["tools"] { addTools(t) }
            if let c = sections["chains"] { record { () throws(PolicyIssue) in for item in try c.list() { addChain(item) } } }
            if let s = sections["scanning"] {
                if let previous = scanningNode {
                    issues.append(s.issue("policy_duplicate", "scanning is already configured at \(previous.location)"))
                } else {
                    scanningNode = s
                }
            }
        }
    }

    func addDefaults(_ node: YAMLNode) {
        if let previous = defaultsLocation {
            issues.append(node.issue("policy_duplicate", "defaults are already set at \(previous)"))
            return
        }
        defaultsLocation = node.location
        record { () throws(PolicyIssue) in
            let d = try node.mapping(allowed: ["unknown_tool", "arguments", "sessions", "assert_formats", "builtin_chains"], context: "defaults")
            if let u = d["unknown_tool"] { defaults.unknownTool = try verdict(u) }
            if let a = d["arguments"] {
                let m = try a.mapping(allowed: ["max_bytes", "max_depth", "max_string_bytes", "max_members"], context: "defaults.arguments")
                if let v = m["max_bytes"] { defaults.argumentLimits.maxBytes = try v.int(min: 2) }
                if let v = m["max_depth"] { defaults.argumentLimits.maxDepth = try v.int(min: 1) }
                if let v = m["max_string_bytes"] { defaults.argumentLimits.maxStringBytes = try v.int(min: 1) }
                if let v = m["max_members"] { defaults.argumentLimits.maxContainerCount = try v.int(min: 1) }
            }
            if let s = d["sessions"] {
                let m = try s.mapping(allowed: ["idle_seconds", "max_sessions", "history"], context: "defaults.sessions")
                if let v = m["idle_seconds"] { defaults.sessionIdleSeconds = try v.double(min: 1) }
                if let v = m["max_sessions"] { defaults.maxSessions = try v.int(min: 1) }
                if let v = m["history"] { defaults.sessionHistory = try v.int(min: 1) }
            }
            if let f = d["assert_formats"] { defaults.assertFormats = try f.bool() }
            if let b = d["builtin_chains"] { builtinChains = try b.bool() }
        }
    }

    func verdict(_ node: YAMLNode) throws(PolicyIssue) -> PolicyVerdict {
        let s = try node.string()
        guard let v = PolicyVerdict(rawValue: s) else {
            throw node.issue("policy_unknown_verdict", "unknown verdict \"\(s)\"; expected allow, escalate or block")
        }
        return v
    }

    func sideEffect(_ node: YAMLNode) throws(PolicyIssue) -> SideEffect {
        let s = try node.string()
        guard let v = SideEffect(rawValue: s) else {
            throw node.issue("policy_unknown_side_effect",
                             "unknown side effect \"\(s)\"; expected one of: \(SideEffect.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }

    func addTenants(_ node: YAMLNode) {
        record { () throws(PolicyIssue) in
            for (name, value) in try node.mapping() {
                if let (_, previous) = tenants[name] {
                    issues.append(value.issue("policy_duplicate", "tenant \"\(name)\" is already defined at \(previous)"))
                    continue
                }
                record { () throws(PolicyIssue) in
                    var rate: Double? = nil
                    var burst: Double = 0
                    var quota: Int? = nil
                    var window: Double = 86_400
                    if case .mapping = value.node {
                        let m = try value.mapping(allowed: ["rate", "quota", "description"], context: "tenant \(name)")
                        if let r = m["rate"] {
                            let rm = try r.mapping(allowed: ["per_second", "burst"], context: "tenant \(name).rate")
                            guard let ps = rm["per_second"] else { throw r.issue("policy_missing_key", "rate needs per_second") }
                            rate = try ps.double(min: 0.000001)
                            burst = try rm["burst"]?.double(min: 1) ?? max(1, rate!)
                        }
                        if let q = m["quota"] {
                            let qm = try q.mapping(allowed: ["calls", "window_seconds"], context: "tenant \(name).quota")
                            guard let c = qm["calls"] else { throw q.issue("policy_missing_key", "quota needs calls") }
                            quota = try c.int(min: 0)
                            window = try qm["window_seconds"]?.double(min: 1) ?? 86_400
                        }
                    } else if value.scalarKind == .null {
                        // `tenant_name:` with nothing: a tenant without limits.
                    } else {
                        throw value.issue("policy_type", "a tenant is a mapping (rate, quota) or empty")
                    }
                    tenants[name] = (TenantPolicy(name: name, ratePerSecond: rate, burst: burst, quotaCalls: quota, quotaWindowSeconds: window), value.location)
                }
            }
        }
    }

    func addCaller(_ node: YAMLNode) {
        record { () throws(PolicyIssue) in
            let m = try node.mapping(allowed: ["user", "group", "uid", "gid", "tenants", "description"], context: "a caller")
            pendingCallers.append((node, m))
        }
    }

    func addTools(_ node: YAMLNode) {
        record { () throws(PolicyIssue) in
            for (name, value) in try node.mapping() {
                record { () throws(PolicyIssue) in
                    let m = try value.mapping(allowed: ["side_effect", "action", "tenants", "operations", "schema", "schema_file", "limits", "description"],
                                              context: "tool \(name)")
                    pendingTools.append((value, name, m))
                }
            }
        }
    }

    func addChain(_ node: YAMLNode) {
        record { () throws(PolicyIssue) in
            let m = try node.mapping(allowed: ["name", "sequence", "verdict", "within_seconds", "description"], context: "a chain")
            guard let nameNode = m["name"] else { throw node.issue("policy_missing_key", "a chain needs a name") }
            let name = try nameNode.string()
            guard let seq = m["sequence"] else { throw node.issue("policy_missing_key", "chain \(name) needs a sequence") }
            var steps: [ChainStep] = []
            for item in try seq.list() {
                let text = try item.string()
                if text == "tainted" {
                    steps.append(.tainted)
                } else if text.hasPrefix("tool:") {
                    steps.append(.tool(String(text.dropFirst(5))))
                } else if text.hasPrefix(">=") {
                    guard let s = SideEffect(rawValue: String(text.dropFirst(2))) else {
                        throw item.issue("policy_unknown_side_effect", "unknown side effect in \"\(text)\"")
                    }
                    steps.append(.atLeast(s))
                } else {
                    steps.append(.sideEffect(try sideEffect(item)))
                }
            }
            guard !steps.isEmpty else { throw seq.issue("policy_invalid", "chain \(name) has an empty sequence") }
            let v = try m["verdict"].map { (n: YAMLNode) throws(PolicyIssue) in try verdict(n) } ?? .escalate
            guard v != .allow else { throw m["verdict"]!.issue("policy_invalid", "a chain's verdict must be escalate or block") }
            let within = try m["within_seconds"]?.double(min: 0.001)
            if let existing = chains[name], existing.location.file != "<builtin>" {
                throw nameNode.issue("policy_duplicate", "chain \"\(name)\" is already defined at \(existing.location)")
            }
            if chains[name] == nil { chainOrder.append(name) }
            chains[name] = ChainPolicy(name: name, steps: steps, verdict: v, withinSeconds: within,
                                       description: try m["description"]?.string() ?? "", location: node.location)
        }
    }

    func compileCallers() {
        for (node, m) in pendingCallers {
            record { () throws(PolicyIssue) in
                guard let tenantsNode = m["tenants"] else { throw node.issue("policy_missing_key", "a caller needs tenants") }
                let names = try tenantsNode.stringList()
                let grant = CallerTable.Grant(tenants: names.contains("*") ? nil : Set(names))
                for name in names where name != "*" && tenants[name] == nil && !toolTenants.contains(name) {
                    throw tenantsNode.issue("policy_unknown_tenant", "tenant \"\(name)\" is not defined under tenants and no tool names it")
                }
                let identities = ["user", "group", "uid", "gid"].filter { m[$0] != nil }
                guard identities.count == 1 else {
                    throw node.issue("policy_invalid", "a caller names exactly one of user, group, uid or gid")
                }
                func merge(_ table: inout [UInt32: CallerTable.Grant], _ id: UInt32) {
                    if let old = table[id] {
                        if old.tenants == nil || grant.tenants == nil { table[id] = CallerTable.Grant(tenants: nil) } else {
                            table[id] = CallerTable.Grant(tenants: old.tenants!.union(grant.tenants!))
                        }
                    } else {
                        table[id] = grant
                    }
                }
                if let u = m["user"] {
                    let name = try u.string()
                    guard let uid = UnixAccounts.uid(ofUser: name) else { throw u.issue("policy_unknown_user", "no unix user \"\(name)\" on this host") }
                    merge(&callers.byUID, uid)
                } else if let g = m["group"] {
                    let name = try g.string()
                    guard let group = UnixAccounts.group(named: name) else { throw g.issue("policy_unknown_group", "no unix group \"\(name)\" on this host") }
                    merge(&callers.byGID, group.gid)
                    // Supplementary members: peer credentials carry only the primary gid.
                    for member in group.members { if let uid = UnixAccounts.uid(ofUser: member) { merge(&callers.byUID, uid) } }
                } else if let u = m["uid"] {
                    merge(&callers.byUID, UInt32(try u.int(min: 0)))
                } else if let g = m["gid"] {
                    merge(&callers.byGID, UInt32(try g.int(min: 0)))
                }
            }
        }
    }

    var toolTenants: Set<String> {
        var out = Set<String>()
        for (_, _, m) in pendingTools { if let t = m["tenants"], let names = try? t.stringList() { out.formUnion(names) } }
        return out
    }

    func compileTools() {
        for (node, name, m) in pendingTools {
            if let existing = tools[name] {
                issues.append(node.issue("policy_duplicate", "tool \"\(name)\" is already defined at \(existing.location)"))
                continue
            }
            record { () throws(PolicyIssue) in
                guard let se = m["side_effect"] else { throw node.issue("policy_missing_key", "tool \(name) needs a side_effect") }
                let sideEffect = try sideEffect(se)
                let action = try m["action"].map { (n: YAMLNode) throws(PolicyIssue) in try verdict(n) } ?? .allow
                guard let tenantsNode = m["tenants"] else {
                    throw node.issue("policy_missing_key", "tool \(name) needs tenants (a list, or [\"*\"] for every tenant)")
                }
                let tenantNames = try tenantsNode.stringList()
                let operations = try m["operations"].map { (n: YAMLNode) throws(PolicyIssue) in Set(try n.stringList()) }
                var limit: Int? = nil
                if let l = m["limits"] {
                    let lm = try l.mapping(allowed: ["per_session"], context: "tool \(name).limits")
                    limit = try lm["per_session"]?.int(min: 0)
                }
                let validator = try compileSchema(name, node, m)
                tools[name] = ToolPolicy(name: name, id: ToolIdentifiers.id(for: name), sideEffect: sideEffect, action: action,
                                         tenants: tenantNames.contains("*") ? nil : Set(tenantNames),
                                         operations: operations, schema: validator, maxCallsPerSession: limit, location: node.location)
            }
        }
    }

    func compileSchema(_ name: String, _ node: YAMLNode, _ m: [String: YAMLNode]) throws(PolicyIssue) -> JSONSchemaValidator? {
        let schemaNode = m["schema"]
        var schema: JSONValue
        var origin: YAMLNode
        if m["schema"] != nil, let f = m["schema_file"] {
            throw f.issue("policy_invalid", "tool \(name) has both schema and schema_file")
        } else if let s = schemaNode {
            schema = try s.json()
            origin = s
        } else if let f = m["schema_file"] {
            let relative = try f.string()
            guard let base = baseDirectory, !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
                throw f.issue("policy_invalid", "schema_file must be a relative path inside the policy directory")
            }
            let path = (base as NSString).appendingPathComponent(relative)
            guard let data = FileManager.default.contents(atPath: path), data.count <= PolicyLoader.maxFileBytes else {
                throw f.issue("policy_io", "cannot read schema file \(relative)")
            }
            digest(relative, [UInt8](data))
            do {
                schema = try JSONParser(limits: .documents).parse([UInt8](data))
            } catch {
                throw f.issue("policy_schema", "schema file \(relative) is not valid JSON: \(error)")
            }
            origin = f
        } else {
            return nil
        }
        if case .object(let o) = schema, o["type"] == nil {
            // Arguments are always an object; say so unless the author constrained it otherwise.
            var copy = o
            copy.set("type", .string("object"))
            schema = .object(copy)
        }
        let options = ValidatorOptions(assertFormats: defaults.assertFormats)
        let compile = { () throws(PolicyIssue) -> JSONSchemaValidator in
            do {
                return try JSONSchemaValidator(schema: schema, baseURI: "urn:pramagent:tool:\(name)", options: options)
            } catch {
                throw origin.issue("policy_schema", "schema of tool \(name) is invalid: \(error)")
            }
        }
        guard let cache else { return try compile() }
        return try cache.validator(for: "\(name)\u{0}\(options.assertFormats)\u{0}\(schema.jsonText)", compile: compile)
    }

    func finish() throws(PolicyLoadError) -> PolicySnapshot {
        compileTools()
        compileCallers()
        // Tenants named only by tools or callers are fine: they simply have no limits.
        for chain in chains.values {
            for step in chain.steps {
                if case .tool(let t, _) = step, tools[t] == nil {
                    issues.append(PolicyIssue(code: "policy_unknown_tool", message: "chain \(chain.name) names unknown tool \"\(t)\"", location: chain.location))
                }
            }
        }
        let scanning = compileScanning()
        if !issues.isEmpty { throw PolicyLoadError(issues: issues) }
        var allChains: [ChainPolicy] = []
        if builtinChains {
            for builtin in BuiltinChains.all where chains[builtin.name] == nil { allChains.append(builtin) }
        }
        allChains += chainOrder.compactMap { chains[$0] }
        var tenantTable: [String: TenantPolicy] = [:]
        for (name, value) in tenants { tenantTable[name] = value.0 }
        return PolicySnapshot(version: SHA256.hash(hasher).hexString, tools: tools, tenants: tenantTable, callers: callers,
                              chains: allChains, defaults: defaults, files: fileNames, scanning: scanning)
    }
}

enum PolicyBundleYAML {
    static func issue(for error: YamlError, file: String) -> PolicyIssue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PolicyIssue(code: "policy_yaml", message: "YAML: \(problem)", location: SourceLocation(file: file, line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PolicyIssue(code: "policy_duplicate", message: "duplicate keys \(duplicates.joined(separator: ", ")) in a mapping",
                               location: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
        default:
            return PolicyIssue(code: "policy_yaml", message: "YAML: \(error)", location: SourceLocation(file: file, line: 0, column: 0))
        }
    }
}
