/// A location in a loaded document: document number and JSON Pointer.
struct SchemaLocation: Hashable, Sendable {
    var document: Int
    var pointer: String
}

/// Compiles schema documents into `SchemaNode`s: indexes resources and anchors,
/// resolves every `$ref` to a node index once, and applies vocabularies.
struct SchemaCompiler {
    struct Resource {
        var location: SchemaLocation
        var id: Int
        var vocabularies: Vocabularies
    }

    let registry: SchemaRegistry
    let options: ValidatorOptions
    var documents: [(uri: String, value: JSONValue)] = []
    var documentByURI: [String: Int] = [:]
    var resources: [String: Resource] = [:]
    var resourceURIs: [String] = []
    var resourceByLocation: [SchemaLocation: String] = [:]
    var anchors: [String: SchemaLocation] = [:]
    var dynamicAnchorLocations: [Int: [String: SchemaLocation]] = [:]
    var nodes: [SchemaNode] = []
    var nodeByLocation: [SchemaLocation: Int] = [:]
    var pending: [(node: Int, value: JSONValue, base: String)] = []

    init(registry: SchemaRegistry, options: ValidatorOptions) {
        self.registry = registry
        self.options = options
    }

    // MARK: Documents and resources

    mutating func addDocument(_ value: JSONValue, uri: String) throws(SchemaCompileError) -> Int {
        if let existing = documentByURI[uri] { return existing }
        let doc = documents.count
        documents.append((uri, value))
        documentByURI[uri] = doc
        try index(value, location: SchemaLocation(document: doc, pointer: ""), base: uri, vocabularies: .standard, isRoot: true)
        return doc
    }

    private mutating func registerResource(_ uri: String, _ location: SchemaLocation, _ vocabularies: Vocabularies) {
        if resources[uri] != nil { return }
        resources[uri] = Resource(location: location, id: resourceURIs.count, vocabularies: vocabularies)
        resourceURIs.append(uri)
        if resourceByLocation[location] == nil { resourceByLocation[location] = uri }
    }

    private mutating func vocabularies(forMetaSchema uri: String, at pointer: String) throws(SchemaCompileError) -> Vocabularies {
        let bare = URIText.splitFragment(uri).0
        if bare == MetaSchemas.draft202012 { return .standard }
        guard let meta = try registry.document(for: bare) else {
            throw SchemaCompileError(code: .unsupported,
                                     message: "unsupported $schema \(uri): only Draft 2020-12 and meta-schemas in the local registry are known",
                                     pointer: pointer)
        }
        return try Vocabularies.declared(by: meta, uri: bare)
    }

    private mutating func index(_ value: JSONValue, location: SchemaLocation, base: String,
                                vocabularies: Vocabularies, isRoot: Bool) throws(SchemaCompileError) {
        guard case .object(let object) = value else {
            if isRoot { registerResource(base, location, vocabularies) }
            return
        }
        var base = base
        var vocabularies = vocabularies
        if let schemaURI = object["$schema"]?.stringValue {
            vocabularies = try self.vocabularies(forMetaSchema: schemaURI, at: location.pointer)
        }
        if isRoot {
            // A document is always reachable by the URI it was retrieved as, whatever its `$id`.
            registerResource(base, location, vocabularies)
        }
        if let id = object["$id"]?.stringValue {
            base = URIText.splitFragment(URIText.resolve(id, against: base)).0
            registerResource(base, location, vocabularies)
            resourceByLocation[location] = base
        }
        if let anchor = object["$anchor"]?.stringValue {
            anchors[base + "#" + anchor] = location
        }
        if let anchor = object["$dynamicAnchor"]?.stringValue {
            anchors[base + "#" + anchor] = location
            let rid = resources[base]?.id ?? -1
            dynamicAnchorLocations[rid, default: [:]][anchor] = location
        }
        let currentBase = base
        let currentVocabularies = vocabularies
        try SubschemaKeywords.forEach(in: object) { (child, suffix) throws(SchemaCompileError) in
            try index(child, location: SchemaLocation(document: location.document, pointer: location.pointer + suffix),
                      base: currentBase, vocabularies: currentVocabularies, isRoot: false)
        }
    }

