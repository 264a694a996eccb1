import JSONSchema
import PramagentCrypto
import PramagentPolicy
import Synchronization

/// The decision pipeline over the current policy snapshot. Thread-safe; the snapshot
/// can be replaced at any time and each decision finishes on the one it started with.
public final class DecisionEngine: Sendable {
    private let snapshotBox: Mutex<PolicySnapshot?>
    let sessions = SessionStore()
    private let limiter = TenantLimiter()
    let clock: any DecisionClock
    /// The audit seam (the daemon waits on it for write-class ALLOWs).
    public let audit: any AuditSink
    private let idPrefix: String
    private let counter = Atomic<UInt64>(0)

    public init(snapshot: PolicySnapshot?, clock: any DecisionClock = SystemClock(), audit: any AuditSink = DiscardingAuditSink()) {
        self.snapshotBox = Mutex(snapshot)
        self.clock = clock
        self.audit = audit
        self.idPrefix = secureRandomBytes(6).hexString
    }

    /// The snapshot now serving (nil if none could be loaded: every call is then blocked).
    public var snapshot: PolicySnapshot? { snapshotBox.withLock { $0 } }

    /// Installs a new snapshot; in-flight decisions keep the old one.
    public func install(_ snapshot: PolicySnapshot) { snapshotBox.withLock { $0 = snapshot } }

    public var decisionCount: UInt64 { counter.load(ordering: .relaxed) }
    public var sessionCount: Int { sessions.count }

