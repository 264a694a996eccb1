import Foundation
import Testing
import PramagentWire
#if canImport(Glibc)
import Glibc
#endif

/// Disk full and read-only database under the audit writer (a small tmpfs; needs root to mount).
@Suite("Audit faults", .serialized, .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
struct AuditFaultTests {
    func mount(_ args: [String]) throws {
        let r = try run("/usr/bin/mount", args)
        guard r.status == 0 else { throw TestFailure("mount \(args): \(r.stderr)") }
    }

    /// Write-class calls answered BLOCK because their record was not durable in time.
    var blockedAfterTimeout: [String] = []

    /// Calls write_note until the verdict is `want` (or gives up); returns the ALLOWed decision ids.
    mutating func until(_ c: RawClient, _ want: Pramagent_V1_Verdict, tries: Int, _ allowed: inout [String], _ label: String) throws -> Bool {
        for i in 0..<tries {
            let r = try c.call(RawClient.check("demo", "write_note", #"{"text":"\#(String(repeating: "x", count: 200))"}"#, session: "\(label)-\(i)"))
            if r.decision.verdict == .allow { allowed.append(r.decision.decisionID) }
            if r.decision.verdict == want {
                if want == .block {
                    #expect(r.decision.reasons.map(\.code) == ["audit_unavailable"])
                    blockedAfterTimeout.append(r.decision.decisionID)
                }
                return true
            }
        }
        return false
    }

    @Test("disk full and read-only: write-class calls BLOCK audit_unavailable, nothing crashes, service resumes")
    mutating func fullAndReadOnly() throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy, "nochains.yaml": "defaults:\n  builtin_chains: false\n"])
        let disk = ws.path + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        try mount(["-t", "tmpfs", "-o", "size=192k", "tmpfs", disk])
        defer { _ = try? run("/usr/bin/umount", ["-l", disk]) }
        var writer = try AuditdProcess(db: disk + "/audit.db", socket: ws.path + "/audit.sock")
        let daemon = try DaemonProcess(ws, extra: ["--audit-socket", ws.path + "/audit.sock", "--audit-timeout-ms", "300"])
        let c = try RawClient(ws.decisionSocket, timeoutSeconds: 5)
        var allowed: [String] = []

        #expect(try until(c, .allow, tries: 5, &allowed, "warm"))
        // Fill the disk: sooner or later a commit fails and write-class calls fail closed.
        #expect(try until(c, .block, tries: 3_000, &allowed, "full"))
        #expect(writer.process.isRunning)
        // Read-class calls are still answered (their records wait in the spool).
        #expect(try c.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#, session: "r")).decision.verdict == .allow)
        // The fault clears.
        try mount(["-o", "remount,size=16m", disk])
        #expect(try until(c, .allow, tries: 100, &allowed, "grown"))

        // Read-only database: the writer refuses to start on it, and says so; decisions fail closed.
        #expect(writer.stop() == 0)
        try mount(["-o", "remount,ro", disk])
        let refused = try run(Paths.buildDirectory + "/pramagent-auditd", ["--db", disk + "/audit.db", "--socket", ws.path + "/audit.sock"], timeout: 10)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("cannot start"))
        #expect(try until(c, .block, tries: 100, &allowed, "ro"))
        #expect(daemon.process.isRunning)
        try mount(["-o", "remount,rw", disk])
        writer = try AuditdProcess(db: disk + "/audit.db", socket: ws.path + "/audit.sock")
        #expect(try until(c, .allow, tries: 100, &allowed, "rw"))

        #expect(daemon.stop() == 0)
        #expect(writer.stop() == 0)
        let verify = try ctl(["audit", "verify", disk + "/audit.db"])
        #expect(verify.status == 0, "\(verify.stdout)")
        let shown = try ctl(["audit", "show", disk + "/audit.db", "--tool", "write_note", "--verdict", "allow"]).stdout
        let missing = allowed.filter { !shown.contains($0) }
        #expect(missing.isEmpty, "ALLOWed without a record: \(missing.prefix(3))")
        // Each call answered BLOCK after its ALLOW was recorded has a second record saying so.
        #expect(!blockedAfterTimeout.isEmpty)
        let overrides = try ctl(["audit", "show", disk + "/audit.db", "--tool", "write_note", "--verdict", "block"]).stdout
            .split(separator: "\n").filter { $0.contains("\"answer_override\":true") }
        for id in blockedAfterTimeout {
            #expect(overrides.contains { $0.contains(id) }, "no answer_override record for \(id)")
        }
    }
}
