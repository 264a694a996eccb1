/// How much a validation reports.
public enum ValidationMode: Sendable {
    /// Stop at the first error (the decision path).
    case firstError
    /// Report every error (`pramagentctl`, policy tests).
    case allErrors
}

/// One validation failure, located in the instance and in the schema.
public struct ValidationError: Sendable, Hashable, CustomStringConvertible {
    /// JSON Pointer into the instance.
    public var instanceLocation: String
    /// JSON Pointer of the failing keyword, through every `$ref` followed.
    public var keywordLocation: String
    /// Absolute URI of the failing keyword in its schema resource.
    public var absoluteKeywordLocation: String
    /// The failing keyword (`maximum`, `required`, `false` for a false schema, ...).
    public var keyword: String
    public var message: String

    public var description: String {
        "\(instanceLocation.isEmpty ? "/" : instanceLocation): \(message) (keyword \(keywordLocation.isEmpty ? "/" : keywordLocation))"
    }
}

public struct ValidationResult: Sendable {
    public var isValid: Bool
    public var errors: [ValidationError]

    /// The result in the specification's "basic" output format (Draft 2020-12 core, section 12.4.2).
    public var basicOutput: JSONValue {
        var root = JSONObject()
        root.set("valid", .bool(isValid))
        if !isValid {
            root.set("errors", .array(errors.map { e in
                var o = JSONObject()
                o.set("keywordLocation", .string(e.keywordLocation))
                o.set("absoluteKeywordLocation", .string(e.absoluteKeywordLocation))
                o.set("instanceLocation", .string(e.instanceLocation))
                o.set("error", .string(e.message))
                return .object(o)
            }))
        }
        return .object(root)
    }
}

/// Options for compiling a schema.
public struct ValidatorOptions: Sendable {
    /// Assert `format` (date-time, email, ...) instead of treating it as an annotation.
    public var assertFormats: Bool
    /// Check the schema against its meta-schema before compiling it.
    public var validateSchema: Bool
    /// Step budget for one search of a pattern that needs backtracking (backreferences).
    public var regexStepBudget: Int
    /// Maximum nesting of schema evaluation (bounds recursive schemas).
    public var maxEvaluationDepth: Int

    public init(assertFormats: Bool = false, validateSchema: Bool = true,
                regexStepBudget: Int = ECMARegex.defaultStepBudget, maxEvaluationDepth: Int = 256) {
        self.assertFormats = assertFormats
        self.validateSchema = validateSchema
        self.regexStepBudget = regexStepBudget
        self.maxEvaluationDepth = maxEvaluationDepth
    }
}

/// A schema compiled once into a graph of nodes; validation does no keyword look-ups by name.
public final class JSONSchemaValidator: Sendable {
    let nodes: [SchemaNode]
    let root: Int
    let dynamicAnchors: [Int: [String: Int]]
    let usesDynamicScope: Bool
    let options: ValidatorOptions

    /// Compiles `schema`. `baseURI` names the root resource when the schema has no `$id`.
    public init(schema: JSONValue, baseURI: String = "urn:pramagent:schema", registry: SchemaRegistry = .standard,
                options: ValidatorOptions = ValidatorOptions()) throws(SchemaCompileError) {
        if options.validateSchema {
            try JSONSchemaValidator.checkAgainstMetaSchema(schema, registry: registry)
        }
        var compiler = SchemaCompiler(registry: registry, options: options)
        let doc = try compiler.addDocument(schema, uri: URIText.splitFragment(baseURI).0)
        let base = compiler.documents[doc].uri
        root = compiler.node(at: SchemaLocation(document: doc, pointer: ""), base: base)
        dynamicAnchors = try compiler.compileAll()
        nodes = compiler.nodes
        usesDynamicScope = nodes.contains { $0.keywords.contains { if case .dynamicRef(_, let a) = $0 { return a != nil }; return false } }
        self.options = options
    }

    /// Parses and compiles schema text.
    public convenience init(schemaText: String, baseURI: String = "urn:pramagent:schema", registry: SchemaRegistry = .standard,
                            options: ValidatorOptions = ValidatorOptions()) throws(SchemaCompileError) {
        let value: JSONValue
        do {
            value = try JSONParser(limits: .documents).parse(schemaText)
        } catch {
            throw SchemaCompileError(code: .invalidJSON, message: "schema is not valid JSON: \(error)", pointer: error.path)
        }
        try self.init(schema: value, baseURI: baseURI, registry: registry, options: options)
    }

    private static let metaValidator: JSONSchemaValidator? = {
        try? JSONSchemaValidator(schema: MetaSchemas.documents[MetaSchemas.draft202012]!, baseURI: MetaSchemas.draft202012,
                                 options: ValidatorOptions(validateSchema: false))
    }()

    static func checkAgainstMetaSchema(_ schema: JSONValue, registry: SchemaRegistry) throws(SchemaCompileError) {
        var meta = metaValidator
        if let uri = schema["$schema"]?.stringValue {
            let bare = URIText.splitFragment(uri).0
            if bare != MetaSchemas.draft202012 {
                guard let document = try registry.document(for: bare) else {
                    throw SchemaCompileError(code: .unsupported, message: "unsupported $schema \(uri)", pointer: "/$schema")
                }
                meta = try JSONSchemaValidator(schema: document, baseURI: bare, registry: registry,
                                               options: ValidatorOptions(validateSchema: false))
            }
        }
        guard let meta else { return }
        let result = meta.validate(schema, mode: .firstError)
        if let first = result.errors.first {
            throw SchemaCompileError(code: .metaSchemaViolation,
                                     message: "schema does not conform to its meta-schema: \(first.message)",
                                     pointer: first.instanceLocation)
        }
    }

    /// Validates a parsed instance.
    public func validate(_ instance: JSONValue, mode: ValidationMode = .firstError) -> ValidationResult {
        var evaluation = Evaluation(validator: self, mode: mode == .firstError ? .first : .all)
        let valid = evaluation.validate(root, instance, track: false).valid
        return ValidationResult(isValid: valid, errors: evaluation.errors)
    }

    /// True when the instance is valid (no error details are built).
    public func isValid(_ instance: JSONValue) -> Bool {
        var evaluation = Evaluation(validator: self, mode: .silent)
        return evaluation.validate(root, instance, track: false).valid
    }
}
