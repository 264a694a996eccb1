import Foundation
import JSONSchema
import PramagentCrypto
@testable import PramagentDaemon
@testable import PramagentDecision
import PramagentPolicy
import PramagentWire
import Testing

@Suite("Audit record encoding on the decision path")
struct AuditRecordEncodingTests {
    static func event(arguments json: String?, pid: Int32 = 4242, verdict: PolicyVerdict = .allow,
                      reasons: [ReasonCode] = [], sideEffect: SideEffect? = .write, operation: String = "") -> AuditEvent {
        AuditEvent(decisionID: "d-\(pid)", timeNanos: 1_764_000_000_123_456_789,
                   caller: CallerIdentity(uid: 1000, gid: 0, pid: pid),
                   request: ToolCallRequest(tenant: "demo", session: "sé", tool: "write_note", argumentsJSON: json ?? "{", operation: operation),
                   arguments: json.flatMap { try? JSONParser().parse($0) },
                   verdict: verdict, reasons: reasons.map { DecisionReason(code: $0, message: "m") },
                   policyVersion: "sha256:abc", sideEffect: sideEffect)
    }

    /// What the generated message makes of the same event: the reference the hand encoding must equal.
    static func reference(_ event: AuditEvent, redacted: String) throws -> [UInt8] {
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
            $0.argumentsRedacted = redacted
            $0.verdict = event.verdict.wire
            $0.reasonCodes = event.reasons.map(\.code.rawValue)
            $0.policyVersion = event.policyVersion
            $0.sideEffect = event.sideEffect?.rawValue ?? ""
            $0.answerOverride = event.answerOverride
        }
        return try record.serializedBytes()
    }

    @Test("hand-written record bytes equal the generated message's bytes", arguments: [
        event(arguments: #"{"text":"hello"}"#),
        event(arguments: nil, pid: -7, verdict: .block, reasons: [.schemaViolation, .invalidArguments], sideEffect: nil),
        event(arguments: #"{"a":[1,2.5,-3e-9,true,null,{"b":"ü😀"}]}"#, pid: 0, verdict: .escalate, reasons: [.dangerousChain], operation: "op"),
        event(arguments: "[]", verdict: .block, reasons: [.auditUnavailable], sideEffect: .read),
        { var e = event(arguments: nil, verdict: .block, reasons: [.auditUnavailable]); e.answerOverride = true; return e }(),
    ])
    func sameBytesAsGenerated(_ event: AuditEvent) throws {
        let redacted = event.arguments.map { String(decoding: ArgumentRedaction.redactedJSON($0, limit: SpoolingAuditSink.redactedLimit), as: UTF8.self) } ?? ""
        let encoded = SpoolingAuditSink.encode(event)
        #expect(encoded == (try Self.reference(event, redacted: redacted)))
        let decoded = try Pramagent_V1_AuditRecord(serializedBytes: encoded)
        #expect(decoded.decision.callerPid == event.caller.pid)
        #expect(decoded.decision.reasonCodes == event.reasons.map(\.code.rawValue))
    }

    static func scan(_ text: String, pid: Int32 = 77, verdict: PolicyVerdict = .allow, reasons: [String] = [], rules: [String] = [],
                     tool: String = "", tainted: Bool = false, redacted: Bool = false) -> ScanAuditEvent {
        ScanAuditEvent(scanID: "s-\(pid)", timeNanos: 1_764_000_000_987_654_321, caller: CallerIdentity(uid: 0, gid: 1000, pid: pid),
                       tenant: "demo", session: tool.isEmpty ? "" : "sé", tool: tool, direction: tool.isEmpty ? "input" : "tool_result",
                       text: text, verdict: verdict, reasonCodes: reasons, ruleIDs: rules, policyVersion: "sha256:abc",
                       sessionTainted: tainted, redacted: redacted)
    }

    /// The generated message of a scan record: the reference for the hand encoding.
    static func reference(_ event: ScanAuditEvent) throws -> [UInt8] {
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
        return try record.serializedBytes()
    }

    @Test("hand-written scan record bytes equal the generated message's bytes", arguments: [
        scan("hello"),
        scan("", pid: -3, verdict: .block, reasons: ["unsafe_text", "audit_unavailable"], rules: ["pi.ignore_previous", "", "pii.email"]),
        scan("ü😀 " + String(repeating: "x", count: 5_000), pid: 0, verdict: .escalate, reasons: ["unsafe_text"], rules: ["ii.hidden"],
             tool: "fetch_url", tainted: true, redacted: true),
    ])
    func scanRecordSameBytesAsGenerated(_ event: ScanAuditEvent) throws {
        let encoded = SpoolingAuditSink.encode(event)
        #expect(encoded == (try Self.reference(event)))
        let decoded = try Pramagent_V1_AuditRecord(serializedBytes: encoded)
        #expect(decoded.scan.ruleIds == event.ruleIDs && decoded.scan.textBytes == UInt64(event.text.utf8.count))
    }

    static func redact(_ json: String, limit: Int = 1_024) throws -> String {
        String(decoding: ArgumentRedaction.redactedJSON(try JSONParser().parse(json), limit: limit), as: UTF8.self)
    }

    @Test("strings become their length in scalars; keys, numbers, booleans, nulls and order stay")
    func redactionShape() throws {
        #expect(try Self.redact(#"{"z":"secret","a":{"k\"ey\n":["ü😀",12,-0.5,false,null]}}"#)
                == #"{"z":"[6 chars]","a":{"k\"ey\n":["[2 chars]",12,-0.5,false,null]}}"#)
        #expect(try Self.redact(#""top""#) == #""[3 chars]""#)
        let hundred = String(repeating: "x", count: 100)
        #expect(try Self.redact("{\"e\":\"\",\"t\":\"twelve chars\",\"h\":\"\(hundred)\"}")
                == #"{"e":"[0 chars]","t":"[12 chars]","h":"[100 chars]"}"#)
    }

    @Test("output beyond the cap is cut at a UTF-8 boundary and marked; the walk stops early")
    func redactionCap() throws {
        let long = try Self.redact("[" + Array(repeating: "1", count: 10_000).joined(separator: ",") + "]", limit: 100)
        #expect(long.utf8.count == 100 + "…".utf8.count)
        #expect(long.hasSuffix("…") && long.hasPrefix("[1,1,"))
        // A key of two-byte letters straddling the cap: no replacement character, no split letter.
        let key = String(repeating: "é", count: 80)
        let cut = try Self.redact("{\"\(key)\":1}", limit: 50)
        #expect(!cut.contains("\u{FFFD}"))
        #expect(cut.utf8.count <= 50 + "…".utf8.count)
        #expect(cut.hasPrefix("{\"éé") && cut.hasSuffix("é…"))
        #expect(try Self.redact(#"{"a":"b"}"#, limit: 17) == #"{"a":"[1 chars]"}"#) // exactly at the cap: kept whole
    }
}
