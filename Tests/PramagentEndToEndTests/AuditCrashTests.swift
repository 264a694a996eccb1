import Foundation
import Synchronization
import Testing
import PramagentWire
#if canImport(Glibc)
import Glibc
#endif

/// Kill -9 rounds under a steady load of write-class calls: no ALLOW without exactly one record.
@Suite("Audit crash safety", .serialized)
struct AuditCrashTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["PRAMAGENT_CRASH_ROUNDS"] ?? "") ?? 21

    @Test("kill -9 the writer, the daemon, and both, repeatedly")
    func crashRounds() throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let db = ws.path + "/audit.db"
        let auditSocket = ws.path + "/audit.sock"
        let daemonArgs = ["--audit-socket", auditSocket, "--audit-timeout-ms", "400"]
        var writer = try AuditdProcess(db: db, socket: auditSocket)
        var daemon = try DaemonProcess(ws, extra: daemonArgs)

        let allowed = Mutex<[String]>([])
        let blocked = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let decisionSocket = ws.decisionSocket
        let load = Thread {
            var client: RawClient? = nil
            var n = 0
            while !stop.load(ordering: .relaxed) {
                if client == nil { client = try? RawClient(decisionSocket, timeoutSeconds: 2) }
                guard let c = client else { usleep(10_000); continue }
                n += 1
                // A fresh session per call keeps the repeated_writes chain out of the way.
                guard let r = try? c.call(RawClient.check("demo", "write_note", #"{"text":"n\#(n)"}"#, session: "crash-\(n)")) else {
                    client = nil
                    continue
                }
                if r.decision.verdict == .allow { allowed.withLock { $0.append(r.decision.decisionID) } } else { blocked.add(1, ordering: .relaxed) }
            }
        }
        load.start()
        for round in 0..<Self.rounds {
            usleep(150_000)
            switch round % 3 {
            case 0:
                kill(writer.process.processIdentifier, SIGKILL); writer.process.waitUntilExit()
                writer = try AuditdProcess(db: db, socket: auditSocket)
            case 1:
                kill(daemon.process.processIdentifier, SIGKILL); daemon.process.waitUntilExit()
                daemon = try DaemonProcess(ws, extra: daemonArgs)
            default:
                kill(writer.process.processIdentifier, SIGKILL); kill(daemon.process.processIdentifier, SIGKILL)
                writer.process.waitUntilExit(); daemon.process.waitUntilExit()
                writer = try AuditdProcess(db: db, socket: auditSocket)
                daemon = try DaemonProcess(ws, extra: daemonArgs)
            }
        }
        usleep(300_000)
        stop.store(true, ordering: .relaxed)
        while load.isExecuting { usleep(10_000) }
        // A graceful stop delivers what is still spooled.
        #expect(daemon.stop() == 0)
        #expect(writer.stop() == 0)

        let ids = allowed.withLock { $0 }
        print("crash rounds: \(Self.rounds), allowed \(ids.count), blocked \(blocked.load(ordering: .relaxed))")
        #expect(ids.count > Self.rounds, "too little load got through: \(ids.count) allowed, \(blocked.load(ordering: .relaxed)) blocked")
        let verify = try ctl(["audit", "verify", db])
        #expect(verify.status == 0, "\(verify.stdout)")
        var stored: [String: Int] = [:]
        for line in try ctl(["audit", "show", db, "--tool", "write_note", "--verdict", "allow"]).stdout.split(separator: "\n") {
            guard let r = line.range(of: #""decision_id":""#) else { continue }
            stored[String(line[r.upperBound...].prefix { $0 != "\"" }), default: 0] += 1
        }
        let missing = ids.filter { stored[$0] == nil }
        #expect(missing.isEmpty, "\(missing.count) ALLOWed decisions have no record, e.g. \(missing.prefix(3))")
        #expect(stored.values.allSatisfy { $0 == 1 }, "a record was stored twice")
    }
}
