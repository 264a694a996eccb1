import JSONSchema
import PramagentPolicy

/// Who is asking, from the socket's peer credentials (never from the request).
public struct CallerIdentity: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    public init(uid: UInt32, gid: UInt32, pid: Int32) { self.uid = uid; self.gid = gid; self.pid = pid }
}

/// A tool call to decide on.
public struct ToolCallRequest: Sendable {
    public var tenant: String
    public var session: String
    public var tool: String
    /// UTF-8 JSON text of the arguments object.
    public var argumentsJSON: String
    /// Optional operation within the tool.
    public var operation: String

    public init(tenant: String, session: String, tool: String, argumentsJSON: String, operation: String = "") {
        self.tenant = tenant
        self.session = session
        self.tool = tool
        self.argumentsJSON = argumentsJSON
        self.operation = operation
    }
}

/// Stable reason codes (see docs/protocol.md).
public enum ReasonCode: String, Sendable, CaseIterable {
    case invalidRequest = "invalid_request"
    case policyUnavailable = "policy_unavailable"
    case callerNotAllowed = "caller_not_allowed"
    case unknownTool = "unknown_tool"
    case tenantNotAllowed = "tenant_not_allowed"
    case operationNotAllowed = "operation_not_allowed"
    case invalidArguments = "invalid_arguments"
    case schemaViolation = "schema_violation"
    case rateLimited = "rate_limited"
    case quotaExceeded = "quota_exceeded"
    case sessionLimit = "session_limit"
    case sessionCapacity = "session_capacity"
    case dangerousChain = "dangerous_chain"
    case approvalRequired = "approval_required"
    case toolBlocked = "tool_blocked"
    case auditUnavailable = "audit_unavailable"
    case argumentInjection = "argument_injection"
    case dataLeak = "data_leak"
    case unsafeText = "unsafe_text"
    case scanningDisabled = "scanning_disabled"
    case textTooLarge = "text_too_large"
    case scanTruncated = "scan_truncated"
}

/// Why a step fired.
public struct DecisionReason: Sendable, Hashable {
    public var code: ReasonCode
    public var message: String
    /// schema_violation: JSON Pointer into the arguments.
    public var instancePath: String = ""
    /// schema_violation: the failing keyword.
    public var keyword: String = ""
    /// schema_violation: JSON Pointer of the keyword in the schema.
    public var keywordLocation: String = ""
    /// dangerous_chain: the chain's name.
    public var chain: String = ""
    /// argument_injection / data_leak / unsafe_text: the rule that fired.
    public var ruleID: String = ""

    public init(code: ReasonCode, message: String) { self.code = code; self.message = message }
}

/// The engine's answer.
public struct ToolCallDecision: Sendable {
    public var verdict: PolicyVerdict
    public var reasons: [DecisionReason]
    public var policyVersion: String
    public var decisionID: String
    public var sideEffect: SideEffect?
    /// What the audit seam did with this decision's record.
    public var audit: AuditReceipt = .notRecorded

    /// True when the call may change the world (write and above) and is allowed: such an ALLOW
    /// may only be returned once its audit record is durable.
    public var needsDurableRecord: Bool {
        verdict == .allow && (sideEffect.map { $0 >= .write } ?? false)
    }

    /// Turns the decision into BLOCK `audit_unavailable` (fail closed).
    public mutating func failAudit(_ message: String) {
        verdict = .block
        reasons.append(DecisionReason(code: .auditUnavailable, message: message))
    }
}

/// What happened to a decision's audit record.
public enum AuditReceipt: Sendable, Equatable {
    /// No audit writer is configured.
    case notRecorded
    /// Stored in the local spool under this producer sequence number.
    case spooled(UInt64)
    /// The record could not be kept (spool full or failing): the decision must fail closed.
    case unavailable(String)
}

/// Everything an audit record needs about one decision. The audit writer turns it into a record.
public struct AuditEvent: Sendable {
    public var decisionID: String
    /// Wall-clock time of the decision, nanoseconds since the Unix epoch.
    public var timeNanos: UInt64
    public var caller: CallerIdentity
    public var request: ToolCallRequest
    /// The arguments as the pipeline parsed them (nil when they were not reached or not JSON).
    public var arguments: JSONValue?
    public var verdict: PolicyVerdict
    public var reasons: [DecisionReason]
    public var policyVersion: String
    public var sideEffect: SideEffect?
    /// True on the second record of a decision whose answer changed after it was recorded (a
    /// write-class ALLOW answered BLOCK because its first record was not durable in time).
    public var answerOverride = false
}

/// A daemon event the audit trail records besides decisions.
public struct LifecycleEvent: Sendable {
    public enum Kind: Sendable { case daemonStart, daemonStop, policyReload }
    public var kind: Kind
    public var oldPolicyVersion: String
    public var newPolicyVersion: String
    public var detail: String
    public init(kind: Kind, oldPolicyVersion: String = "", newPolicyVersion: String = "", detail: String = "") {
        self.kind = kind
        self.oldPolicyVersion = oldPolicyVersion
        self.newPolicyVersion = newPolicyVersion
        self.detail = detail
    }
}

/// The one seam every decision passes through. `record` must not block the decision path.
/// A ScanText / ReportToolResult answer for the audit trail (the text is represented by its digest).
public struct ScanAuditEvent: Sendable {
    public var scanID: String
    public var timeNanos: UInt64
    public var caller: CallerIdentity
    public var tenant: String
    public var session: String
    public var tool: String
    public var direction: String
    /// The scanned text; a sink keeps its digest and size, never the text (hashing is the
    /// sink's work, so a daemon without an audit writer does not pay for it).
    public var text: String
    public var textBytes: Int { text.utf8.count }
    public var verdict: PolicyVerdict
    public var reasonCodes: [String]
    public var ruleIDs: [String]
    public var policyVersion: String
    public var sessionTainted: Bool
    public var redacted: Bool
}

public protocol AuditSink: Sendable {
    func record(_ event: AuditEvent) -> AuditReceipt
    /// Records a scan; `.unavailable` makes the scan's verdict BLOCK (fail closed).
    func recordScan(_ event: ScanAuditEvent) -> AuditReceipt
    /// Calls `done(true)` once the record behind `receipt` is durable, `done(false)` after `timeout` seconds.
    func waitDurable(_ receipt: AuditReceipt, timeout: Double, _ done: @escaping @Sendable (Bool) -> Void)
    func recordLifecycle(_ event: LifecycleEvent)
}

extension AuditSink {
    public func recordScan(_ event: ScanAuditEvent) -> AuditReceipt { .notRecorded }
}

/// Discards events (used when no audit writer is configured; the daemon logs that it runs unaudited).
public struct DiscardingAuditSink: AuditSink {
    public init() {}
    public func record(_ event: AuditEvent) -> AuditReceipt { .notRecorded }
    public func waitDurable(_ receipt: AuditReceipt, timeout: Double, _ done: @escaping @Sendable (Bool) -> Void) { done(true) }
    public func recordLifecycle(_ event: LifecycleEvent) {}
}
