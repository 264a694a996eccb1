import Dispatch
import Logging
import NIOCore
import PramagentDecision
import PramagentPolicy
import PramagentWire

/// Which socket a connection came in on; it decides which requests are served.
public enum SocketRole: String, Sendable {
    case decision
    case admin
}

/// Shared by every connection of a running daemon.
final class DaemonContext: Sendable {
    let engine: DecisionEngine
    let policies: PolicyService
    let decisionConnections = ConnectionRegistry()
    let adminConnections = ConnectionRegistry()
    let startedAt: Double
    let logger: Logger
    /// How long a write-class ALLOW waits for its audit record to become durable.
    let auditTimeout: Double

    init(engine: DecisionEngine, policies: PolicyService, logger: Logger, auditTimeout: Double) {
        self.engine = engine
        self.policies = policies
        self.startedAt = SystemClock().monotonicSeconds()
        self.logger = logger
        self.auditTimeout = auditTimeout
    }
}

/// Answers framed requests on one connection, in request order. Responses produced while
/// reading a burst of pipelined requests are flushed together at the end of the burst; an
/// answer that must wait (a write-class ALLOW waiting for its durable audit record, a reload)
/// holds back the answers behind it.
final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    /// An answer in request order; `response` is nil while it is being worked out.
    private final class Slot {
        var response: Pramagent_V1_Response?
    }

    private let role: SocketRole
    private let context: DaemonContext
    private var caller: CallerIdentity?
    private var needsFlush = false
    private var closing = false
    private var waiting: [Slot] = []

    init(role: SocketRole, context: DaemonContext, caller: CallerIdentity?) {
        self.role = role
        self.context = context
        self.caller = caller
    }

    func channelRead(context ctx: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .violation(let code, let message):
            fail(ctx, code, message, requestID: 0)
        case .frame(var body):
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            let request: Pramagent_V1_Request
            do {
                request = try Pramagent_V1_Request(serializedBytes: bytes)
            } catch {
                fail(ctx, .frameUndecodable, "frame is not a pramagent.v1.Request: \(error)", requestID: 0)
                return
            }
            if let response = answer(request, ctx) { emit(response, ctx) }
        }
    }

    func channelReadComplete(context ctx: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            ctx.flush()
        }
        ctx.fireChannelReadComplete()
    }

    func errorCaught(context ctx: ChannelHandlerContext, error: any Error) {
        context.logger.debug("connection error", metadata: ["error": "\(error)", "socket": "\(role.rawValue)"])
        ctx.close(promise: nil)
    }

    /// Sends now, or queues behind answers still being worked out.
    private func emit(_ response: Pramagent_V1_Response, _ ctx: ChannelHandlerContext) {
        if waiting.isEmpty { send(response, ctx) } else {
            let slot = Slot()
            slot.response = response
            waiting.append(slot)
        }
    }

    /// Sends the answers at the head of the queue that are ready.
    private func sendReady(_ ctx: ChannelHandlerContext) {
        while let first = waiting.first, let response = first.response {
            waiting.removeFirst()
            send(response, ctx)
        }
        if needsFlush {
            needsFlush = false
            ctx.flush()
        }
    }

    private func send(_ response: Pramagent_V1_Response, _ ctx: ChannelHandlerContext) {
        var buffer = ctx.channel.allocator.buffer(capacity: 256)
        do {
            try Framing.write(response, to: &buffer)
        } catch {
            context.logger.error("cannot encode response", metadata: ["error": "\(error)"])
            ctx.close(promise: nil)
            return
        }
        ctx.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
    }

    /// Sends an error; framing errors then close the connection once the error is written.
    private func fail(_ ctx: ChannelHandlerContext, _ code: WireErrorCode, _ message: String, requestID: UInt64) {
        context.logger.info("request rejected", metadata: ["code": "\(code.rawValue)", "socket": "\(role.rawValue)",
                                                          "pid": "\(caller?.pid ?? -1)", "uid": "\(caller?.uid ?? UInt32.max)"])
        let response = Pramagent_V1_Response.error(code, message, requestID: requestID)
        guard code.closesConnection else {
            emit(response, ctx)
            return
        }
        closing = true
        needsFlush = false
        var buffer = ctx.channel.allocator.buffer(capacity: 128)
        try? Framing.write(response, to: &buffer)
        let channel = ctx.channel
        ctx.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func answer(_ request: Pramagent_V1_Request, _ ctx: ChannelHandlerContext) -> Pramagent_V1_Response? {
        var response = Pramagent_V1_Response()
        response.requestID = request.requestID
        switch request.kind {
        case .checkToolCall(let call):
            guard role == .decision else {
                fail(ctx, .requestNotPermitted, "CheckToolCall is served on the decision socket", requestID: request.requestID)
                return nil
            }
            // Without peer credentials nobody can be mapped: the engine blocks (caller_not_allowed).
            let identity = caller ?? CallerIdentity(uid: UInt32.max, gid: UInt32.max, pid: -1)
            let toolCall = ToolCallRequest(call)
            let decision = context.engine.decide(toolCall, caller: identity)
            if decision.needsDurableRecord && decision.audit != .notRecorded {
                awaitDurableRecord(decision, call: toolCall, caller: identity, requestID: request.requestID, ctx)
                return nil
            }
            response.decision = Pramagent_V1_Decision(decision)
        case .scanText(let scan):
            guard role == .decision else {
                fail(ctx, .requestNotPermitted, "ScanText is served on the decision socket", requestID: request.requestID)
                return nil
            }
            guard let direction = ScanDirection(scan.direction) else {
                fail(ctx, .requestInvalid, "ScanText needs a direction (input, output or tool_result)", requestID: request.requestID)
                return nil
            }
            let identity = caller ?? CallerIdentity(uid: UInt32.max, gid: UInt32.max, pid: -1)
            response.scanResult = Pramagent_V1_ScanResult(context.engine.scanText(scan.text, direction: direction, redact: scan.redact,
                                                                                 caller: identity, tenant: scan.tenant, session: scan.session))
        case .reportToolResult(let result):
            guard role == .decision else {
                fail(ctx, .requestNotPermitted, "ReportToolResult is served on the decision socket", requestID: request.requestID)
                return nil
            }
            let identity = caller ?? CallerIdentity(uid: UInt32.max, gid: UInt32.max, pid: -1)
            response.scanResult = Pramagent_V1_ScanResult(context.engine.reportToolResult(
                tenant: result.tenant, session: result.session, tool: result.tool, text: result.text, redact: result.redact,
                caller: identity))
        case .health:
            let version = context.engine.snapshot?.version ?? ""
            response.health = Pramagent_V1_HealthStatus.with { $0.serving = !version.isEmpty; $0.policyVersion = version }
        case .status:
            guard role == .admin else {
                fail(ctx, .requestNotPermitted, "Status is served on the admin socket", requestID: request.requestID)
                return nil
            }
            response.status = statusReport()
        case .reload:
            guard role == .admin else {
                fail(ctx, .requestNotPermitted, "Reload is served on the admin socket", requestID: request.requestID)
                return nil
            }
            reloadInBackground(request.requestID, ctx)
            return nil
        case nil:
            fail(ctx, .requestEmpty, "request has no kind set (or one this daemon does not know)", requestID: request.requestID)
            return nil
        }
        return response
    }

    private func statusReport() -> Pramagent_V1_StatusReport {
        let report = context.policies.report
        var s = Pramagent_V1_StatusReport()
        s.policyVersion = context.engine.snapshot?.version ?? ""
        s.lastReloadError = report.lastError
        s.uptimeSeconds = UInt64(max(0, SystemClock().monotonicSeconds() - context.startedAt))
        s.openConnections = UInt32(context.decisionConnections.count + context.adminConnections.count)
        s.decisionsTotal = context.engine.decisionCount
        s.tools = UInt32(context.engine.snapshot?.tools.count ?? 0)
        s.sessions = UInt32(context.engine.sessionCount)
        s.policyLoadedAt = report.loadedAt
        s.reloadsOk = report.reloadsOK
        s.reloadsFailed = report.reloadsFailed
        return s
    }

    /// No side effect without a durable trace: a write-class ALLOW is answered once its record
    /// is durable, or turned into BLOCK `audit_unavailable` when that does not happen in time.
    private func awaitDurableRecord(_ decision: ToolCallDecision, call: ToolCallRequest, caller: CallerIdentity,
                                    requestID: UInt64, _ ctx: ChannelHandlerContext) {
        let slot = Slot()
        waiting.append(slot)
        let loopBound = NIOLoopBound((self, ctx, slot), eventLoop: ctx.eventLoop)
        let eventLoop = ctx.eventLoop
        let timeout = context.auditTimeout
        context.engine.audit.waitDurable(decision.audit, timeout: timeout) { durable in
            eventLoop.execute {
                let (handler, ctx, slot) = loopBound.value
                var final = decision
                if !durable {
                    final.failAudit("the audit record was not durable within \(Int(timeout * 1000)) ms; the call must not proceed")
                    // The trail holds ALLOW for this decision: record that the caller got BLOCK.
                    handler.context.engine.recordAnswerOverride(final, request: call, caller: caller)
                }
                var response = Pramagent_V1_Response()
                response.requestID = requestID
                response.decision = Pramagent_V1_Decision(final)
                slot.response = response
                handler.sendReady(ctx)
            }
        }
    }

    /// Compiling a bundle can take tens of milliseconds: do it off the event loop.
    private func reloadInBackground(_ requestID: UInt64, _ ctx: ChannelHandlerContext) {
        let policies = context.policies
        let slot = Slot()
        waiting.append(slot)
        let loopBound = NIOLoopBound((self, ctx, slot), eventLoop: ctx.eventLoop)
        let eventLoop = ctx.eventLoop
        DispatchQueue.global().async {
            let outcome = policies.reload(reason: "admin socket")
            eventLoop.execute {
                let (handler, ctx, slot) = loopBound.value
                var response = Pramagent_V1_Response()
                response.requestID = requestID
                response.reload = Pramagent_V1_ReloadResult.with {
                    $0.ok = outcome.ok
                    $0.policyVersion = outcome.version
                    $0.error = outcome.error
                    $0.tools = UInt32(outcome.tools)
                    $0.durationUs = outcome.durationMicros
                }
                slot.response = response
                handler.sendReady(ctx)
            }
        }
    }
}
