/// Which members or elements of the current instance were evaluated (for `unevaluated*`).
struct Evaluated {
    var words: [UInt64]
    var all = false

    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

    mutating func mark(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }
    func contains(_ i: Int) -> Bool { all || words[i >> 6] & (1 << UInt64(i & 63)) != 0 }

    mutating func merge(_ other: Evaluated?) {
        guard let other else { return }
        if other.all { all = true }
        for i in words.indices where i < other.words.count { words[i] |= other.words[i] }
    }
}

struct Outcome {
    var valid: Bool
    var evaluated: Evaluated?
}

private enum InstanceStep {
    case key(String)
    case index(Int)
}

/// One validation run: the mutable state (error list, paths, dynamic scope) over an immutable schema.
struct Evaluation {
    enum Mode { case silent, first, all }

    let validator: JSONSchemaValidator
    let nodes: [SchemaNode]
    var mode: Mode
    var errors: [ValidationError] = []
    private var trail: [(site: Int, keyword: String, target: Int)] = []
    private var scope: [Int] = []
    private var depth = 0

    init(validator: JSONSchemaValidator, mode: Mode) {
        self.validator = validator
        self.nodes = validator.nodes
        self.mode = mode
    }

    // MARK: Error reporting

    private func relative(_ pointer: String, from base: String) -> String {
        pointer.hasPrefix(base) ? String(pointer.dropFirst(base.count)) : pointer
    }

    private mutating func report(_ node: Int, _ keyword: String, _ message: @autoclosure () -> String) {
        guard mode != .silent else { return }
        var location = ""
        var from = nodes[validator.root].pointer
        for hop in trail {
            location += relative(nodes[hop.site].pointer, from: from) + "/" + hop.keyword
            from = nodes[hop.target].pointer
        }
        location += relative(nodes[node].pointer, from: from)
        let n = nodes[node]
        let absoluteBase = n.documentURI + "#" + n.pointer
        if !keyword.isEmpty { location += "/" + keyword }
        // The instance location is relative here; `child` prefixes it while unwinding.
        errors.append(ValidationError(instanceLocation: "", keywordLocation: location,
                                      absoluteKeywordLocation: keyword.isEmpty ? absoluteBase : absoluteBase + "/" + keyword,
                                      keyword: keyword.isEmpty ? "false" : keyword, message: message()))
    }

    /// Runs `body` without reporting; in all-errors mode the errors are kept aside and returned.
    private mutating func tentatively<T>(_ body: (inout Evaluation) -> T) -> (T, [ValidationError]) {
        let savedMode = mode
        let savedCount = errors.count
        if mode == .first { mode = .silent }
        let result = body(&self)
        mode = savedMode
        let produced = Array(errors[savedCount...])
        errors.removeSubrange(savedCount...)
        return (result, produced)
    }

    // MARK: Evaluation

    mutating func validate(_ n: Int, _ value: JSONValue, track: Bool) -> Outcome {
        if let constant = nodes[n].constant {
            if constant { return Outcome(valid: true, evaluated: nil) }
            report(n, "", "no value is allowed here (false schema)")
            return Outcome(valid: false, evaluated: nil)
        }
        depth += 1
        defer { depth -= 1 }
        let maxDepth = validator.options.maxEvaluationDepth
        if depth > maxDepth {
            report(n, "", "schema evaluation nested deeper than \(maxDepth) (recursive schema)")
            return Outcome(valid: false, evaluated: nil)
        }
        var pushedScope = false
        if validator.usesDynamicScope, scope.last != nodes[n].resource {
            scope.append(nodes[n].resource)
            pushedScope = true
        }
        defer { if pushedScope { scope.removeLast() } }
        let trackHere = track || nodes[n].needsAnnotations
        var evaluated: Evaluated? = nil
        if trackHere {
            switch value {
            case .object(let o): evaluated = Evaluated(count: o.count)
            case .array(let a): evaluated = Evaluated(count: a.count)
            default: break
            }
        }
        var valid = true
        let keywords = nodes[n].keywords
        for keyword in keywords {
            if !apply(keyword, n, value, trackHere, &evaluated) {
                valid = false
                if mode != .all { break }
            }
        }
        return Outcome(valid: valid, evaluated: valid && track ? evaluated : nil)
    }

