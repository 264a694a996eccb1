import NIOCore

/// Writes one frame to a connection that cannot be served (connection limit, shutdown,
/// refused peer), then closes it; anything the peer sends is ignored.
public final class FarewellHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let frame: [UInt8]

    /// `frame` is a complete frame (length prefix included), e.g. from `Framing.frame(_:)`.
    public init(frame: [UInt8]) { self.frame = frame }

    public func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: frame.count)
        buffer.writeBytes(frame)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
