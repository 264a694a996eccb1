import Foundation
import Logging
import NIOCore
import NIOPosix
import PramagentAudit
import PramagentSystem
import PramagentWire
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Configuration of pramagent-auditd.
public struct AuditServerConfiguration: Sendable {
    public var databasePath = "/var/lib/pramagent/audit.db"
    public var socketPath = "/run/pramagent/audit.sock"
    public var socketMode: UInt32 = 0o660
    public var socketGroup: String?
    /// Peers allowed besides the writer's own uid.
    public var allowedUIDs: Set<UInt32> = []
    public var allowedGIDs: Set<UInt32> = []
    /// Largest accepted frame (a batch of records).
    public var maxFrameSize = 16 << 20
    public init() {}
}

/// pramagent-auditd: accepts `AuditAppend` batches from allowed peers and answers each with an
/// `AuditAck` once its records are durable.
public final class AuditServer: Sendable {
    public let configuration: AuditServerConfiguration
    public let committer: Committer
    private let group: MultiThreadedEventLoopGroup
    private let server = Mutex<(any Channel)?>(nil)
    private let logger: Logger

    public init(configuration: AuditServerConfiguration, logger: Logger = Logger(label: "pramagent-auditd")) throws {
        self.configuration = configuration
        self.logger = logger
        // One loop: every connection's batches meet in one group commit on it.
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            committer = try Committer(path: configuration.databasePath, loop: group.next(), logger: logger)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// Whether a peer may write records.
    func admits(_ peer: PeerCredentials) -> Bool {
        peer.uid == getuid() || configuration.allowedUIDs.contains(peer.uid) || configuration.allowedGIDs.contains(peer.gid)
    }

    public func start() async throws {
        try SocketPath.prepare(configuration.socketPath)
        let committer = self.committer
        let logger = self.logger
        let maxFrame = configuration.maxFrameSize
        let bootstrap = ServerBootstrap(group: group)
            .childChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { [self] channel in
                channel.peerCredentials().flatMap { peer in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        guard self.admits(peer) else {
                            logger.warning("audit peer refused", metadata: ["uid": "\(peer.uid)", "gid": "\(peer.gid)", "pid": "\(peer.pid)"])
                            let refusal = Pramagent_V1_AuditAck.with { $0.error = "peer_not_allowed: this uid/gid may not write audit records" }
                            try sync.addHandler(FarewellHandler(frame: try Framing.frame(refusal)))
                            return
                        }
                        try sync.addHandler(BackPressureHandler())
                        try sync.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrame)))
                        try sync.addHandler(AppendHandler(committer: committer, logger: logger))
                    }
                }
            }
        let previous = umask(0o177)
        defer { umask(previous) }
        let channel = try await bootstrap.bind(unixDomainSocketPath: configuration.socketPath).get()
        try SocketPath.applyPermissions(configuration.socketPath, mode: configuration.socketMode, group: configuration.socketGroup)
        server.withLock { $0 = channel }
    }

    /// Stops accepting, commits what is queued, closes.
    public func shutdown() async {
        let channel = server.withLock { s -> (any Channel)? in defer { s = nil }; return s }
        try? await channel?.close()
        await committer.stop()
        unlink(configuration.socketPath)
        try? await group.shutdownGracefully()
    }
}

/// Decodes `AuditAppend` frames, hands them to the committer, answers with `AuditAck`s in order.
final class AppendHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    private let committer: Committer
    private let logger: Logger

    init(committer: Committer, logger: Logger) {
        self.committer = committer
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .violation(let code, let message):
            reply(context, Pramagent_V1_AuditAck.with { $0.error = "\(code.rawValue): \(message)" }, close: true)
        case .frame(var body):
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            guard let append = try? Pramagent_V1_AuditAppend(serializedBytes: bytes), !append.producerID.isEmpty,
                  append.firstProducerSeq >= 1 else {
                reply(context, Pramagent_V1_AuditAck.with { $0.error = "frame_undecodable: not an AuditAppend with a producer_id and first_producer_seq >= 1" }, close: true)
                return
            }
            let producer = append.producerID
            committer.submit(AuditStore.Batch(producer: producer, firstProducerSeq: append.firstProducerSeq,
                                              records: append.records.map { [UInt8]($0) })) { outcome in
                // On the loop, after the group commit (the committer shares this handler's loop).
                self.reply(context, Pramagent_V1_AuditAck.with {
                    $0.producerID = producer
                    $0.durableProducerSeq = outcome.durableProducerSeq
                    $0.headSeq = outcome.headSeq
                    $0.headHash = Data(outcome.headHash)
                    $0.error = outcome.error
                }, close: false)
            }
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ ack: Pramagent_V1_AuditAck, close: Bool) {
        var buffer = context.channel.allocator.buffer(capacity: 96)
        try? Framing.write(ack, to: &buffer)
        let channel = context.channel
        let write = context.writeAndFlush(wrapOutboundOut(buffer))
        if close { write.whenComplete { _ in channel.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("audit connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
