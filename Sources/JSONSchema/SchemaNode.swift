/// One compiled subschema: its keywords in evaluation order, resolved to node indices.
struct SchemaNode: Sendable {
    /// `true`/`false` boolean schema, or nil for an object schema.
    var constant: Bool?
    var keywords: [Keyword] = []
    /// Index of the schema resource this node belongs to (for the dynamic scope).
    var resource: Int
    /// Document URI and JSON Pointer of this subschema (for keyword locations).
    var documentURI: String
    var pointer: String
    /// True when the node has `unevaluatedProperties` or `unevaluatedItems`.
    var needsAnnotations = false
}

/// JSON Schema primitive types as a bit set.
struct TypeSet: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = TypeSet(rawValue: 1)
    static let boolean = TypeSet(rawValue: 2)
    static let object = TypeSet(rawValue: 4)
    static let array = TypeSet(rawValue: 8)
    static let number = TypeSet(rawValue: 16)
    static let string = TypeSet(rawValue: 32)
    static let integer = TypeSet(rawValue: 64)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init?(name: String) {
        switch name {
        case "null": self = .null
        case "boolean": self = .boolean
        case "object": self = .object
        case "array": self = .array
        case "number": self = .number
        case "string": self = .string
        case "integer": self = .integer
        default: return nil
        }
    }

    func admits(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return contains(.null)
        case .bool: return contains(.boolean)
        case .object: return contains(.object)
        case .array: return contains(.array)
        case .string: return contains(.string)
        case .number(let n): return contains(.number) || (contains(.integer) && n.isInteger)
        }
    }

    var names: [String] {
        var out: [String] = []
        for (t, n) in [(TypeSet.null, "null"), (.boolean, "boolean"), (.object, "object"), (.array, "array"),
                       (.number, "number"), (.string, "string"), (.integer, "integer")] where contains(t) {
            out.append(n)
        }
        return out
    }
}

/// Property-name lookup for `properties`: linear for a few names, hashed beyond.
struct PropertyTable: Sendable {
    let names: [String]
    let nodes: [Int]
    let index: [ExactKey: Int]?

    init(_ pairs: [(String, Int)]) {
        names = pairs.map(\.0)
        nodes = pairs.map(\.1)
        index = pairs.count > 8 ? Dictionary(pairs.enumerated().map { (ExactKey($1.0), $0) }, uniquingKeysWith: { a, _ in a }) : nil
    }

    func lookup(_ name: String) -> Int? {
        if let index { return index[ExactKey(name)].map { nodes[$0] } }
        for i in names.indices where names[i].exactlyEquals(name) { return nodes[i] }
        return nil
    }
}

/// A compiled keyword. Related keywords are fused so each runs once per instance.
enum Keyword: Sendable {
    case type(TypeSet)
    case constant(JSONValue)
    case enumeration([JSONValue])
    case minimum(JSONNumber)
    case exclusiveMinimum(JSONNumber)
    case maximum(JSONNumber)
    case exclusiveMaximum(JSONNumber)
    case multipleOf(JSONNumber)
    case minLength(Int)
    case maxLength(Int)
    case pattern(ECMARegex)
    case format(FormatKind, name: String)
    case minItems(Int)
    case maxItems(Int)
    case uniqueItems
    case required([String])
    case minProperties(Int)
    case maxProperties(Int)
    case dependentRequired([(String, [String])])
    /// `properties`, `patternProperties` and `additionalProperties` together.
    case members(properties: PropertyTable?, patterns: [(ECMARegex, Int, String)], additional: Int?)
    case propertyNames(Int)
    /// `prefixItems` and `items` together.
    case items(prefix: [Int], rest: Int?)
    case contains(Int, min: Int, max: Int?)
    case allOf([Int])
    case anyOf([Int])
    case oneOf([Int])
    case not(Int)
    case conditional(if: Int, then: Int?, else: Int?)
    case dependentSchemas([(String, Int)])
    case ref(Int)
    /// `$dynamicRef`: the statically resolved target, and the anchor name when it is dynamic.
    case dynamicRef(Int, anchor: String?)
    case unevaluatedProperties(Int)
    case unevaluatedItems(Int)

    var name: String {
        switch self {
        case .type: return "type"
        case .constant: return "const"
        case .enumeration: return "enum"
        case .minimum: return "minimum"
        case .exclusiveMinimum: return "exclusiveMinimum"
        case .maximum: return "maximum"
        case .exclusiveMaximum: return "exclusiveMaximum"
        case .multipleOf: return "multipleOf"
        case .minLength: return "minLength"
        case .maxLength: return "maxLength"
        case .pattern: return "pattern"
        case .format: return "format"
        case .minItems: return "minItems"
        case .maxItems: return "maxItems"
        case .uniqueItems: return "uniqueItems"
        case .required: return "required"
        case .minProperties: return "minProperties"
        case .maxProperties: return "maxProperties"
        case .dependentRequired: return "dependentRequired"
        case .members: return "properties"
        case .propertyNames: return "propertyNames"
        case .items: return "items"
        case .contains: return "contains"
        case .allOf: return "allOf"
        case .anyOf: return "anyOf"
        case .oneOf: return "oneOf"
        case .not: return "not"
        case .conditional: return "if"
        case .dependentSchemas: return "dependentSchemas"
        case .ref: return "$ref"
        case .dynamicRef: return "$dynamicRef"
        case .unevaluatedProperties: return "unevaluatedProperties"
        case .unevaluatedItems: return "unevaluatedItems"
        }
    }
}
