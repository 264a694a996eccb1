import NIOCore
import PramagentWire

/// Tells a connection it cannot be served (connection limit, shutdown), then closes it.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let code: WireErrorCode
    private let message: String

    init(code: WireErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        try? Framing.write(Pramagent_V1_Response.error(code, message), to: &buffer)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Whatever the client sends is ignored: the connection is closing.
    }
}
