import NIOCore
import SwiftProtobuf

/// Stable error codes sent in `Error` responses. Codes starting with `frame_`
/// close the connection after the response; the others do not.
public enum WireErrorCode: String, Sendable, CaseIterable {
    /// A frame announced length 0.
    case frameEmpty = "frame_empty"
    /// A frame announced more than the maximum frame size.
    case frameTooLarge = "frame_too_large"
    /// The frame's bytes are not a `Request` message.
    case frameUndecodable = "frame_undecodable"
    /// The request has no `kind` set (or one this server does not know).
    case requestEmpty = "request_empty"
    /// The request kind is not served on this socket (e.g. `Reload` on the decision socket).
    case requestNotPermitted = "request_not_permitted"
    /// A required field of the request is missing or has an unknown value (e.g. ScanText without a direction).
    case requestInvalid = "request_invalid"
    /// The server is at its connection limit; the connection is closed.
    case tooManyConnections = "too_many_connections"
    /// The server is shutting down; the connection is closed.
    case shuttingDown = "shutting_down"

    /// True when the server closes the connection after sending this error.
    public var closesConnection: Bool {
        switch self {
        case .frameEmpty, .frameTooLarge, .frameUndecodable, .tooManyConnections, .shuttingDown: return true
        case .requestEmpty, .requestNotPermitted, .requestInvalid: return false
        }
    }
}

/// The frame format: 4-byte big-endian length N, then N bytes of one protobuf message.
public enum Framing {
    public static let headerSize = 4
    /// Default maximum frame size (1 MiB).
    public static let defaultMaxFrameSize = 1 << 20

    /// Appends one framed message to `buffer`.
    public static func write<M: SwiftProtobuf.Message>(_ message: M, to buffer: inout ByteBuffer) throws {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        let start = buffer.writerIndex
        let bytes: [UInt8] = try message.serializedBytes()
        buffer.writeBytes(bytes)
        buffer.setInteger(UInt32(buffer.writerIndex - start), at: lengthIndex)
    }

    /// One framed message as bytes.
    public static func frame<M: SwiftProtobuf.Message>(_ message: M) throws -> [UInt8] {
        let body: [UInt8] = try message.serializedBytes()
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + body
    }
}

/// What the frame decoder produces: a frame's body, or a framing violation.
public enum InboundFrame: Sendable {
    case frame(ByteBuffer)
    case violation(WireErrorCode, String)
}

/// Splits a byte stream into frames. A zero or oversize length is reported once
/// as a violation, after which the decoder drops everything (the caller closes).
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = InboundFrame
    public let maxFrameSize: Int
    private var failed = false

    public init(maxFrameSize: Int = Framing.defaultMaxFrameSize) { self.maxFrameSize = maxFrameSize }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if failed {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        if length == 0 {
            failed = true
            context.fireChannelRead(NIOAny(InboundFrame.violation(.frameEmpty, "frame length is 0; frames carry 1 or more bytes")))
            return .needMoreData
        }
        if Int(length) > maxFrameSize {
            failed = true
            context.fireChannelRead(NIOAny(InboundFrame.violation(.frameTooLarge, "frame length \(length) exceeds the maximum of \(maxFrameSize) bytes")))
            return .needMoreData
        }
        guard buffer.readableBytes >= Framing.headerSize + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: Framing.headerSize)
        let body = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(NIOAny(InboundFrame.frame(body)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A truncated frame at EOF is dropped: there is nobody left to answer.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}

extension Pramagent_V1_Response {
    /// An error response.
    public static func error(_ code: WireErrorCode, _ message: String, requestID: UInt64 = 0) -> Self {
        var r = Self()
        r.requestID = requestID
        r.error = Pramagent_V1_Error.with { $0.code = code.rawValue; $0.message = message }
        return r
    }
}