    /// Resolves an absolute URI (with optional fragment) to a location and its base URI.
    mutating func lookup(_ uri: String, from pointer: String) throws(SchemaCompileError) -> (SchemaLocation, String) {
        let (bare, fragment) = URIText.splitFragment(uri)
        if resources[bare] == nil {
            if let document = try registry.document(for: bare) {
                _ = try addDocument(document, uri: bare)
            }
        }
        guard let resource = resources[bare] else {
            throw SchemaCompileError(code: .unresolvedReference,
                                     message: "cannot resolve reference \(uri): not in the local registry (remote references are never fetched)",
                                     pointer: pointer)
        }
        if fragment.isEmpty { return (resource.location, bare) }
        if fragment.hasPrefix("/") {
            guard let tokens = JSONPointer.tokens(fragment) else {
                throw SchemaCompileError(code: .unresolvedReference, message: "invalid JSON Pointer in reference \(uri)", pointer: pointer)
            }
            // Walk from the resource root, following any `$id` met on the way.
            var current = JSONPointer.resolve(resource.location.pointer, in: documents[resource.location.document].value)
            var base = bare
            var path = resource.location.pointer
            for token in tokens {
                switch current {
                case .object(let o)?:
                    current = o[token]
                case .array(let a)?:
                    guard let i = JSONPointer.arrayIndex(token), i < a.count else { current = nil; break }
                    current = a[i]
                default:
                    current = nil
                }
                path += "/" + JSONPointer.escape(token)
                if let id = current?["$id"]?.stringValue {
                    base = URIText.splitFragment(URIText.resolve(id, against: base)).0
                }
            }
            guard current != nil else {
                throw SchemaCompileError(code: .unresolvedReference, message: "reference \(uri) points at nothing", pointer: pointer)
            }
            return (SchemaLocation(document: resource.location.document, pointer: path), base)
        }
        guard let location = anchors[bare + "#" + fragment] else {
            throw SchemaCompileError(code: .unresolvedReference, message: "no anchor \"\(fragment)\" in \(bare)", pointer: pointer)
        }
        return (location, baseOf(location, fallback: bare))
    }

    private func baseOf(_ location: SchemaLocation, fallback: String) -> String {
        resourceByLocation[location] ?? fallback
    }

    // MARK: Nodes

    mutating func node(at location: SchemaLocation, base: String) -> Int {
        if let existing = nodeByLocation[location] { return existing }
        let value = JSONPointer.resolve(location.pointer, in: documents[location.document].value) ?? .bool(false)
        let index = nodes.count
        nodes.append(SchemaNode(constant: nil, resource: 0, documentURI: documents[location.document].uri, pointer: location.pointer))
        nodeByLocation[location] = index
        pending.append((index, value, base))
        return index
    }

    /// Compiles everything reachable from the root, then every dynamic anchor of every reached resource.
    mutating func compileAll() throws(SchemaCompileError) -> [Int: [String: Int]] {
        var dynamic: [Int: [String: Int]] = [:]
        while true {
            while let item = pending.popLast() {
                try compileNode(item.node, item.value, base: item.base)
            }
            var added = false
            let reached = Set(nodes.map(\.resource))
            for rid in reached {
                guard let anchorsHere = dynamicAnchorLocations[rid] else { continue }
                for (name, location) in anchorsHere where dynamic[rid]?[name] == nil {
                    let base = resourceURIs[rid]
                    let before = nodes.count
                    dynamic[rid, default: [:]][name] = node(at: location, base: base)
                    if nodes.count != before { added = true }
                }
            }
            if !added && pending.isEmpty { return dynamic }
        }
    }

    private func fail(_ message: String, _ pointer: String) -> SchemaCompileError {
        SchemaCompileError(code: .invalidSchema, message: message, pointer: pointer)
    }

