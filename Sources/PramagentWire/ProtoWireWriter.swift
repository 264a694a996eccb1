/// Writes Protocol Buffers binary encoding directly into a byte array, for messages built on a
/// hot path where a generated message object (storage class, copies) costs more than the bytes.
/// Fields must be written in field-number order and proto3 defaults are skipped, which is what
/// the generated code does too, so both produce the same bytes (a test holds them equal).
/// Format: https://protobuf.dev/programming-guides/encoding/
public struct ProtoWireWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    private enum WireType: UInt64 { case varint = 0, lengthDelimited = 2 }

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func tag(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | type.rawValue)
    }

    /// A `uint64`/`uint32`/enum field (skipped when 0).
    public mutating func unsigned(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(value)
    }

    /// An `int32` field (skipped when 0; negative values take ten bytes, sign-extended).
    public mutating func int32(_ field: Int, _ value: Int32) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A `string` field (skipped when empty).
    public mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        var text = value
        text.withUTF8 { lengthDelimited(field, UnsafeRawBufferPointer($0)) }
    }

    /// A `bytes` field, or a `string` field given as UTF-8 bytes (skipped when empty).
    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        guard !value.isEmpty else { return }
        value.withUnsafeBytes { lengthDelimited(field, $0) }
    }

    /// One element of a `repeated string` field (written even when empty, as repeated fields are).
    public mutating func repeatedElement(_ field: Int, _ value: String) {
        var text = value
        text.withUTF8 { lengthDelimited(field, UnsafeRawBufferPointer($0)) }
    }

    /// An embedded message field whose body is `body`'s bytes.
    public mutating func message(_ field: Int, _ body: ProtoWireWriter) {
        body.bytes.withUnsafeBytes { lengthDelimited(field, $0) }
    }

    private mutating func lengthDelimited(_ field: Int, _ value: UnsafeRawBufferPointer) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}
