import Foundation
import JSONSchema
import PramagentAudit
import PramagentCrypto
import PramagentDecision
import PramagentPolicy
import PramagentWire

/// The audit seam when an audit writer is configured: every decision becomes a
/// `DecisionRecord` in the local spool, which `AuditDelivery` sends to pramagent-auditd.
public final class SpoolingAuditSink: AuditSink {
    public let delivery: AuditDelivery
    /// Largest redacted copy of the arguments kept in a record.
    public static let redactedLimit = 1_024

    public init(delivery: AuditDelivery) { self.delivery = delivery }

    public func record(_ event: AuditEvent) -> AuditReceipt {
        var record = Pramagent_V1_AuditRecord()
        record.decision = Pramagent_V1_DecisionRecord.with {
            $0.decisionID = event.decisionID
            $0.timeUnixNanos = event.timeNanos
            $0.callerUid = event.caller.uid
            $0.callerGid = event.caller.gid
            $0.callerPid = event.caller.pid
            $0.tenant = event.request.tenant
            $0.session = event.request.session
            $0.tool = event.request.tool
            $0.operation = event.request.operation
            $0.argumentsSha256 = Data(SHA256.hash(event.request.argumentsJSON))
            $0.argumentsRedacted = event.arguments.map(SpoolingAuditSink.redact) ?? ""
            $0.verdict = event.verdict.wire
            $0.reasonCodes = event.reasons.map(\.code.rawValue)
            $0.policyVersion = event.policyVersion
            $0.sideEffect = event.sideEffect?.rawValue ?? ""
        }
        // Someone waits for write-class ALLOWs to be durable: send those at once.
        return spool(record, urgent: event.verdict == .allow && (event.sideEffect.map { $0 >= .write } ?? false))
    }

    private func spool(_ record: Pramagent_V1_AuditRecord, urgent: Bool) -> AuditReceipt {
        guard let bytes: [UInt8] = try? record.serializedBytes() else { return .unavailable("record cannot be encoded") }
        guard let seq = delivery.enqueue(bytes, urgent: urgent) else {
            return .unavailable("the audit spool is full or failing (\(delivery.pendingCount) records wait for the audit writer)")
        }
        return .spooled(seq)
    }

    public func recordScan(_ event: ScanAuditEvent) -> AuditReceipt {
        var record = Pramagent_V1_AuditRecord()
        record.scan = Pramagent_V1_ScanRecord.with {
            $0.scanID = event.scanID
            $0.timeUnixNanos = event.timeNanos
            $0.callerUid = event.caller.uid
            $0.callerGid = event.caller.gid
            $0.callerPid = event.caller.pid
            $0.tenant = event.tenant
            $0.session = event.session
            $0.tool = event.tool
            $0.direction = event.direction
            $0.textSha256 = Data(SHA256.hash(Array(event.text.utf8)))
            $0.textBytes = UInt64(event.textBytes)
            $0.verdict = event.verdict.wire
            $0.reasonCodes = event.reasonCodes
            $0.ruleIds = event.ruleIDs
            $0.policyVersion = event.policyVersion
            $0.sessionTainted = event.sessionTainted
            $0.redacted = event.redacted
        }
        return spool(record, urgent: false)
    }

    public func waitDurable(_ receipt: AuditReceipt, timeout: Double, _ done: @escaping @Sendable (Bool) -> Void) {
        guard case .spooled(let seq) = receipt else { done(receipt == .notRecorded); return }
        delivery.waitDurable(seq, timeout: timeout, done)
    }

    public func recordLifecycle(_ event: LifecycleEvent) {
        var record = Pramagent_V1_AuditRecord()
        record.lifecycle = Pramagent_V1_LifecycleRecord.with {
            switch event.kind {
            case .daemonStart: $0.event = .daemonStart
            case .daemonStop: $0.event = .daemonStop
            case .policyReload: $0.event = .policyReload
            }
            $0.timeUnixNanos = SystemClock().wallNanos()
            $0.oldPolicyVersion = event.oldPolicyVersion
            $0.newPolicyVersion = event.newPolicyVersion
            $0.detail = event.detail
        }
        if let bytes: [UInt8] = try? record.serializedBytes() { _ = delivery.enqueue(bytes) }
    }

    /// The arguments with every string replaced by its length (numbers, booleans and keys kept),
    /// capped at `redactedLimit` bytes. Uses the pipeline's parse: no second parse on the hot path.
    static func redact(_ value: JSONValue) -> String {
        func strip(_ v: JSONValue) -> JSONValue {
            switch v {
            case .string(let s): return .string("[\(s.unicodeScalars.count) chars]")
            case .array(let a): return .array(a.map(strip))
            case .object(let o): return .object(JSONObject(keys: o.keys, values: o.values.map(strip)))
            default: return v
            }
        }
        let text = strip(value).jsonText
        return text.utf8.count <= redactedLimit ? text : String(decoding: text.utf8.prefix(redactedLimit), as: UTF8.self) + "…"
    }
}
