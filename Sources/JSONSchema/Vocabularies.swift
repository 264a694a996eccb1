/// Draft 2020-12 vocabularies that decide which keywords a schema resource uses.
struct Vocabularies: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    static let applicator = Vocabularies(rawValue: 1)
    static let unevaluated = Vocabularies(rawValue: 2)
    static let validation = Vocabularies(rawValue: 4)
    static let formatAnnotation = Vocabularies(rawValue: 8)
    static let formatAssertion = Vocabularies(rawValue: 16)
    static let content = Vocabularies(rawValue: 32)
    static let metaData = Vocabularies(rawValue: 64)

    /// What the standard 2020-12 meta-schema declares.
    static let standard: Vocabularies = [.applicator, .unevaluated, .validation, .formatAnnotation, .content, .metaData]

    static let byURI: [String: Vocabularies] = [
        "https://json-schema.org/draft/2020-12/vocab/core": [],
        "https://json-schema.org/draft/2020-12/vocab/applicator": .applicator,
        "https://json-schema.org/draft/2020-12/vocab/unevaluated": .unevaluated,
        "https://json-schema.org/draft/2020-12/vocab/validation": .validation,
        "https://json-schema.org/draft/2020-12/vocab/format-annotation": .formatAnnotation,
        "https://json-schema.org/draft/2020-12/vocab/format-assertion": .formatAssertion,
        "https://json-schema.org/draft/2020-12/vocab/content": .content,
        "https://json-schema.org/draft/2020-12/vocab/meta-data": .metaData,
    ]

    /// Reads a meta-schema's `$vocabulary`; an unknown vocabulary marked required is an error.
    static func declared(by metaSchema: JSONValue, uri: String) throws(SchemaCompileError) -> Vocabularies {
        guard let declared = metaSchema["$vocabulary"]?.objectValue else { return .standard }
        var result: Vocabularies = []
        for (vocabURI, required) in declared {
            if let known = byURI[vocabURI] {
                result.formUnion(known)
            } else if required.boolValue == true {
                throw SchemaCompileError(code: .unsupported,
                                         message: "meta-schema \(uri) requires unknown vocabulary \(vocabURI)", pointer: "")
            }
        }
        return result
    }
}

/// Keywords whose values are subschemas, by shape (used to walk schema documents).
enum SubschemaKeywords {
    static let single: Set<String> = ["additionalProperties", "items", "contains", "propertyNames", "not", "if",
                                      "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema"]
    static let array: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems"]
    static let map: Set<String> = ["properties", "patternProperties", "$defs", "dependentSchemas"]

    /// Calls `body` with (subschema, pointer suffix) for every direct subschema of `object`.
    static func forEach(in object: JSONObject, _ body: (JSONValue, String) throws(SchemaCompileError) -> Void) throws(SchemaCompileError) {
        for (key, value) in object {
            if single.contains(key) {
                try body(value, "/" + JSONPointer.escape(key))
            } else if array.contains(key), let elements = value.arrayValue {
                for (i, element) in elements.enumerated() { try body(element, "/\(key)/\(i)") }
            } else if map.contains(key), let members = value.objectValue {
                for (name, member) in members { try body(member, "/\(key)/" + JSONPointer.escape(name)) }
            }
        }
    }
}