    private mutating func compileNode(_ index: Int, _ value: JSONValue, base inherited: String) throws(SchemaCompileError) {
        let pointer = nodes[index].pointer
        let document = documentByURI[nodes[index].documentURI] ?? 0
        func loc(_ suffix: String) -> SchemaLocation { SchemaLocation(document: document, pointer: pointer + suffix) }
        switch value {
        case .bool(let b):
            nodes[index].constant = b
            nodes[index].resource = resources[inherited]?.id ?? 0
            return
        case .object(let object):
            var base = inherited
            if let registered = resourceByLocation[SchemaLocation(document: document, pointer: pointer)] {
                base = registered
            } else if let id = object["$id"] {
                guard let idText = id.stringValue else { throw fail("$id must be a string", pointer + "/$id") }
                base = URIText.splitFragment(URIText.resolve(idText, against: inherited)).0
                if resources[base] == nil {
                    registerResource(base, SchemaLocation(document: document, pointer: pointer), resources[inherited]?.vocabularies ?? .standard)
                }
            }
            let resource = resources[base] ?? resources[inherited]
            nodes[index].resource = resource?.id ?? 0
            let vocab = resource?.vocabularies ?? .standard
            var keywords: [Keyword] = []
            var late: [Keyword] = []
            try compileValidation(object, vocab, pointer, into: &keywords)
            try compileApplicators(object, vocab, base, pointer, loc, into: &keywords, late: &late)
            keywords.append(contentsOf: late)
            nodes[index].keywords = keywords
            nodes[index].needsAnnotations = !late.isEmpty
        default:
            throw fail("a schema must be an object or a boolean, not \(value.typeName)", pointer)
        }
    }

    private func nonNegativeInt(_ object: JSONObject, _ key: String, _ pointer: String) throws(SchemaCompileError) -> Int? {
        guard let v = object[key] else { return nil }
        guard let n = v.numberValue, n.isInteger, !n.negative else {
            throw fail("\(key) must be a non-negative integer", pointer + "/" + key)
        }
        return n.intValue ?? Int.max
    }

    private func number(_ object: JSONObject, _ key: String, _ pointer: String) throws(SchemaCompileError) -> JSONNumber? {
        guard let v = object[key] else { return nil }
        guard let n = v.numberValue else { throw fail("\(key) must be a number", pointer + "/" + key) }
        return n
    }

