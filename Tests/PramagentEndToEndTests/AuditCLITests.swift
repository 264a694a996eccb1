import Foundation
import Testing
import PramagentAudit
import PramagentWire
#if canImport(Glibc)
import Glibc
#endif

@Suite("pramagentctl audit and pramagent-auditd as processes", .serialized)
struct AuditCLITests {
    /// A database written by the real store, with decision records.
    func database(_ ws: Workspace, count: Int) throws -> String {
        let path = ws.path + "/audit.db"
        let store = try AuditStore(path: path)
        let records = try (1...count).map { i -> [UInt8] in
            var r = Pramagent_V1_AuditRecord()
            r.decision = Pramagent_V1_DecisionRecord.with {
                $0.decisionID = "d-\(i)"; $0.timeUnixNanos = UInt64(1_764_000_000 + i) * 1_000_000_000
                $0.tenant = i % 2 == 0 ? "finance_team" : "marketing_team"; $0.session = "s\(i % 3)"; $0.tool = "send_payment"
                $0.verdict = i % 4 == 0 ? .block : .escalate; $0.reasonCodes = i % 4 == 0 ? ["schema_violation"] : ["approval_required"]
            }
            return try r.serializedBytes()
        }
        try store.append([AuditStore.Batch(producer: "pramagentd-test", firstProducerSeq: 1, records: records)])
        return path
    }

    @Test("verify, head, show with filters; tampering gives exit 1 and the row")
    func commands() throws {
        let ws = try Workspace()
        let db = try database(ws, count: 40)
        let verify = try ctl(["audit", "verify", db])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("40 rows verify"))
        let head = try ctl(["audit", "head", db]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(head.hasPrefix("40:"))
        #expect(try ctl(["audit", "verify", db, "--head", head]).status == 0)
        let shown = try ctl(["audit", "show", db, "--tenant", "finance_team", "--verdict", "block"]).stdout
            .split(separator: "\n")
        #expect(shown.count == 10)
        #expect(shown.allSatisfy { $0.contains(#""tenant":"finance_team""#) && $0.contains(#""verdict":"block""#) && $0.contains(#""reason_codes":["schema_violation"]"#) })
        let since = try ctl(["audit", "export", db, "--since", "1764000031"]).stdout.split(separator: "\n")
        #expect(since.count == 10)
        // Tamper with a copy, as an auditor would.
        let copy = ws.path + "/copy.db"
        try FileManager.default.copyItem(atPath: db, toPath: copy)
        let sqlite = try run("/usr/bin/env", ["python3", "-c", "import sqlite3; c=sqlite3.connect('\(copy)'); c.execute('DELETE FROM audit WHERE seq > 35'); c.commit()"])
        #expect(sqlite.status == 0, "\(sqlite.stderr)")
        #expect(try ctl(["audit", "verify", copy]).status == 0)
        let truncated = try ctl(["audit", "verify", copy, "--head", head])
        #expect(truncated.status == 1)
        #expect(truncated.stdout.contains("row 36 (truncated)"))
        #expect(try ctl(["audit", "verify", ws.path + "/missing.db"]).status == 2)
    }

    @Test("pramagent-auditd starts, refuses a damaged database, and exits 0 on SIGTERM")
    func daemonLifecycle() throws {
        let ws = try Workspace()
        let db = try database(ws, count: 5)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.buildDirectory + "/pramagent-auditd")
        process.arguments = ["--db", db, "--socket", ws.path + "/audit.sock"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        var up = false
        for _ in 0..<250 where !up {
            up = FileManager.default.fileExists(atPath: ws.path + "/audit.sock")
            usleep(20_000)
        }
        #expect(up)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: ws.path + "/audit.sock"))
        // Damage the last row: the writer refuses to append to a broken chain.
        _ = try run("/usr/bin/env", ["python3", "-c", "import sqlite3; c=sqlite3.connect('\(db)'); c.execute(\"UPDATE audit SET record=x'00' WHERE seq=5\"); c.commit()"])
        let refused = try run(Paths.buildDirectory + "/pramagent-auditd", ["--db", db, "--socket", ws.path + "/audit2.sock"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("does not match its hash"))
    }
}
