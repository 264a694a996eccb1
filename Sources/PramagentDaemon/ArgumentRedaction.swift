import JSONSchema

/// The copy of a call's arguments that an audit record keeps: the same JSON with every string
/// value replaced by its length (`"[12 chars]"`, counted in Unicode scalars); keys, numbers,
/// booleans and nulls kept, member order kept. Output beyond `limit` bytes is cut at a UTF-8
/// boundary and ends with "…"; the walk stops there, so huge arguments cost no more than the cap.
enum ArgumentRedaction {
    static func redactedJSON(_ value: JSONValue, limit: Int) -> [UInt8] {
        var writer = Writer(limit: limit)
        writer.write(value)
        return writer.finish()
    }

    private struct Writer {
        let limit: Int
        var out: [UInt8] = []
        var full: Bool { out.count > limit }

        init(limit: Int) {
            self.limit = limit
            out.reserveCapacity(min(limit + 8, 256))
        }

        mutating func write(_ value: JSONValue) {
            guard !full else { return }
            switch value {
            case .null: out.append(contentsOf: Writer.null)
            case .bool(let b): out.append(contentsOf: b ? Writer.true : Writer.false)
            case .number(let n): n.appendJSONText(to: &out)
            case .string(let s):
                out.append(UInt8(ascii: "\""))
                out.append(UInt8(ascii: "["))
                appendDecimal(scalarCount(s))
                out.append(contentsOf: Writer.chars)
            case .array(let items):
                out.append(UInt8(ascii: "["))
                for i in items.indices {
                    if full { return }
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    write(items[i])
                }
                out.append(UInt8(ascii: "]"))
            case .object(let object):
                out.append(UInt8(ascii: "{"))
                let keys = object.keys, values = object.values
                for i in keys.indices {
                    if full { return }
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    writeKey(keys[i])
                    out.append(UInt8(ascii: ":"))
                    write(values[i])
                }
                out.append(UInt8(ascii: "}"))
            }
        }

        static let null = Array("null".utf8), `true` = Array("true".utf8), `false` = Array("false".utf8)
        static let chars = Array(" chars]\"".utf8)

        mutating func appendDecimal(_ value: Int) {
            var divisor = 1
            while divisor <= value / 10 { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }

        /// Unicode scalars in `s`: its UTF-8 bytes that start a sequence.
        func scalarCount(_ s: String) -> Int {
            var text = s
            return text.withUTF8 { bytes in
                var n = 0
                for b in bytes where b & 0xC0 != 0x80 { n += 1 }
                return n
            }
        }

        /// A JSON string literal (RFC 8259 section 7); keys without characters to escape are copied.
        mutating func writeKey(_ key: String) {
            var text = key
            let plain = text.withUTF8 { bytes in
                if !bytes.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) { return false }
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: bytes)
                out.append(UInt8(ascii: "\""))
                return true
            }
            if !plain { out.append(contentsOf: JSONValue.quoted(key).utf8) }
        }

        consuming func finish() -> [UInt8] {
            guard out.count > limit else { return out }
            var cut = limit
            // Never split a UTF-8 sequence: back up over continuation bytes.
            while cut > 0, out[cut] & 0xC0 == 0x80 { cut -= 1 }
            out.removeSubrange(cut...)
            out.append(contentsOf: "…".utf8)
            return out
        }
    }
}