    private func compileValidation(_ object: JSONObject, _ vocab: Vocabularies, _ pointer: String,
                                   into keywords: inout [Keyword]) throws(SchemaCompileError) {
        if vocab.contains(.validation) {
            if let t = object["type"] {
                var set = TypeSet()
                let names: [JSONValue] = t.arrayValue ?? [t]
                for name in names {
                    guard let s = name.stringValue, let one = TypeSet(name: s) else {
                        throw fail("type must name JSON Schema types", pointer + "/type")
                    }
                    set.insert(one)
                }
                keywords.append(.type(set))
            }
            if let c = object["const"] { keywords.append(.constant(c)) }
            if let e = object["enum"] {
                guard let values = e.arrayValue else { throw fail("enum must be an array", pointer + "/enum") }
                keywords.append(.enumeration(values))
            }
            if let n = try number(object, "minimum", pointer) { keywords.append(.minimum(n)) }
            if let n = try number(object, "exclusiveMinimum", pointer) { keywords.append(.exclusiveMinimum(n)) }
            if let n = try number(object, "maximum", pointer) { keywords.append(.maximum(n)) }
            if let n = try number(object, "exclusiveMaximum", pointer) { keywords.append(.exclusiveMaximum(n)) }
            if let n = try number(object, "multipleOf", pointer) {
                guard !n.negative, !n.isZero else { throw fail("multipleOf must be greater than 0", pointer + "/multipleOf") }
                keywords.append(.multipleOf(n))
            }
            if let n = try nonNegativeInt(object, "minLength", pointer) { keywords.append(.minLength(n)) }
            if let n = try nonNegativeInt(object, "maxLength", pointer) { keywords.append(.maxLength(n)) }
            if let p = object["pattern"] {
                guard let s = p.stringValue else { throw fail("pattern must be a string", pointer + "/pattern") }
                keywords.append(.pattern(try compileRegex(s, pointer + "/pattern")))
            }
            if let n = try nonNegativeInt(object, "minItems", pointer) { keywords.append(.minItems(n)) }
            if let n = try nonNegativeInt(object, "maxItems", pointer) { keywords.append(.maxItems(n)) }
            if object["uniqueItems"]?.boolValue == true { keywords.append(.uniqueItems) }
            if let r = object["required"] {
                guard let names = r.arrayValue?.compactMap(\.stringValue), names.count == r.arrayValue?.count else {
                    throw fail("required must be an array of strings", pointer + "/required")
                }
                keywords.append(.required(names))
            }
            if let n = try nonNegativeInt(object, "minProperties", pointer) { keywords.append(.minProperties(n)) }
            if let n = try nonNegativeInt(object, "maxProperties", pointer) { keywords.append(.maxProperties(n)) }
            if let d = object["dependentRequired"] {
                guard let map = d.objectValue else { throw fail("dependentRequired must be an object", pointer + "/dependentRequired") }
                var pairs: [(String, [String])] = []
                for (k, v) in map {
                    guard let names = v.arrayValue?.compactMap(\.stringValue), names.count == v.arrayValue?.count else {
                        throw fail("dependentRequired values must be arrays of strings", pointer + "/dependentRequired/" + JSONPointer.escape(k))
                    }
                    pairs.append((k, names))
                }
                keywords.append(.dependentRequired(pairs))
            }
        }
        if let f = object["format"]?.stringValue,
           vocab.contains(.formatAssertion) || (options.assertFormats && vocab.contains(.formatAnnotation)) {
            if let kind = FormatKind(rawValue: f) {
                keywords.append(.format(kind, name: f))
            } else if vocab.contains(.formatAssertion) {
                throw SchemaCompileError(code: .unsupported, message: "format \"\(f)\" cannot be asserted", pointer: pointer + "/format")
            }
        }
    }

    func compileRegex(_ pattern: String, _ pointer: String) throws(SchemaCompileError) -> ECMARegex {
        do {
            return try ECMARegex(pattern)
        } catch {
            throw SchemaCompileError(code: .invalidPattern, message: "invalid regular expression \(JSONValue.quoted(pattern)): \(error)", pointer: pointer)
        }
    }

