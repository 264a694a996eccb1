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
        // Someone waits for write-class ALLOWs to be durable: send those at once (and answer
        // overrides, which exist because the writer was slow or away).
        let urgent = event.answerOverride || (event.verdict == .allow && (event.sideEffect.map { $0 >= .write } ?? false))
        guard let seq = delivery.enqueue(SpoolingAuditSink.encode(event), urgent: urgent) else { return full() }
        return .spooled(seq)
    }

    /// The `AuditRecord { decision: DecisionRecord }` bytes of a decision, written field by field
    /// (this runs on every decision: no message object, no second parse of the arguments).
    static func encode(_ event: AuditEvent) -> [UInt8] {
        var d = ProtoWireWriter(capacity: 320)
        d.string(1, event.decisionID)
        d.unsigned(2, event.timeNanos)
        d.unsigned(3, UInt64(event.caller.uid))
        d.unsigned(4, UInt64(event.caller.gid))
        d.int32(5, event.caller.pid)
        d.string(6, event.request.tenant)
        d.string(7, event.request.session)
        d.string(8, event.request.tool)
        d.string(9, event.request.operation)
        d.bytes(10, SHA256.hash(event.request.argumentsJSON))
        if let arguments = event.arguments { d.bytes(11, ArgumentRedaction.redactedJSON(arguments, limit: redactedLimit)) }
        d.unsigned(12, UInt64(event.verdict.wire.rawValue))
        for reason in event.reasons { d.repeatedElement(13, reason.code.rawValue) }
        d.string(14, event.policyVersion)
        d.string(15, event.sideEffect?.rawValue ?? "")
        d.unsigned(18, event.answerOverride ? 1 : 0)
        var record = ProtoWireWriter(capacity: d.bytes.count + 4)
        record.message(1, d)
        return record.bytes
    }

    private func full() -> AuditReceipt {
        .unavailable("the audit spool is full or failing (\(delivery.pendingCount) records wait for the audit writer)")
    }

    public func recordScan(_ event: ScanAuditEvent) -> AuditReceipt {
        guard let seq = delivery.enqueue(SpoolingAuditSink.encode(event), urgent: false) else { return full() }
        return .spooled(seq)
    }

    /// The `AuditRecord { scan: ScanRecord }` bytes of a scan, written field by field like a
    /// decision's (every ScanText and ReportToolResult pays for this; the text is hashed in place).
    static func encode(_ event: ScanAuditEvent) -> [UInt8] {
        var d = ProtoWireWriter(capacity: 192 + 24 * event.ruleIDs.count)
        d.string(1, event.scanID)
        d.unsigned(2, event.timeNanos)
        d.unsigned(3, UInt64(event.caller.uid))
        d.unsigned(4, UInt64(event.caller.gid))
        d.int32(5, event.caller.pid)
        d.string(6, event.tenant)
        d.string(7, event.session)
        d.string(8, event.tool)
        d.string(9, event.direction)
        d.bytes(10, SHA256.hash(event.text))
        d.unsigned(11, UInt64(event.textBytes))
        d.unsigned(12, UInt64(event.verdict.wire.rawValue))
        for code in event.reasonCodes { d.repeatedElement(13, code) }
        for id in event.ruleIDs { d.repeatedElement(14, id) }
        d.string(15, event.policyVersion)
        d.unsigned(16, event.sessionTainted ? 1 : 0)
        d.unsigned(17, event.redacted ? 1 : 0)
        var record = ProtoWireWriter(capacity: d.bytes.count + 4)
        record.message(3, d)
        return record.bytes
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
}
