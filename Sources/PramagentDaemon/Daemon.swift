import Dispatch
import Logging
import NIOCore
import NIOPosix
import PramagentDecision
import PramagentPolicy
import PramagentSystem
import PramagentWire
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// pramagentd: serves decisions on the decision socket and operations on the admin socket.
public final class Daemon: Sendable {
    public let configuration: DaemonConfiguration
    let context: DaemonContext
    private let group: MultiThreadedEventLoopGroup
    private let servers = Mutex<[any Channel]>([])
    private let stopped = Latch()
    private let logger: Logger

    /// Creates the daemon and loads the policy. A policy that does not compile is
    /// logged; the daemon still starts and blocks every call until a reload succeeds.
    public init(configuration: DaemonConfiguration, audit: any AuditSink = DiscardingAuditSink(),
                logger: Logger = Logger(label: "pramagentd")) {
        self.configuration = configuration
        self.logger = logger
        let threads = configuration.threads > 0 ? configuration.threads : System.coreCount
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let engine = DecisionEngine(snapshot: nil, audit: audit)
        let policies = PolicyService(directory: configuration.policiesDirectory, engine: engine, logger: logger)
        context = DaemonContext(engine: engine, policies: policies, logger: logger, auditTimeout: configuration.auditTimeoutSeconds)
        policies.reload(reason: "start")
        audit.recordLifecycle(LifecycleEvent(kind: .daemonStart, newPolicyVersion: engine.snapshot?.version ?? ""))
    }

    public var engine: DecisionEngine { context.engine }
    public var policies: PolicyService { context.policies }

    /// Binds both sockets. Throws if a path is unusable or already served.
    public func start() async throws {
        let decision = try await bind(role: .decision, path: configuration.decisionSocket,
                                      mode: configuration.decisionSocketMode, group: configuration.decisionSocketGroup)
        let admin: any Channel
        do {
            admin = try await bind(role: .admin, path: configuration.adminSocket,
                                   mode: configuration.adminSocketMode, group: configuration.adminSocketGroup)
        } catch {
            try? await decision.close()
            throw error
        }
        servers.withLock { $0 = [decision, admin] }
        logger.info("serving", metadata: ["decision_socket": "\(configuration.decisionSocket)",
                                          "admin_socket": "\(configuration.adminSocket)",
                                          "policy": "\(engine.snapshot?.version ?? "none")"])
    }

    private func bind(role: SocketRole, path: String, mode: UInt32, group groupName: String?) async throws -> any Channel {
        try SocketPath.prepare(path)
        let context = self.context
        let registry = role == .decision ? context.decisionConnections : context.adminConnections
        let limit = configuration.maxConnections
        let maxFrame = configuration.maxFrameSize
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                guard registry.admit(channel, limit: limit) else {
                    let code: WireErrorCode = registry.isDraining ? .shuttingDown : .tooManyConnections
                    logger.warning("connection refused", metadata: ["code": "\(code.rawValue)", "socket": "\(role.rawValue)"])
                    let message = code == .shuttingDown ? "the daemon is shutting down" : "connection limit of \(limit) reached"
                    return channel.eventLoop.makeCompletedFuture {
                        let frame = try Framing.frame(Pramagent_V1_Response.error(code, message))
                        try channel.pipeline.syncOperations.addHandler(FarewellHandler(frame: frame))
                    }
                }
                return channel.peerCredentials()
                    .map { Optional(CallerIdentity(uid: $0.uid, gid: $0.gid, pid: $0.pid)) }
                    .recover { _ in nil }
                    .flatMapThrowing { caller in
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(BackPressureHandler())
                        try sync.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrame)))
                        try sync.addHandler(RequestHandler(role: role, context: context, caller: caller))
                    }
            }
        // Created owner-only, then opened up to the configured mode and group.
        let previous = umask(0o177)
        defer { umask(previous) }
        let channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
        try SocketPath.applyPermissions(path, mode: mode, group: groupName)
        return channel
    }

    /// Reloads the policy (what SIGHUP does).
    @discardableResult
    public func reload(reason: String) -> PolicyService.ReloadOutcome { context.policies.reload(reason: reason) }

    /// Stops accepting, lets in-flight requests finish and their answers go out, then closes everything.
    public func shutdown() async {
        logger.info("shutting down: draining connections", metadata: ["drain_seconds": "\(configuration.drainSeconds)"])
        let listening = servers.withLock { s -> [any Channel] in defer { s = [] }; return s }
        for server in listening { try? await server.close() }
        let open = context.decisionConnections.startDraining() + context.adminConnections.startDraining()
        // Each connection answers what it has read; an empty write then marks where its answers end.
        let drained = open.map { channel -> EventLoopFuture<Void> in
            channel.eventLoop.flatSubmit {
                channel.writeAndFlush(channel.allocator.buffer(capacity: 0))
                    .flatMap { channel.close() }
                    .recover { _ in }
            }
        }
        let loop = group.next()
        let done = loop.makePromise(of: Void.self)
        EventLoopFuture.andAllComplete(drained, on: loop).whenComplete { _ in done.succeed() }
        loop.scheduleTask(in: .milliseconds(Int64(configuration.drainSeconds * 1000))) { done.succeed() }
        _ = try? await done.futureResult.get()
        for channel in open { try? await channel.close() }
        unlink(configuration.decisionSocket)
        unlink(configuration.adminSocket)
        engine.audit.recordLifecycle(LifecycleEvent(kind: .daemonStop, oldPolicyVersion: engine.snapshot?.version ?? ""))
        logger.info("stopped", metadata: ["decisions": "\(engine.decisionCount)"])
        stopped.open()
        try? await group.shutdownGracefully()
    }

    /// Waits until `shutdown()` has finished.
    public func waitUntilStopped() async {
        await stopped.wait()
    }
}
