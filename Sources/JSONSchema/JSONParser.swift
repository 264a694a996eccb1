/// Limits applied while parsing untrusted JSON. Exceeding one is an error, never a crash.
public struct JSONLimits: Sendable, Hashable {
    /// Maximum size of the whole document in bytes.
    public var maxBytes: Int
    /// Maximum nesting depth of arrays and objects.
    public var maxDepth: Int
    /// Maximum length of one string in UTF-8 bytes (after unescaping).
    public var maxStringBytes: Int
    /// Maximum number of members of one object or elements of one array.
    public var maxContainerCount: Int
    /// Maximum number of characters in one number literal.
    public var maxNumberLength: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxStringBytes: Int = 256 << 10,
                maxContainerCount: Int = 10_000, maxNumberLength: Int = 400) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.maxContainerCount = maxContainerCount
        self.maxNumberLength = maxNumberLength
    }

    /// Defaults for tool arguments on the decision path.
    public static let arguments = JSONLimits()
    /// Roomier limits for schema and policy documents written by authors.
    public static let documents = JSONLimits(maxBytes: 16 << 20, maxDepth: 256, maxStringBytes: 4 << 20,
                                             maxContainerCount: 1_000_000, maxNumberLength: 2_000)
}

/// Why a JSON text was rejected. `code` is stable; `offset` is a byte offset.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case syntax = "json_syntax"
        case invalidUTF8 = "json_invalid_utf8"
        case duplicateKey = "json_duplicate_key"
        case tooLarge = "json_too_large"
        case tooDeep = "json_too_deep"
        case stringTooLong = "json_string_too_long"
        case tooManyMembers = "json_too_many_members"
        case numberTooLong = "json_number_too_long"
    }
    public var code: Code
    public var message: String
    public var offset: Int
    /// JSON Pointer of the container where the error occurred (for duplicate keys, of the key).
    public var path: String

    public var description: String {
        "\(message) at byte \(offset)" + (path.isEmpty ? "" : " (at \(path))")
    }

    func prefixed(_ step: String) -> JSONParseError {
        var copy = self
        copy.path = step + path
        return copy
    }
}

/// A strict RFC 8259 parser: no comments, trailing commas, NaN/Infinity, lone
/// surrogates or invalid UTF-8; duplicate keys are rejected with their path.
public struct JSONParser {
    public let limits: JSONLimits

