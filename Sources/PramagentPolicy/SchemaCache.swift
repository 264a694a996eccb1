import JSONSchema
import Synchronization

/// Compiled tool schemas kept across reloads, keyed by their exact JSON text and options,
/// so a reload recompiles only the schemas that changed. Bounded: cleared when it grows past its limit.
public final class SchemaCache: Sendable {
    private let entries = Mutex<[String: JSONSchemaValidator]>([:])
    public let limit: Int

    public init(limit: Int = 20_000) { self.limit = limit }

    func validator(for key: String, compile: () throws(PolicyIssue) -> JSONSchemaValidator) throws(PolicyIssue) -> JSONSchemaValidator {
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let compiled = try compile()
        entries.withLock { table in
            if table.count >= limit { table.removeAll() }
            table[key] = compiled
        }
        return compiled
    }

    public var count: Int { entries.withLock { $0.count } }
}