    /// Validates a member or element; errors found below get its path prefixed on the way out,
    /// so the common (valid) path never builds instance locations.
    private mutating func child(_ node: Int, _ value: JSONValue, _ step: InstanceStep) -> Bool {
        let before = errors.count
        let valid = validate(node, value, track: false).valid
        if errors.count > before {
            let prefix: String
            switch step {
            case .key(let k): prefix = "/" + JSONPointer.escape(k)
            case .index(let i): prefix = "/" + String(i)
            }
            for i in before..<errors.count { errors[i].instanceLocation = prefix + errors[i].instanceLocation }
        }
        return valid
    }

    private mutating func follow(site: Int, keyword: String, target: Int, _ value: JSONValue, _ track: Bool,
                                 _ evaluated: inout Evaluated?) -> Bool {
        trail.append((site, keyword, target))
        defer { trail.removeLast() }
        let outcome = validate(target, value, track: track)
        if outcome.valid { evaluated?.merge(outcome.evaluated) }
        return outcome.valid
    }

    private mutating func apply(_ keyword: Keyword, _ n: Int, _ value: JSONValue, _ track: Bool,
                                _ evaluated: inout Evaluated?) -> Bool {
        switch keyword {
        case .type(let set):
            if set.admits(value) { return true }
            report(n, "type", "must be of type \(set.names.joined(separator: " or ")), not \(value.typeName)")
            return false
        case .constant(let c):
            if value == c { return true }
            report(n, "const", "must be equal to \(c.jsonText)")
            return false
        case .enumeration(let values):
            if values.contains(value) { return true }
            report(n, "enum", "must be one of \(values.map(\.jsonText).joined(separator: ", "))")
            return false
        case .minimum(let limit):
            guard case .number(let x) = value, JSONNumber.compare(x, limit) < 0 else { return true }
            report(n, "minimum", "must be >= \(limit), got \(x)")
            return false
        case .exclusiveMinimum(let limit):
            guard case .number(let x) = value, JSONNumber.compare(x, limit) <= 0 else { return true }
            report(n, "exclusiveMinimum", "must be > \(limit), got \(x)")
            return false
        case .maximum(let limit):
            guard case .number(let x) = value, JSONNumber.compare(x, limit) > 0 else { return true }
            report(n, "maximum", "must be <= \(limit), got \(x)")
            return false
        case .exclusiveMaximum(let limit):
            guard case .number(let x) = value, JSONNumber.compare(x, limit) >= 0 else { return true }
            report(n, "exclusiveMaximum", "must be < \(limit), got \(x)")
            return false
        case .multipleOf(let divisor):
            guard case .number(let x) = value, !x.isMultiple(of: divisor) else { return true }
            report(n, "multipleOf", "must be a multiple of \(divisor), got \(x)")
            return false
        case .minLength(let limit):
            guard case .string(let s) = value, s.utf8.count < limit || s.unicodeScalars.count < limit else { return true }
            let length = s.unicodeScalars.count
            if length >= limit { return true }
            report(n, "minLength", "must be at least \(limit) characters long, got \(length)")
            return false
        case .maxLength(let limit):
            guard case .string(let s) = value, s.utf8.count > limit else { return true }
            let length = s.unicodeScalars.count
            if length <= limit { return true }
            report(n, "maxLength", "must be at most \(limit) characters long, got \(length)")
            return false
        case .pattern(let regex):
            guard case .string(let s) = value else { return true }
            do {
                if try regex.matches(s, stepBudget: validator.options.regexStepBudget) { return true }
                report(n, "pattern", "must match the pattern \(JSONValue.quoted(regex.pattern))")
            } catch {
                report(n, "pattern", "pattern \(JSONValue.quoted(regex.pattern)) exceeded its match step limit on this value")
            }
            return false
        case .format(let kind, let name):
            if kind.admits(value) { return true }
            report(n, "format", "must be a valid \(name)")
            return false
        case .minItems(let limit):
            guard case .array(let a) = value, a.count < limit else { return true }
            report(n, "minItems", "must have at least \(limit) items, got \(a.count)")
            return false
        case .maxItems(let limit):
            guard case .array(let a) = value, a.count > limit else { return true }
            report(n, "maxItems", "must have at most \(limit) items, got \(a.count)")
            return false
        case .uniqueItems:
            guard case .array(let a) = value, let (i, j) = firstDuplicate(a) else { return true }
            report(n, "uniqueItems", "items \(i) and \(j) are equal; items must be unique")
            return false
        case .required(let names):
            guard case .object(let o) = value else { return true }
            var ok = true
            for name in names where o.indexOf(name) == nil {
                report(n, "required", "missing required property \(JSONValue.quoted(name))")
                ok = false
                if mode != .all { break }
            }
            return ok
        case .minProperties(let limit):
            guard case .object(let o) = value, o.count < limit else { return true }
            report(n, "minProperties", "must have at least \(limit) properties, got \(o.count)")
            return false
        case .maxProperties(let limit):
            guard case .object(let o) = value, o.count > limit else { return true }
            report(n, "maxProperties", "must have at most \(limit) properties, got \(o.count)")
            return false
        case .dependentRequired(let pairs):
            guard case .object(let o) = value else { return true }
            var ok = true
            for (trigger, names) in pairs where o.indexOf(trigger) != nil {
                for name in names where o.indexOf(name) == nil {
                    report(n, "dependentRequired", "property \(JSONValue.quoted(name)) is required when \(JSONValue.quoted(trigger)) is present")
                    ok = false
                    if mode != .all { return false }
                }
            }
            return ok
        case .members(let properties, let patterns, let additional):
            guard case .object(let o) = value else { return true }
            return applyMembers(o, n, properties, patterns, additional, &evaluated)
        case .propertyNames(let node):
            guard case .object(let o) = value else { return true }
            var ok = true
            for key in o.keys where !validate(node, .string(key), track: false).valid {
                ok = false
                if mode != .all { break }
            }
            return ok
        case .items(let prefix, let rest):
            guard case .array(let a) = value else { return true }
            var ok = true
            for (i, element) in a.enumerated() {
                let node: Int
                if i < prefix.count { node = prefix[i] } else if let rest { node = rest } else { break }
                if !child(node, element, .index(i)) {
                    ok = false
                    if mode != .all { return false }
                }
                evaluated?.mark(i)
            }
            return ok
        case .contains(let node, let minimum, let maximum):
            guard case .array(let a) = value else { return true }
            var matches = 0
            let (_, _) = tentatively { e in
                for (i, element) in a.enumerated() where e.child(node, element, .index(i)) {
                    matches += 1
                    evaluated?.mark(i)
                }
            }
            if matches < minimum {
                report(n, "contains", minimum == 1 ? "must contain at least one matching item" : "must contain at least \(minimum) matching items, got \(matches)")
                return false
            }
            if let maximum, matches > maximum {
                report(n, "maxContains", "must contain at most \(maximum) matching items, got \(matches)")
                return false
            }
            return true
        case .allOf(let nodes):
            var ok = true
            for node in nodes {
                let outcome = validate(node, value, track: track)
                if outcome.valid { evaluated?.merge(outcome.evaluated) } else {
                    ok = false
                    if mode != .all { break }
                }
            }
            return ok
        case .anyOf(let nodes):
            var anyValid = false
            let (_, branchErrors) = tentatively { e in
                for node in nodes {
                    let outcome = e.validate(node, value, track: track)
                    if outcome.valid {
                        anyValid = true
                        evaluated?.merge(outcome.evaluated)
                        if !track { break }
                    }
                }
            }
            if anyValid { return true }
            errors.append(contentsOf: branchErrors)
            report(n, "anyOf", "must match at least one schema in anyOf")
            return false
        case .oneOf(let nodes):
            var validIndices: [Int] = []
            var matchedEvaluation: Evaluated? = nil
            let (_, branchErrors) = tentatively { e in
                for (i, node) in nodes.enumerated() {
                    let outcome = e.validate(node, value, track: track)
                    if outcome.valid {
                        validIndices.append(i)
                        matchedEvaluation = outcome.evaluated
                        if validIndices.count > 1 { break }
                    }
                }
            }
            if validIndices.count == 1 {
                evaluated?.merge(matchedEvaluation)
                return true
            }
            if validIndices.isEmpty {
                errors.append(contentsOf: branchErrors)
                report(n, "oneOf", "must match exactly one schema in oneOf, matched none")
            } else {
                report(n, "oneOf", "must match exactly one schema in oneOf, matched \(validIndices.map(String.init).joined(separator: " and "))")
            }
            return false
        case .not(let node):
            let (outcome, _) = tentatively { e in e.validate(node, value, track: false) }
            if !outcome.valid { return true }
            report(n, "not", "must not match the schema in not")
            return false
        case .conditional(let ifNode, let thenNode, let elseNode):
            let (outcome, _) = tentatively { e in e.validate(ifNode, value, track: track) }
            if outcome.valid {
                evaluated?.merge(outcome.evaluated)
                guard let thenNode else { return true }
                let r = validate(thenNode, value, track: track)
                if r.valid { evaluated?.merge(r.evaluated) }
                return r.valid
            }
            guard let elseNode else { return true }
            let r = validate(elseNode, value, track: track)
            if r.valid { evaluated?.merge(r.evaluated) }
            return r.valid
        case .dependentSchemas(let pairs):
            guard case .object(let o) = value else { return true }
            var ok = true
            for (trigger, node) in pairs where o.indexOf(trigger) != nil {
                let r = validate(node, value, track: track)
                if r.valid { evaluated?.merge(r.evaluated) } else {
                    ok = false
                    if mode != .all { break }
                }
            }
            return ok
        case .ref(let target):
            return follow(site: n, keyword: "$ref", target: target, value, track, &evaluated)
        case .dynamicRef(let initial, let anchor):
            var target = initial
            if let anchor {
                for resource in scope {
                    if let dynamic = validator.dynamicAnchors[resource]?[anchor] { target = dynamic; break }
                }
            }
            return follow(site: n, keyword: "$dynamicRef", target: target, value, track, &evaluated)
        case .unevaluatedProperties(let node):
            guard case .object(let o) = value else { return true }
            var ok = true
            for (i, (key, member)) in zip(o.keys, o.values).enumerated() where !(evaluated?.contains(i) ?? false) {
                if child(node, member, .key(key)) { evaluated?.mark(i) } else {
                    ok = false
                    if mode != .all { break }
                }
            }
            return ok
        case .unevaluatedItems(let node):
            guard case .array(let a) = value else { return true }
            var ok = true
            for (i, element) in a.enumerated() where !(evaluated?.contains(i) ?? false) {
                if child(node, element, .index(i)) { evaluated?.mark(i) } else {
                    ok = false
                    if mode != .all { break }
                }
            }
            return ok
        }
    }

