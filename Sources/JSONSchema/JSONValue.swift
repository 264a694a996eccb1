#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed JSON value. Equality is JSON's: numbers compare by exact value
/// (`1 == 1.0`), object members are unordered.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON Schema type name of this value (`integer` is reported as `number`).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var numberValue: JSONNumber? { if case .number(let n) = self { return n }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }

    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// JSON equality: strings compare by code points (not canonical equivalence), numbers by value.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x.exactlyEquals(y)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0 == $1 }
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }
}

/// A string key compared by its exact code points (Swift's `String ==` uses canonical
/// equivalence, which would make "é" and "e\u{301}" the same JSON property).
struct ExactKey: Hashable, Sendable {
    let string: String
    init(_ string: String) { self.string = string }
    static func == (a: ExactKey, b: ExactKey) -> Bool { a.string.exactlyEquals(b.string) }
    func hash(into hasher: inout Hasher) {
        for byte in string.utf8 { hasher.combine(byte) }
    }
}

extension String {
    /// Code-point equality (no Unicode normalisation): compares the UTF-8 bytes.
    @inline(__always) func exactlyEquals(_ other: String) -> Bool {
        let a = utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        if let result = a.withContiguousStorageIfAvailable({ pa in
            b.withContiguousStorageIfAvailable { pb in
                pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0
            }
        }), let equal = result {
            return equal
        }
        return a.elementsEqual(b)
    }
}

/// A JSON object that keeps its members in document order.
public struct JSONObject: Sendable, Hashable, Sequence {
    public private(set) var keys: [String]
    public private(set) var values: [JSONValue]
    /// Key index, built only for larger objects; small ones are scanned.
    private var index: [ExactKey: Int]?

    static let indexThreshold = 12

    public init() { keys = []; values = []; index = nil }

    /// Builds an object from members; duplicate keys must already have been rejected.
    public init(keys: [String], values: [JSONValue]) {
        self.keys = keys
        self.values = values
        if keys.count > JSONObject.indexThreshold {
            var idx = [ExactKey: Int](minimumCapacity: keys.count)
            for (i, k) in keys.enumerated() { idx[ExactKey(k)] = i }
            index = idx
        }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public func indexOf(_ key: String) -> Int? {
        if let index { return index[ExactKey(key)] }
        for i in keys.indices where keys[i].exactlyEquals(key) { return i }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        guard let i = indexOf(key) else { return nil }
        return values[i]
    }

    /// Sets or appends a member.
    public mutating func set(_ key: String, _ value: JSONValue) {
        if let i = indexOf(key) { values[i] = value; return }
        keys.append(key); values.append(value)
        if index != nil { index![ExactKey(key)] = keys.count - 1 } else if keys.count > JSONObject.indexThreshold {
            var idx = [ExactKey: Int]()
            for (i, k) in keys.enumerated() { idx[ExactKey(k)] = i }
            index = idx
        }
    }

    public func makeIterator() -> Zip2Sequence<[String], [JSONValue]>.Iterator {
        zip(keys, values).makeIterator()
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.count == b.count else { return false }
        for (k, v) in a {
            guard let other = b[k], other == v else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine member hashes commutatively.
        var acc = 0
        for (k, v) in self {
            var h = Hasher()
            h.combine(k); h.combine(v)
            acc = acc &+ h.finalize()
        }
        hasher.combine(count)
        hasher.combine(acc)
    }
}

extension JSONValue {
    /// Serialises as compact JSON text (member order kept).
    public var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n.jsonText
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(k, to: &out)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    /// Writes a JSON string literal with the escapes RFC 8259 requires.
    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    public static func quoted(_ s: String) -> String {
        var out = ""
        writeString(s, to: &out)
        return out
    }
}

extension JSONNumber {
    /// The number as JSON text (the description is already valid JSON).
    var jsonText: String { description }
}
