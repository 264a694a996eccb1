import Foundation

/// Where `$ref` may look: documents known by URI, and URI prefixes mapped to
/// local directories. Nothing is ever fetched over the network; an unknown
/// reference is a compile error.
public struct SchemaRegistry: Sendable {
    var documents: [String: JSONValue]
    var remotes: [(prefix: String, directory: String)] = []

    /// Only the shipped Draft 2020-12 meta-schemas.
    public static let standard = SchemaRegistry(documents: MetaSchemas.documents)

    init(documents: [String: JSONValue]) { self.documents = documents }

    /// Adds a schema document under `uri` (without fragment).
    public mutating func add(_ document: JSONValue, uri: String) {
        documents[URIText.splitFragment(uri).0] = document
    }

    /// Serves every URI starting with `prefix` from the file at the rest of the URI under `directory`.
    public mutating func mapRemote(prefix: String, directory: String) {
        remotes.append((prefix, directory))
    }

    /// The document for an absolute URI without fragment, loading mapped files on demand.
    func document(for uri: String) throws(SchemaCompileError) -> JSONValue? {
        if let d = documents[uri] { return d }
        for (prefix, directory) in remotes where uri.hasPrefix(prefix) {
            let relative = String(uri.dropFirst(prefix.count))
            if relative.split(separator: "/").contains("..") { return nil }
            let path = directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            do {
                return try JSONParser(limits: .documents).parse([UInt8](data))
            } catch {
                throw SchemaCompileError(code: .invalidJSON, message: "\(uri) (\(path)): \(error)", pointer: "")
            }
        }
        return nil
    }
}

enum MetaSchemas {
    static let draft202012 = "https://json-schema.org/draft/2020-12/schema"

    static let documents: [String: JSONValue] = {
        var out: [String: JSONValue] = [:]
        for (id, text) in MetaSchemaSources.all {
            // The shipped text is known-good; a failure here is a build defect.
            guard let value = try? JSONParser(limits: .documents).parse(text) else {
                fatalError("embedded meta-schema \(id) does not parse")
            }
            out[id] = value
        }
        return out
    }()
}

/// Why a schema could not be compiled. `code` is stable.
public struct SchemaCompileError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidJSON = "schema_invalid_json"
        case invalidSchema = "schema_invalid"
        case metaSchemaViolation = "schema_meta_violation"
        case unresolvedReference = "schema_unresolved_ref"
        case unsupported = "schema_unsupported"
        case invalidPattern = "schema_invalid_pattern"
    }
    public var code: Code
    public var message: String
    /// JSON Pointer into the schema where the problem is.
    public var pointer: String

    public var description: String {
        pointer.isEmpty ? message : "\(message) (at \(pointer))"
    }
}
