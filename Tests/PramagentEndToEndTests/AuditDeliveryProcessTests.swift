import Foundation
import Testing
import PramagentWire
#if canImport(Glibc)
import Glibc
#endif

/// pramagent-auditd as a child process.
final class AuditdProcess {
    let process = Process()
    init(db: String, socket: String) throws {
        process.executableURL = URL(fileURLWithPath: Paths.buildDirectory + "/pramagent-auditd")
        process.arguments = ["--db", db, "--socket", socket]
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<250 {
            if FileManager.default.fileExists(atPath: socket) { return }
            usleep(20_000)
        }
        throw TestFailure("pramagent-auditd did not start")
    }
    /// SIGTERM, then wait (SIGKILL after 20 s, so a stuck writer fails the test instead of hanging it).
    func stop() -> Int32 {
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()
        return process.terminationStatus
    }
    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

@Suite("pramagentd delivers its decisions to pramagent-auditd", .serialized)
struct AuditDeliveryProcessTests {
    /// Decision ids of the records, in order (`overrides`: only the answer-override records, else
    /// only the others).
    func decisionIDs(_ db: String, overrides: Bool = false) throws -> [String] {
        let r = try ctl(["audit", "show", db])
        return r.stdout.split(separator: "\n").filter { $0.contains("\"answer_override\":true") == overrides }.compactMap { line in
            guard let range = line.range(of: #""decision_id":""#) else { return nil }
            return String(line[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test("write-class ALLOW only once durable; BLOCK audit_unavailable while the writer is down; recovery; chain verifies")
    func endToEnd() throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let db = ws.path + "/audit.db"
        let auditSocket = ws.path + "/audit.sock"
        var writer: AuditdProcess? = try AuditdProcess(db: db, socket: auditSocket)
        let d = try DaemonProcess(ws, extra: ["--audit-socket", auditSocket, "--audit-timeout-ms", "300"])
        let c = try RawClient(ws.decisionSocket)

        let note = try c.call(RawClient.check("demo", "write_note", #"{"text":"secret plan"}"#, session: "n1"))
        #expect(note.decision.verdict == .allow, "\(note.decision.reasons)")
        // The record was durable before the ALLOW was sent: it is in the database now.
        #expect(try decisionIDs(db).contains(note.decision.decisionID))
        let shown = try ctl(["audit", "show", db, "--tool", "write_note"]).stdout
        #expect(shown.contains(#""arguments_sha256":""#))
        #expect(!shown.contains("secret plan"))

        // The writer goes away: write-class calls fail closed, read-class calls are spooled.
        #expect(writer!.stop() == 0)
        writer = nil
        let blocked = try c.call(RawClient.check("demo", "write_note", #"{"text":"x"}"#, session: "n2"))
        #expect(blocked.decision.verdict == .block)
        #expect(blocked.decision.reasons.map(\.code) == ["audit_unavailable"])
        let read = try c.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#, session: "r1"))
        #expect(read.decision.verdict == .allow)

        // It comes back: everything spooled is delivered, write-class calls work again.
        writer = try AuditdProcess(db: db, socket: auditSocket)
        var again = try c.call(RawClient.check("demo", "write_note", #"{"text":"y"}"#, session: "n3"))
        for _ in 0..<20 where again.decision.verdict != .allow {
            usleep(100_000)
            again = try c.call(RawClient.check("demo", "write_note", #"{"text":"y"}"#, session: "n3-\(UUID().uuidString.prefix(4))"))
        }
        #expect(again.decision.verdict == .allow)
        let ids = try decisionIDs(db)
        #expect(ids.contains(read.decision.decisionID))
        #expect(ids.contains(blocked.decision.decisionID))
        #expect(Set(ids).count == ids.count, "a decision was stored twice")
        // The blocked call's ALLOW record is followed by one saying the caller got BLOCK.
        #expect(try decisionIDs(db, overrides: true) == [blocked.decision.decisionID])
        #expect(d.stop() == 0)
        #expect(writer!.stop() == 0)
        let verify = try ctl(["audit", "verify", db])
        #expect(verify.status == 0, "\(verify.stdout)")
        let lifecycle = try ctl(["audit", "show", db]).stdout
        #expect(lifecycle.contains("daemonStart"))
        #expect(lifecycle.contains("daemonStop"))
    }

    @Test("a full spool makes every decision BLOCK audit_unavailable")
    func fullSpool() throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try DaemonProcess(ws, extra: ["--audit-socket", ws.path + "/nobody-listens.sock", "--spool-capacity", "4"])
        let c = try RawClient(ws.decisionSocket)
        var verdicts: [Pramagent_V1_Verdict] = []
        for i in 0..<8 {
            verdicts.append(try c.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#, session: "f\(i)")).decision.verdict)
        }
        // One slot went to the daemon-start record; then three reads fit; the rest fail closed.
        #expect(verdicts.prefix(3).allSatisfy { $0 == .allow })
        #expect(verdicts.suffix(5).allSatisfy { $0 == .block })
        let last = try c.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#, session: "f9"))
        #expect(last.decision.reasons.map(\.code) == ["audit_unavailable"])
        #expect(d.stop() == 0)
    }
}