    private mutating func compileApplicators(_ object: JSONObject, _ vocab: Vocabularies, _ base: String, _ pointer: String,
                                             _ loc: (String) -> SchemaLocation,
                                             into keywords: inout [Keyword], late: inout [Keyword]) throws(SchemaCompileError) {
        func sub(_ suffix: String) -> Int { node(at: loc(suffix), base: base) }
        func subArray(_ key: String) throws(SchemaCompileError) -> [Int]? {
            guard let v = object[key] else { return nil }
            guard let a = v.arrayValue, !a.isEmpty || key == "prefixItems" else {
                throw fail("\(key) must be a non-empty array of schemas", pointer + "/" + key)
            }
            return a.indices.map { sub("/\(key)/\($0)") }
        }
        if vocab.contains(.applicator) {
            var properties: PropertyTable? = nil
            if let p = object["properties"] {
                guard let map = p.objectValue else { throw fail("properties must be an object", pointer + "/properties") }
                properties = PropertyTable(map.keys.map { ($0, sub("/properties/" + JSONPointer.escape($0))) })
            }
            var patterns: [(ECMARegex, Int, String)] = []
            if let p = object["patternProperties"] {
                guard let map = p.objectValue else { throw fail("patternProperties must be an object", pointer + "/patternProperties") }
                for key in map.keys {
                    let suffix = "/patternProperties/" + JSONPointer.escape(key)
                    patterns.append((try compileRegex(key, pointer + suffix), sub(suffix), key))
                }
            }
            let additional = object["additionalProperties"] != nil ? sub("/additionalProperties") : nil
            if properties != nil || !patterns.isEmpty || additional != nil {
                keywords.append(.members(properties: properties, patterns: patterns, additional: additional))
            }
            if object["propertyNames"] != nil { keywords.append(.propertyNames(sub("/propertyNames"))) }
            let prefix = try subArray("prefixItems") ?? []
            let rest = object["items"] != nil ? sub("/items") : nil
            if !prefix.isEmpty || rest != nil { keywords.append(.items(prefix: prefix, rest: rest)) }
            if object["contains"] != nil {
                let minC = vocab.contains(.validation) ? try nonNegativeInt(object, "minContains", pointer) ?? 1 : 1
                let maxC = vocab.contains(.validation) ? try nonNegativeInt(object, "maxContains", pointer) : nil
                keywords.append(.contains(sub("/contains"), min: minC, max: maxC))
            }
            // `dependencies` (Draft 7 and earlier) is still honoured: arrays as dependentRequired, schemas as dependentSchemas.
            if let d = object["dependencies"]?.objectValue {
                var required: [(String, [String])] = []
                var schemas: [(String, Int)] = []
                for (name, value) in d {
                    if let names = value.arrayValue {
                        required.append((name, names.compactMap(\.stringValue)))
                    } else {
                        schemas.append((name, sub("/dependencies/" + JSONPointer.escape(name))))
                    }
                }
                if !required.isEmpty { keywords.append(.dependentRequired(required)) }
                if !schemas.isEmpty { keywords.append(.dependentSchemas(schemas)) }
            }
            if let d = object["dependentSchemas"] {
                guard let map = d.objectValue else { throw fail("dependentSchemas must be an object", pointer + "/dependentSchemas") }
                keywords.append(.dependentSchemas(map.keys.map { ($0, sub("/dependentSchemas/" + JSONPointer.escape($0))) }))
            }
            if let all = try subArray("allOf") { keywords.append(.allOf(all)) }
            if let any = try subArray("anyOf") { keywords.append(.anyOf(any)) }
            if let one = try subArray("oneOf") { keywords.append(.oneOf(one)) }
            if object["not"] != nil { keywords.append(.not(sub("/not"))) }
            if object["if"] != nil {
                let thenNode = object["then"] != nil ? sub("/then") : nil
                let elseNode = object["else"] != nil ? sub("/else") : nil
                // Kept even without then/else: its annotations count for unevaluated*.
                keywords.append(.conditional(if: sub("/if"), then: thenNode, else: elseNode))
            }
        }
        if let r = object["$ref"] {
            guard let text = r.stringValue else { throw fail("$ref must be a string", pointer + "/$ref") }
            let (target, targetBase) = try lookup(URIText.resolve(text, against: base), from: pointer + "/$ref")
            keywords.append(.ref(node(at: target, base: targetBase)))
        }
        if let r = object["$dynamicRef"] {
            guard let text = r.stringValue else { throw fail("$dynamicRef must be a string", pointer + "/$dynamicRef") }
            let resolved = URIText.resolve(text, against: base)
            let (target, targetBase) = try lookup(resolved, from: pointer + "/$dynamicRef")
            let fragment = URIText.splitFragment(resolved).1
            var anchor: String? = nil
            if !fragment.isEmpty, !fragment.hasPrefix("/"),
               JSONPointer.resolve(target.pointer, in: documents[target.document].value)?["$dynamicAnchor"]?.stringValue == fragment {
                anchor = fragment
            }
            keywords.append(.dynamicRef(node(at: target, base: targetBase), anchor: anchor))
        }
        if vocab.contains(.unevaluated) {
            if object["unevaluatedProperties"] != nil { late.append(.unevaluatedProperties(sub("/unevaluatedProperties"))) }
            if object["unevaluatedItems"] != nil { late.append(.unevaluatedItems(sub("/unevaluatedItems"))) }
        }
    }
}
