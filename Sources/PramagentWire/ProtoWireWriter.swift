/// Writes Protocol Buffers binary encoding directly into a byte array, for messages built on a
/// hot path where a generated message object (storage class, copies) costs more than the bytes.
/// Fields must be written in field-number order and proto3 defaults are skipped, which is what
/// the generated code does too, so both produce the same bytes (a test holds them equal).
/// Format: https://protobuf.dev/programming-guides/encoding/
public struct ProtoWireWriter {
    public private(set) var bytes: [UInt8]
    private let headerSize: Int

    /// `framed`: the bytes start with room for the 4-byte length prefix of `Framing`, which
    /// `finishFrame()` fills in (no copy to put a frame around the message).
    public init(capacity: Int = 256, framed: Bool = false) {
        bytes = []
        bytes.reserveCapacity(capacity + 4)
        headerSize = framed ? 4 : 0
        if framed { bytes.append(contentsOf: [0, 0, 0, 0]) }
    }

    /// The frame: 4-byte big-endian length, then the message (for a writer made with `framed`).
    public mutating func finishFrame() -> [UInt8] {
        precondition(headerSize == 4, "not a framed writer")
        let n = UInt32(bytes.count - 4)
        bytes[0] = UInt8(n >> 24); bytes[1] = UInt8((n >> 16) & 0xFF); bytes[2] = UInt8((n >> 8) & 0xFF); bytes[3] = UInt8(n & 0xFF)
        return bytes
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

    /// One element of a `repeated bytes` field (written even when empty).
    public mutating func repeatedElement(_ field: Int, bytes value: UnsafeRawBufferPointer) {
        lengthDelimited(field, value)
    }

    /// An embedded message field whose body is `body`'s bytes.
    public mutating func message(_ field: Int, _ body: ProtoWireWriter) {
        body.bytes.withUnsafeBytes { lengthDelimited(field, UnsafeRawBufferPointer(rebasing: $0[body.headerSize...])) }
    }

    private mutating func lengthDelimited(_ field: Int, _ value: UnsafeRawBufferPointer) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}