    private mutating func applyMembers(_ o: JSONObject, _ n: Int, _ properties: PropertyTable?,
                                       _ patterns: [(ECMARegex, Int, String)], _ additional: Int?,
                                       _ evaluated: inout Evaluated?) -> Bool {
        var ok = true
        for i in 0..<o.count {
            let key = o.keys[i]
            let member = o.values[i]
            var matched = false
            if let node = properties?.lookup(key) {
                matched = true
                if !child(node, member, .key(key)) { ok = false; if mode != .all { return false } }
            }
            for (regex, node, source) in patterns {
                let hit: Bool
                do { hit = try regex.matches(key, stepBudget: validator.options.regexStepBudget) } catch {
                    report(n, "patternProperties", "pattern \(JSONValue.quoted(source)) exceeded its match step limit")
                    ok = false
                    if mode != .all { return false }
                    continue
                }
                if hit {
                    matched = true
                    if !child(node, member, .key(key)) { ok = false; if mode != .all { return false } }
                }
            }
            if !matched, let additional {
                matched = true
                if !child(additional, member, .key(key)) { ok = false; if mode != .all { return false } }
            }
            if matched { evaluated?.mark(i) }
        }
        return ok
    }

    private func firstDuplicate(_ a: [JSONValue]) -> (Int, Int)? {
        if a.count < 16 {
            for i in a.indices { for j in (i + 1)..<a.count where a[i] == a[j] { return (i, j) } }
            return nil
        }
        var seen: [JSONValue: Int] = [:]
        for (j, v) in a.enumerated() {
            if let i = seen[v] { return (i, j) }
            seen[v] = j
        }
        return nil
    }
}
