import Foundation
import JSONSchema

enum FileHandleOutput {
    static func stderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A minimal JSON writer for CLI output (keys in the given order).
struct JSONOut {
    private var parts: [String] = []
    init() {}
    mutating func add(_ key: String, _ value: String) { parts.append("\(quote(key)):\(quote(value))") }
    mutating func add(_ key: String, _ value: Int) { parts.append("\(quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: UInt64) { parts.append("\(quote(key)):\(value)") }
    mutating func add(_ key: String, _ value: Double) { parts.append("\(quote(key)):\(value.isFinite ? String(value) : "null")") }
    mutating func add(_ key: String, _ value: Bool) { parts.append("\(quote(key)):\(value)") }
    mutating func add(_ key: String, raw: String) { parts.append("\(quote(key)):\(raw)") }
    var text: String { "{" + parts.joined(separator: ",") + "}" }

    func quote(_ s: String) -> String { JSONValue.quoted(s) }
}