    public init(limits: JSONLimits = .arguments) { self.limits = limits }

    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        var result: Result<JSONValue, JSONParseError> = .failure(JSONParseError(code: .syntax, message: "", offset: 0, path: ""))
        text.withUTF8 { buffer in
            do throws(JSONParseError) { result = .success(try parse(bytes: buffer)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var result: Result<JSONValue, JSONParseError> = .failure(JSONParseError(code: .syntax, message: "", offset: 0, path: ""))
        bytes.withUnsafeBufferPointer { buffer in
            do throws(JSONParseError) { result = .success(try parse(bytes: buffer)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    public func parse(bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var state = ParserState(bytes: bytes, limits: limits)
        if bytes.count > limits.maxBytes {
            throw state.error(.tooLarge, "document is \(bytes.count) bytes, limit is \(limits.maxBytes)", at: 0)
        }
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            throw state.error(.syntax, "byte order mark is not allowed", at: 0)
        }
        state.skipWhitespace()
        let value = try state.parseValue(depth: 0)
        state.skipWhitespace()
        if state.position != bytes.count {
            throw state.error(.syntax, "unexpected data after the JSON value", at: state.position)
        }
        return value
    }
}

private struct ParserState {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var position = 0
    var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// The error's path is filled in as it unwinds through the enclosing containers.
    func pointer(extra: String? = nil) -> String {
        extra.map { "/" + JSONPointer.escape($0) } ?? ""
    }

    func error(_ code: JSONParseError.Code, _ message: String, at offset: Int, key: String? = nil) -> JSONParseError {
        JSONParseError(code: code, message: message, offset: offset, path: pointer(extra: key))
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    func describeByte(at i: Int) -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16)
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw error(.syntax, "unexpected end of input", at: position) }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error(.syntax, "unexpected \(describeByte(at: position))", at: position)
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        let p = literal.utf8Start
        guard position + n <= bytes.count else { throw error(.syntax, "invalid literal", at: position) }
        for i in 0..<n where bytes[position + i] != p[i] {
            throw error(.syntax, "invalid literal", at: position)
        }
        position += n
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = position
        while position < bytes.count, isNumberByte(bytes[position]) { position += 1 }
        if position - start > limits.maxNumberLength {
            throw error(.numberTooLong, "number literal longer than \(limits.maxNumberLength) characters", at: start)
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
        guard let n = JSONNumber.parse(slice) else {
            throw error(.syntax, "invalid number", at: start)
        }
        return n
    }

    func isNumberByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
             UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return true
        default: return false
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > limits.maxDepth {
            throw error(.tooDeep, "nesting deeper than \(limits.maxDepth)", at: position)
        }
        position += 1
        var elements: [JSONValue] = []
        elements.reserveCapacity(8)
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            if elements.count >= limits.maxContainerCount {
                throw error(.tooManyMembers, "array has more than \(limits.maxContainerCount) elements", at: position)
            }
            skipWhitespace()
            do {
                elements.append(try parseValue(depth: depth))
            } catch {
                throw error.prefixed("/" + String(elements.count))
            }
            skipWhitespace()
            guard position < bytes.count else { throw error(.syntax, "unterminated array", at: position) }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    throw error(.syntax, "trailing comma in array", at: position)
                }
                continue
            }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
            throw error(.syntax, "expected ',' or ']' but found \(describeByte(at: position))", at: position)
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > limits.maxDepth {
            throw error(.tooDeep, "nesting deeper than \(limits.maxDepth)", at: position)
        }
        position += 1
        var keys: [String] = []
        var values: [JSONValue] = []
        keys.reserveCapacity(8)
        values.reserveCapacity(8)
        var seen: Set<ExactKey>? = nil
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(JSONObject())
        }
        while true {
            if keys.count >= limits.maxContainerCount {
                throw error(.tooManyMembers, "object has more than \(limits.maxContainerCount) members", at: position)
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error(.syntax, "expected a string key but found \(describeByte(at: position))", at: position)
            }
            let keyOffset = position
            let key = try parseString()
            // Duplicate detection: linear for small objects, hashed beyond.
            if keys.count < 8 {
                if keys.contains(where: { $0.exactlyEquals(key) }) {
                    throw error(.duplicateKey, "duplicate key \(JSONValue.quoted(key))", at: keyOffset, key: key)
                }
            } else {
                if seen == nil { seen = Set(keys.map(ExactKey.init)) }
                if !seen!.insert(ExactKey(key)).inserted {
                    throw error(.duplicateKey, "duplicate key \(JSONValue.quoted(key))", at: keyOffset, key: key)
                }
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error(.syntax, "expected ':' after key but found \(describeByte(at: position))", at: position)
            }
            position += 1
            skipWhitespace()
            let value: JSONValue
            do {
                value = try parseValue(depth: depth)
            } catch {
                throw error.prefixed("/" + JSONPointer.escape(key))
            }
            keys.append(key)
            values.append(value)
            skipWhitespace()
            guard position < bytes.count else { throw error(.syntax, "unterminated object", at: position) }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                    throw error(.syntax, "trailing comma in object", at: position)
                }
                continue
            }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(JSONObject(keys: keys, values: values))
            }
            throw error(.syntax, "expected ',' or '}' but found \(describeByte(at: position))", at: position)
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let start = position
        position += 1
        let contentStart = position
        // Fast path: no escapes.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let length = position - contentStart
                if length > limits.maxStringBytes {
                    throw error(.stringTooLong, "string longer than \(limits.maxStringBytes) bytes", at: start)
                }
                let slice = UnsafeBufferPointer(rebasing: bytes[contentStart..<position])
                position += 1
                return try makeString(slice, offset: contentStart)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error(.syntax, "unescaped control character in string", at: position) }
            position += 1
        }
        guard position < bytes.count else { throw error(.syntax, "unterminated string", at: start) }
        // Slow path with escapes.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<position]))
        while position < bytes.count {
            let b = bytes[position]
            if scratch.count > limits.maxStringBytes {
                throw error(.stringTooLong, "string longer than \(limits.maxStringBytes) bytes", at: start)
            }
            if b == UInt8(ascii: "\"") {
                position += 1
                let copy = scratch
                return try copy.withUnsafeBufferPointer { buffer throws(JSONParseError) in
                    try makeString(buffer, offset: contentStart)
                }
            }
            if b < 0x20 { throw error(.syntax, "unescaped control character in string", at: position) }
            if b != UInt8(ascii: "\\") { scratch.append(b); position += 1; continue }
            let escapeOffset = position
            position += 1
            guard position < bytes.count else { break }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4(at: escapeOffset)
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error(.syntax, "lone high surrogate in string", at: escapeOffset)
                    }
                    position += 2
                    let low = try readHex4(at: escapeOffset)
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw error(.syntax, "high surrogate not followed by a low surrogate", at: escapeOffset)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw error(.syntax, "lone low surrogate in string", at: escapeOffset)
                }
                appendUTF8(scalar)
            default:
                throw error(.syntax, "invalid escape sequence", at: escapeOffset)
            }
        }
        throw error(.syntax, "unterminated string", at: start)
    }

    mutating func readHex4(at escapeOffset: Int) throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error(.syntax, "truncated \\u escape", at: escapeOffset) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw error(.syntax, "invalid \\u escape", at: escapeOffset)
            }
            v = v << 4 | d
            position += 1
        }
        return v
    }

    mutating func appendUTF8(_ v: UInt32) {
        if v < 0x80 {
            scratch.append(UInt8(v))
        } else if v < 0x800 {
            scratch.append(UInt8(0xC0 | (v >> 6))); scratch.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            scratch.append(UInt8(0xE0 | (v >> 12))); scratch.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            scratch.append(UInt8(0xF0 | (v >> 18))); scratch.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((v >> 6) & 0x3F))); scratch.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    func makeString(_ slice: UnsafeBufferPointer<UInt8>, offset: Int) throws(JSONParseError) -> String {
        var ascii = true
        for b in slice where b >= 0x80 { ascii = false; break }
        if ascii { return String(decoding: slice, as: UTF8.self) }
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw error(.invalidUTF8, "invalid UTF-8 in string", at: offset)
        }
        return s
    }
}
