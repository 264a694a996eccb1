import NIOCore
import NIOPosix
import PramagentWire
import Synchronization

/// One connection to a pramagentd socket. Requests are pipelined: many may be in
/// flight at once, and each answer is matched to its request by `request_id`.
public final class PramagentConnection: Sendable {
    let channel: any Channel
    private let nextID = Atomic<UInt64>(1)
    private let ownsGroup: (any EventLoopGroup)?

    init(channel: any Channel, ownsGroup: (any EventLoopGroup)?) {
        self.channel = channel
        self.ownsGroup = ownsGroup
    }

    /// Connects to a unix socket. Without a group, the connection runs its own one-thread group.
    public static func connect(path: String, group: (any EventLoopGroup)? = nil,
                               maxFrameSize: Int = Framing.defaultMaxFrameSize) async throws(PramagentClientError) -> PramagentConnection {
        let owned: (any EventLoopGroup)? = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let loopGroup = group ?? owned!
        do {
            let channel = try await ClientBootstrap(group: loopGroup)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize)))
                        try sync.addHandler(ResponseRouter())
                    }
                }
                .connect(unixDomainSocketPath: path).get()
            return PramagentConnection(channel: channel, ownsGroup: owned)
        } catch {
            try? await owned?.shutdownGracefully()
            throw .connectFailed(path: path, reason: "\(error)")
        }
    }

    /// Sends a request (its `request_id` is assigned here) and waits for the answer.
    public func send(_ request: Pramagent_V1_Request) async throws(PramagentClientError) -> Pramagent_V1_Response {
        var request = request
        request.requestID = nextID.add(1, ordering: .relaxed).oldValue
        var buffer = channel.allocator.buffer(capacity: 256)
        do { try Framing.write(request, to: &buffer) } catch { throw .encoding("\(error)") }
        let promise = channel.eventLoop.makePromise(of: Pramagent_V1_Response.self)
        let id = request.requestID
        let channel = self.channel
        let frame = buffer
        channel.eventLoop.execute {
            do {
                let router = try channel.pipeline.syncOperations.handler(type: ResponseRouter.self)
                router.register(id, promise)
                channel.writeAndFlush(frame).whenFailure { promise.fail($0) }
            } catch {
                promise.fail(PramagentClientError.connectionClosed)
            }
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as PramagentClientError {
            throw error
        } catch {
            throw .connectionClosed
        }
    }

    /// Asks whether a tool call may proceed.
    public func checkToolCall(tenant: String, session: String, tool: String, argumentsJSON: String,
                              operation: String = "") async throws(PramagentClientError) -> Pramagent_V1_Decision {
        var request = Pramagent_V1_Request()
        request.checkToolCall = Pramagent_V1_CheckToolCall.with {
            $0.tenant = tenant; $0.session = session; $0.tool = tool; $0.argumentsJson = argumentsJSON; $0.operation = operation
        }
        let response = try await send(request)
        guard case .decision(let d)? = response.kind else { throw PramagentConnection.unexpected(response) }
        return d
    }

    /// Scans a text (prompt, model output or tool result) by the policy's rules.
    public func scanText(_ text: String, direction: Pramagent_V1_Direction, redact: Bool = false,
                         tenant: String = "", session: String = "") async throws(PramagentClientError) -> Pramagent_V1_ScanResult {
        let response = try await send(Pramagent_V1_Request.with {
            $0.scanText = Pramagent_V1_ScanText.with {
                $0.text = text; $0.direction = direction; $0.redact = redact; $0.tenant = tenant; $0.session = session
            }
        })
        guard case .scanResult(let r)? = response.kind else { throw PramagentConnection.unexpected(response) }
        return r
    }

    /// Reports what a tool returned; injection findings taint the session.
    public func reportToolResult(tenant: String, session: String, tool: String, text: String,
                                 redact: Bool = false) async throws(PramagentClientError) -> Pramagent_V1_ScanResult {
        let response = try await send(Pramagent_V1_Request.with {
            $0.reportToolResult = Pramagent_V1_ReportToolResult.with {
                $0.tenant = tenant; $0.session = session; $0.tool = tool; $0.text = text; $0.redact = redact
            }
        })
        guard case .scanResult(let r)? = response.kind else { throw PramagentConnection.unexpected(response) }
        return r
    }

    public func health() async throws(PramagentClientError) -> Pramagent_V1_HealthStatus {
        let response = try await send(Pramagent_V1_Request.with { $0.health = Pramagent_V1_Health() })
        guard case .health(let h)? = response.kind else { throw PramagentConnection.unexpected(response) }
        return h
    }

    /// Admin socket: compile the policy directory again and install it if it compiles.
    public func reload() async throws(PramagentClientError) -> Pramagent_V1_ReloadResult {
        let response = try await send(Pramagent_V1_Request.with { $0.reload = Pramagent_V1_Reload() })
        guard case .reload(let r)? = response.kind else { throw PramagentConnection.unexpected(response) }
        return r
    }

    /// Admin socket: policy version, last reload error, uptime, connections.
    public func status() async throws(PramagentClientError) -> Pramagent_V1_StatusReport {
        let response = try await send(Pramagent_V1_Request.with { $0.status = Pramagent_V1_Status() })
        guard case .status(let s)? = response.kind else { throw PramagentConnection.unexpected(response) }
        return s
    }

    static func unexpected(_ response: Pramagent_V1_Response) -> PramagentClientError {
        if case .error(let e)? = response.kind { return .server(code: e.code, message: e.message) }
        return .unexpectedResponse("\(response.kind.map { "\($0)" } ?? "empty")")
    }

    private let closed = Atomic<Bool>(false)

    /// Closes the connection (and its own event loop group, if it made one). Safe to call twice.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? await channel.close()
        try? await ownsGroup?.shutdownGracefully()
    }
}

/// Matches responses to waiting requests; fails everything pending when the connection ends.
final class ResponseRouter: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    private var pending: [UInt64: EventLoopPromise<Pramagent_V1_Response>] = [:]
    private var closed = false

    func register(_ id: UInt64, _ promise: EventLoopPromise<Pramagent_V1_Response>) {
        if closed { promise.fail(PramagentClientError.connectionClosed); return }
        pending[id] = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .violation(let code, let message):
            failAll(.server(code: code.rawValue, message: message))
            context.close(promise: nil)
        case .frame(var body):
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            guard let response = try? Pramagent_V1_Response(serializedBytes: bytes) else {
                failAll(.unexpectedResponse("undecodable frame"))
                context.close(promise: nil)
                return
            }
            if let promise = pending.removeValue(forKey: response.requestID) {
                promise.succeed(response)
            } else if case .error(let e)? = response.kind {
                // An error not tied to a request (request_id 0): the connection is going away.
                failAll(.server(code: e.code, message: e.message))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        failAll(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(.connectionClosed)
        context.close(promise: nil)
    }

    private func failAll(_ error: PramagentClientError) {
        let waiting = pending
        pending = [:]
        for (_, promise) in waiting { promise.fail(error) }
    }
}
