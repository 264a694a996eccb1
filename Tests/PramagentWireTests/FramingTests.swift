import NIOCore
import NIOEmbedded
import Testing
@testable import PramagentWire

@Suite("Framing")
struct FramingTests {
    func decoder(max: Int = 1024) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameSize: max)))
        return channel
    }

    func bodies(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let frame = try channel.readInbound(as: InboundFrame.self) {
            guard case .frame(var b) = frame else { Issue.record("unexpected violation"); continue }
            out.append(b.readBytes(length: b.readableBytes)!)
        }
        return out
    }

    @Test("frames split across reads and several frames in one read")
    func reassembly() throws {
        let ch = try decoder()
        var b = ByteBuffer(bytes: [0, 0, 0, 3, 1, 2])
        try ch.writeInbound(b)
        #expect(try bodies(ch).isEmpty)
        b = ByteBuffer(bytes: [3, 0, 0, 0, 1, 9, 0, 0])
        try ch.writeInbound(b)
        #expect(try bodies(ch) == [[1, 2, 3], [9]])
        try ch.writeInbound(ByteBuffer(bytes: [0, 2, 7, 7]))
        #expect(try bodies(ch) == [[7, 7]])
    }

    @Test("zero and oversize lengths are violations, reported once")
    func violations() throws {
        let ch = try decoder(max: 16)
        try ch.writeInbound(ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 1, 5]))
        guard case .violation(let code, _)? = try ch.readInbound(as: InboundFrame.self) else { Issue.record("no violation"); return }
        #expect(code == .frameEmpty)
        #expect(try ch.readInbound(as: InboundFrame.self) == nil)
        let big = try decoder(max: 16)
        try big.writeInbound(ByteBuffer(bytes: [0, 0, 0, 17]))
        guard case .violation(let c2, let message)? = try big.readInbound(as: InboundFrame.self) else { Issue.record("no violation"); return }
        #expect(c2 == .frameTooLarge)
        #expect(message.contains("17"))
        // A frame of exactly the maximum is fine.
        let exact = try decoder(max: 16)
        try exact.writeInbound(ByteBuffer(bytes: [0, 0, 0, 16] + [UInt8](repeating: 4, count: 16)))
        #expect(try bodies(exact).first?.count == 16)
    }

    @Test("write and frame produce the same bytes, and round-trip through the decoder")
    func roundTrip() throws {
        var request = Pramagent_V1_Request()
        request.requestID = 99
        request.checkToolCall = Pramagent_V1_CheckToolCall.with { $0.tenant = "t"; $0.tool = "x"; $0.argumentsJson = "{}" }
        var buffer = ByteBuffer()
        try Framing.write(request, to: &buffer)
        let bytes = try Framing.frame(request)
        #expect(Array(buffer.readableBytesView) == bytes)
        let ch = try decoder()
        try ch.writeInbound(buffer)
        let body = try #require(try bodies(ch).first)
        #expect(try Pramagent_V1_Request(serializedBytes: body) == request)
    }

    @Test("error codes that close the connection")
    func codes() {
        #expect(WireErrorCode.frameEmpty.closesConnection)
        #expect(WireErrorCode.frameUndecodable.closesConnection)
        #expect(!WireErrorCode.requestEmpty.closesConnection)
        #expect(!WireErrorCode.requestNotPermitted.closesConnection)
    }
}
