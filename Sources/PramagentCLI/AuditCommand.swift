import ArgumentParser
import Foundation
import PramagentAudit
import PramagentCrypto
import PramagentWire

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, inspect and export an audit database (works on a copy, no daemon needed).",
        subcommands: [AuditVerifyCommand.self, AuditHeadCommand.self, AuditShowCommand.self])
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the whole hash chain and name the first bad row.",
        discussion: """
        Streams the rows (constant memory). Detects changed, deleted, inserted and reordered rows; \
        with --head SEQ:HASH (a head published earlier, e.g. from `audit head`) also a truncated or \
        rewritten tail. Exit status: 0 when the chain verifies, 1 when it does not, 2 when the \
        database cannot be read.
        """)

    @Argument(help: "The audit database file.") var database: String
    @Option(help: ArgumentHelp("A published head the log must still contain.", valueName: "SEQ:HASH")) var head: String?

    func run() throws {
        var expected: (UInt64, [UInt8])? = nil
        if let head {
            let parts = head.split(separator: ":")
            guard parts.count == 2, let seq = UInt64(parts[0]), let hash = hexBytes(String(parts[1])), hash.count == 32 else {
                throw ValidationError("--head takes SEQ:HASH with a 64-digit hex hash")
            }
            expected = (seq, hash)
        }
        let report: AuditVerifier.Report
        do { report = try AuditVerifier.verify(path: database, expectedHead: expected) } catch {
            printError("cannot read \(database): \(error)")
            throw ExitCode(2)
        }
        if report.ok {
            print("ok: \(report.rows) rows verify; head \(report.headSeq):\(report.headHash.hexString)")
        } else {
            print("FAILED at row \(report.problemSeq) (\(report.problem!.rawValue)): \(report.message)")
            print("rows verified before it: \(report.rows)")
            throw ExitCode(1)
        }
    }
}

func hexBytes(_ text: String) -> [UInt8]? {
    var out: [UInt8] = []
    var chars = Array(text.utf8)[...]
    guard chars.count % 2 == 0 else { return nil }
    while !chars.isEmpty {
        guard let b = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else { return nil }
        out.append(b)
        chars = chars.dropFirst(2)
    }
    return out
}

struct AuditHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Print the last row's SEQ:HASH, to publish somewhere the host cannot rewrite.")

    @Argument(help: "The audit database file.") var database: String

    func run() throws {
        do {
            let head = try AuditReader.head(path: database)
            print("\(head.seq):\(head.hash.hexString)")
        } catch {
            printError("cannot read \(database): \(error)")
            throw ExitCode(2)
        }
    }
}

struct AuditShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print records as JSON lines, optionally filtered.",
        aliases: ["export"])

    @Argument(help: "The audit database file.") var database: String
    @Option(help: "Only this tenant.") var tenant: String?
    @Option(help: "Only this session.") var session: String?
    @Option(help: "Only this tool.") var tool: String?
    @Option(help: "Only this verdict (allow, block, escalate).") var verdict: String?
    @Option(help: "Only records at or after this time (Unix seconds).") var since: Double?
    @Option(help: "Only records before this time (Unix seconds).") var until: Double?
    @Option(help: "Start at this sequence number.") var from: UInt64 = 1

    func run() throws {
        do {
            try AuditReader.forEachRow(path: database, fromSeq: from) { row in
                if let line = render(row) { print(line) }
                return true
            }
        } catch {
            printError("cannot read \(database): \(error)")
            throw ExitCode(2)
        }
    }

    /// The fields decisions and scans share; false when the filters exclude the record.
    private func header(_ o: inout JSONOut, type: String, id: String, nanos: UInt64, uid: UInt32, gid: UInt32, pid: Int32,
                        tenant recordTenant: String, session recordSession: String, tool recordTool: String,
                        verdict recordVerdict: Pramagent_V1_Verdict) -> Bool {
        let seconds = Double(nanos) / 1e9
        let verdictName = DecisionText.verdict(recordVerdict).lowercased()
        if let tenant, recordTenant != tenant { return false }
        if let session, recordSession != session { return false }
        if let tool, recordTool != tool { return false }
        if let verdict, verdictName != verdict.lowercased() { return false }
        if let since, seconds < since { return false }
        if let until, seconds >= until { return false }
        o.add("type", type)
        o.add("decision_id", id)
        o.add("time", seconds)
        o.add("caller_uid", Int(uid))
        o.add("caller_gid", Int(gid))
        o.add("caller_pid", Int(pid))
        o.add("tenant", recordTenant)
        o.add("session", recordSession)
        o.add("tool", recordTool)
        o.add("verdict", verdictName)
        return true
    }

    private func render(_ row: AuditReader.Row) -> String? {
        var o = JSONOut()
        o.add("seq", row.seq)
        o.add("hash", row.hash.hexString)
        o.add("producer", row.producer)
        o.add("producer_seq", row.producerSeq)
        guard let record = try? Pramagent_V1_AuditRecord(serializedBytes: row.record) else {
            o.add("error", "record does not decode")
            return o.text
        }
        switch record.kind {
        case .decision(let d)?:
            guard header(&o, type: "decision", id: d.decisionID, nanos: d.timeUnixNanos, uid: d.callerUid, gid: d.callerGid,
                         pid: d.callerPid, tenant: d.tenant, session: d.session, tool: d.tool, verdict: d.verdict) else { return nil }
            o.add("reason_codes", raw: "[" + d.reasonCodes.map { JSONOut().quote($0) }.joined(separator: ",") + "]")
            o.add("policy_version", d.policyVersion)
            o.add("arguments_sha256", d.argumentsSha256.map { String(format: "%02x", $0) }.joined())
            if d.answerOverride { o.add("answer_override", raw: "true") }
        case .scan(let scan)?:
            guard header(&o, type: "scan", id: scan.scanID, nanos: scan.timeUnixNanos, uid: scan.callerUid, gid: scan.callerGid,
                         pid: scan.callerPid, tenant: scan.tenant, session: scan.session, tool: scan.tool, verdict: scan.verdict) else { return nil }
            o.add("direction", scan.direction)
            o.add("reason_codes", raw: "[" + scan.reasonCodes.map { JSONOut().quote($0) }.joined(separator: ",") + "]")
            o.add("rule_ids", raw: "[" + scan.ruleIds.map { JSONOut().quote($0) }.joined(separator: ",") + "]")
            o.add("policy_version", scan.policyVersion)
            o.add("text_sha256", scan.textSha256.map { String(format: "%02x", $0) }.joined())
            o.add("text_bytes", Int(scan.textBytes))
            o.add("session_tainted", raw: scan.sessionTainted ? "true" : "false")
        case .lifecycle(let l)?:
            if tenant != nil || session != nil || tool != nil || verdict != nil { return nil }
            let seconds = Double(l.timeUnixNanos) / 1e9
            if let since, seconds < since { return nil }
            if let until, seconds >= until { return nil }
            o.add("type", "lifecycle")
            o.add("event", "\(l.event)")
            o.add("time", seconds)
            o.add("old_policy_version", l.oldPolicyVersion)
            o.add("new_policy_version", l.newPolicyVersion)
        case nil:
            o.add("type", "empty")
        }
        return o.text
    }
}
