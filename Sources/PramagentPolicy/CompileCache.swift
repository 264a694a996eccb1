import JSONSchema
import PramagentCrypto
import PramagentRules
import Synchronization
import Yams

/// What one bundle load can reuse from the previous ones: parsed YAML files (by name and
/// content digest) and compiled tool schemas (by their exact JSON text and options). A reload
/// then parses only the files that changed and compiles only the schemas that changed.
/// Bounded: each table is cleared when it grows past its limit.
public final class CompileCache: Sendable {
    /// A parsed YAML tree. Yams nodes are not `Sendable` (their tags are shared class
    /// instances); a tree is only read after parsing, and every access goes through the lock.
    private struct ParsedFile: @unchecked Sendable {
        let root: Node?
    }

    private let schemas = Mutex<[String: JSONSchemaValidator]>([:])
    private let files = Mutex<[String: ParsedFile]>([:])
    private let engines = Mutex<[String: RuleEngine]>([:])
    public let limit: Int

    public init(limit: Int = 20_000) { self.limit = limit }

    func validator(for key: String, compile: () throws(PolicyIssue) -> JSONSchemaValidator) throws(PolicyIssue) -> JSONSchemaValidator {
        if let hit = schemas.withLock({ $0[key] }) { return hit }
        let compiled = try compile()
        schemas.withLock { table in
            if table.count >= limit { table.removeAll() }
            table[key] = compiled
        }
        return compiled
    }

    /// The parsed tree of `text`, parsing it only if this exact file was not seen before.
    func parsed(file: String, text: String, parse: (String) throws -> Node?) throws -> Node? {
        let key = file + "\u{0}" + SHA256.hash(text).hexString
        if let hit = files.withLock({ $0[key] }) { return hit.root }
        let root = try parse(text)
        files.withLock { table in
            if table.count >= 1_000 { table.removeAll() }
            table[key] = ParsedFile(root: root)
        }
        return root
    }

    /// A compiled rule engine for exactly these rules and detectors (Vectorscan compiles take
    /// tens of milliseconds; unchanged rule sets are reused across reloads).
    func ruleEngine(for key: String, compile: () throws(RuleCompileError) -> RuleEngine) throws(RuleCompileError) -> RuleEngine {
        if let hit = engines.withLock({ $0[key] }) { return hit }
        let compiled = try compile()
        engines.withLock { table in
            if table.count >= 64 { table.removeAll() }
            table[key] = compiled
        }
        return compiled
    }

    public var schemaCount: Int { schemas.withLock { $0.count } }
}