    func nextDecisionID() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return "d-" + idPrefix + "-" + String(n, radix: 16)
    }

    /// Decides one tool call and hands the decision to the audit seam.
    public func decide(_ request: ToolCallRequest, caller: CallerIdentity) -> ToolCallDecision {
        let snapshot = self.snapshot
        var decision = ToolCallDecision(verdict: .allow, reasons: [], policyVersion: snapshot?.version ?? "",
                                        decisionID: nextDecisionID(), sideEffect: nil)
        let arguments = evaluate(request, caller, snapshot, &decision)
        decision.audit = audit.record(AuditEvent(decisionID: decision.decisionID, timeNanos: clock.wallNanos(), caller: caller,
                                                 request: request, arguments: arguments, verdict: decision.verdict,
                                                 reasons: decision.reasons, policyVersion: decision.policyVersion,
                                                 sideEffect: decision.sideEffect))
        if case .unavailable(let why) = decision.audit {
            // No record, no decision: fail closed until the audit trail can keep records again.
            decision.failAudit("the decision cannot be recorded: \(why)")
        }
        return decision
    }

    /// Records what the caller finally received when it differs from the recorded decision (a
    /// write-class ALLOW turned into BLOCK `audit_unavailable` by `failAudit` after a timeout):
    /// the audit trail then shows both, the second marked `answer_override`. The record waits in
    /// the spool like any other; the arguments' redacted copy is in the first record only.
    @discardableResult
    public func recordAnswerOverride(_ decision: ToolCallDecision, request: ToolCallRequest, caller: CallerIdentity) -> AuditReceipt {
        var event = AuditEvent(decisionID: decision.decisionID, timeNanos: clock.wallNanos(), caller: caller,
                               request: request, arguments: nil, verdict: decision.verdict,
                               reasons: decision.reasons, policyVersion: decision.policyVersion,
                               sideEffect: decision.sideEffect)
        event.answerOverride = true
        return audit.record(event)
    }

    func add(_ decision: inout ToolCallDecision, _ verdict: PolicyVerdict, _ reason: DecisionReason) {
        if verdict > decision.verdict { decision.verdict = verdict }
        decision.reasons.append(reason)
    }

    private func evaluate(_ request: ToolCallRequest, _ caller: CallerIdentity, _ snapshot: PolicySnapshot?,
                          _ decision: inout ToolCallDecision) -> JSONValue? {
        guard let snapshot else {
            add(&decision, .block, DecisionReason(code: .policyUnavailable, message: "no policy is loaded; every call is blocked"))
            return nil
        }
        if request.tenant.isEmpty || request.session.isEmpty || request.tool.isEmpty {
            let missing = [("tenant", request.tenant), ("session", request.session), ("tool", request.tool)].filter { $0.1.isEmpty }.map(\.0)
            add(&decision, .block, DecisionReason(code: .invalidRequest, message: "missing \(missing.joined(separator: ", "))"))
            return nil
        }
        // 1. Caller identity from peer credentials.
        guard snapshot.callers.mayActFor(uid: caller.uid, gid: caller.gid, tenant: request.tenant) else {
            let who = snapshot.callers.isKnown(uid: caller.uid, gid: caller.gid)
                ? "caller uid \(caller.uid) may not act for tenant \"\(request.tenant)\""
                : "caller uid \(caller.uid) gid \(caller.gid) is not mapped to any tenant"
            add(&decision, .block, DecisionReason(code: .callerNotAllowed, message: who))
            return nil
        }
        // 2. Tool lookup.
        guard let tool = snapshot.tools[request.tool] else {
            add(&decision, snapshot.defaults.unknownTool,
                DecisionReason(code: .unknownTool, message: "tool \"\(request.tool)\" is not in the policy (default: \(snapshot.defaults.unknownTool.rawValue))"))
            return nil
        }
        decision.sideEffect = tool.sideEffect
        // 3. Tenant and operation allow-lists.
        if let tenants = tool.tenants, !tenants.contains(request.tenant) {
            add(&decision, .block, DecisionReason(code: .tenantNotAllowed, message: "tenant \"\(request.tenant)\" may not use tool \"\(tool.name)\""))
        }
        if let operations = tool.operations, !operations.contains(request.operation) {
            let message = request.operation.isEmpty
                ? "tool \"\(tool.name)\" requires an operation, one of: \(operations.sorted().joined(separator: ", "))"
                : "operation \"\(request.operation)\" is not allowed for tool \"\(tool.name)\""
            add(&decision, .block, DecisionReason(code: .operationNotAllowed, message: message))
        }
        // 4. Arguments: parsed under limits, validated against the tool's schema.
        let arguments = checkArguments(request, tool, snapshot, &decision)
        if decision.verdict == .block { return arguments }
        // 4b. String arguments scanned for injection, and for secrets/PII leaving through tools that send data out.
        if let scanning = snapshot.scanning, let arguments {
            scanArguments(arguments, tool, scanning, &decision)
            if decision.verdict == .block { return arguments }
        }
        // 5. Tenant rate limits and quotas.
        let now = clock.monotonicSeconds()
        if let tenant = snapshot.tenants[request.tenant] {
            switch limiter.admit(tenant, now: now) {
            case .ok: break
            case .rateLimited:
                add(&decision, .block, DecisionReason(code: .rateLimited,
                                                      message: "tenant \"\(request.tenant)\" is over its rate of \(tenant.ratePerSecond ?? 0)/s"))
                return arguments
            case .quotaExceeded(let calls, let window):
                add(&decision, .block, DecisionReason(code: .quotaExceeded,
                                                      message: "tenant \"\(request.tenant)\" used its quota of \(calls) calls per \(Int(window)) s"))
                return arguments
            }
        }
        // 5-7. Session limits, dangerous chains and the tool's own action, atomically per session.
        let defaults = snapshot.defaults
        let admitted: Bool? = sessions.withSession(tenant: request.tenant, session: request.session, now: now,
                                                   idleSeconds: defaults.sessionIdleSeconds, maxSessions: defaults.maxSessions) { state in
            if let limit = tool.maxCallsPerSession, state.callsPerTool[tool.id, default: 0] >= limit {
                add(&decision, .block, DecisionReason(code: .sessionLimit,
                                                      message: "tool \"\(tool.name)\" may be called at most \(limit) times per session"))
                return true
            }
            for chain in snapshot.chains where ChainMatcher.completes(chain, history: state.history, toolID: tool.id,
                                                                       sideEffect: tool.sideEffect, now: now) {
                var reason = DecisionReason(code: .dangerousChain,
                                            message: "this call completes the dangerous chain \"\(chain.name)\" (\(chain.steps.map(\.description).joined(separator: " -> ")))")
                reason.chain = chain.name
                add(&decision, chain.verdict, reason)
            }
            applyToolAction(tool, &decision)
            if decision.verdict != .block {
                if tool.maxCallsPerSession != nil { state.callsPerTool[tool.id, default: 0] += 1 }
                state.history.append(SessionCall(toolID: tool.id, sideEffect: tool.sideEffect, time: now), capacity: defaults.sessionHistory)
            }
            return true
        }
        if admitted == nil {
            add(&decision, .block, DecisionReason(code: .sessionCapacity,
                                                  message: "the daemon tracks its maximum of \(defaults.maxSessions) live sessions; new sessions are refused until some go idle"))
        }
        return arguments
    }

    private func applyToolAction(_ tool: ToolPolicy, _ decision: inout ToolCallDecision) {
        switch tool.action {
        case .allow: break
        case .escalate:
            add(&decision, .escalate, DecisionReason(code: .approvalRequired, message: "tool \"\(tool.name)\" requires human approval"))
        case .block:
            add(&decision, .block, DecisionReason(code: .toolBlocked, message: "tool \"\(tool.name)\" is blocked by policy"))
        }
    }

    private func checkArguments(_ request: ToolCallRequest, _ tool: ToolPolicy, _ snapshot: PolicySnapshot,
                                _ decision: inout ToolCallDecision) -> JSONValue? {
        let arguments: JSONValue
        do {
            let text = request.argumentsJSON.isEmpty ? "{}" : request.argumentsJSON
            arguments = try JSONParser(limits: snapshot.defaults.argumentLimits).parse(text)
        } catch {
            var reason = DecisionReason(code: .invalidArguments, message: "arguments_json: \(error.message) (\(error.code.rawValue))")
            reason.instancePath = error.path
            add(&decision, .block, reason)
            return nil
        }
        guard case .object = arguments else {
            add(&decision, .block, DecisionReason(code: .invalidArguments, message: "arguments_json must be a JSON object, got \(arguments.typeName)"))
            return nil
        }
        guard let schema = tool.schema else { return arguments }
        let result = schema.validate(arguments, mode: .firstError)
        if let error = result.errors.first {
            var reason = DecisionReason(code: .schemaViolation,
                                        message: "\(error.instanceLocation.isEmpty ? "arguments" : error.instanceLocation): \(error.message)")
            reason.instancePath = error.instanceLocation
            reason.keyword = error.keyword
            reason.keywordLocation = error.keywordLocation
            add(&decision, .block, reason)
        }
        return arguments
    }
}

/// Does a call complete a chain? The call must match the chain's last step, and the
/// earlier steps must appear in order in the session's history (not necessarily adjacent).
enum ChainMatcher {
    static func completes(_ chain: ChainPolicy, history: CallHistory, toolID: Int32, sideEffect: SideEffect, now: Double) -> Bool {
        guard let last = chain.steps.last, last.matches(toolID: toolID, sideEffect: sideEffect) else { return false }
        var k = 0
        for stepIndex in stride(from: chain.steps.count - 2, through: 0, by: -1) {
            var found = false
            while k < history.count {
                let call = history.recent(k)
                k += 1
                if let within = chain.withinSeconds, now - call.time > within { return false }
                if chain.steps[stepIndex].matches(toolID: call.toolID, sideEffect: call.sideEffect) { found = true; break }
            }
            if !found { return false }
        }
        return true
    }
}
