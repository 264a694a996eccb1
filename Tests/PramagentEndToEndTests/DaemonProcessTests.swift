import Foundation
import Testing
import PramagentClient
import PramagentSystem
import PramagentWire
#if canImport(Glibc)
import Glibc
#endif

/// The real pramagentd binary as a child process.
final class DaemonProcess {
    let process = Process()
    let workspace: Workspace
    let stderrPipe = Pipe()

    init(_ workspace: Workspace, extra: [String] = []) throws {
        self.workspace = workspace
        process.executableURL = URL(fileURLWithPath: Paths.pramagentd)
        process.arguments = ["--socket", workspace.decisionSocket, "--admin-socket", workspace.adminSocket,
                             "--policies", workspace.policyDirectory, "--state-dir", workspace.path + "/state"] + extra
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // A first start compiles every rule database (seconds; more on a loaded 2-core machine
        // running tests in parallel): start time itself is measured by benchmarks, not here.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let c = try? RawClient(workspace.adminSocket) { _ = c; return }
            if !process.isRunning { throw TestFailure("pramagentd exited: \(log)") }
            usleep(20_000)
        }
        throw TestFailure("pramagentd did not start")
    }

    var log: String {
        if process.isRunning { return "" }
        return String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// SIGTERM, then wait (SIGKILL after 20 s, so a stuck daemon fails the test instead of hanging it).
    func stop() -> Int32 {
        signal(SIGTERM)
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

func ctl(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    try run(Paths.pramagentctl, args)
}

@Suite("pramagentd as a process", .serialized)
struct DaemonProcessTests {
    @Test("pramagentctl check/status/reload against the binary; SIGTERM exits 0 and removes the sockets")
    func lifecycle() throws {
        let ws = try Workspace(policies: ["payments.yaml": examplesPolicy])
        let d = try DaemonProcess(ws)
        let check = try ctl(["check", "--socket", ws.decisionSocket, "--tenant", "finance_team", "--tool", "send_payment",
                             "--args", #"{"amount_usd":250,"destination":"acct-123456"}"#, "--json"])
        #expect(check.status == 0)
        #expect(check.stdout.contains(#""verdict":"ESCALATE""#))
        #expect(check.stdout.contains("approval_required"))
        let status = try ctl(["status", "--admin-socket", ws.adminSocket, "--json"])
        #expect(status.status == 0)
        #expect(status.stdout.contains(#""last_reload_error":"""#))
        #expect(status.stdout.contains(#""decisions_total":1"#))
        let reload = try ctl(["reload", "--admin-socket", ws.adminSocket])
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(reload.stdout.hasPrefix("reloaded"))
        // Socket modes: decision 0660, admin 0600.
        var info = stat()
        stat(ws.decisionSocket, &info)
        #expect(info.st_mode & 0o777 == 0o660)
        stat(ws.adminSocket, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(d.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: ws.decisionSocket))
        #expect(!FileManager.default.fileExists(atPath: ws.adminSocket))
        #expect(d.log.contains("msg=stopped"))
    }

    @Test("SIGHUP installs a new bundle; a broken one is rejected, the old keeps serving, status shows file:line")
    func sighup() throws {
        let ws = try Workspace(policies: ["payments.yaml": examplesPolicy])
        let d = try DaemonProcess(ws)
        let admin = try RawClient(ws.adminSocket)
        let before = try admin.call(Pramagent_V1_Request.with { $0.requestID = 1; $0.status = Pramagent_V1_Status() }).status
        // A new tool appears after SIGHUP.
        try ws.write("extra.yaml", "tools:\n  ping: { side_effect: read, tenants: [finance_team] }\n")
        d.signal(SIGHUP)
        var after = before
        for _ in 0..<100 where after.policyVersion == before.policyVersion {
            usleep(20_000)
            after = try admin.call(Pramagent_V1_Request.with { $0.requestID = 2; $0.status = Pramagent_V1_Status() }).status
        }
        #expect(after.policyVersion != before.policyVersion)
        let c = try RawClient(ws.decisionSocket)
        #expect(try c.call(RawClient.check("finance_team", "ping", "{}")).decision.verdict == .allow)
        // Now break it.
        try ws.write("extra.yaml", "tools:\n  ping: { side_effect: reed, tenants: [finance_team] }\n")
        d.signal(SIGHUP)
        var broken = after
        for _ in 0..<100 where broken.lastReloadError.isEmpty {
            usleep(20_000)
            broken = try admin.call(Pramagent_V1_Request.with { $0.requestID = 3; $0.status = Pramagent_V1_Status() }).status
        }
        #expect(broken.lastReloadError.contains("extra.yaml:2"))
        #expect(broken.lastReloadError.contains("policy_unknown_side_effect"))
        #expect(broken.policyVersion == after.policyVersion)
        #expect(try c.call(RawClient.check("finance_team", "ping", "{}")).decision.verdict == .allow)
        // The admin Reload says the same.
        let r = try admin.call(Pramagent_V1_Request.with { $0.requestID = 4; $0.reload = Pramagent_V1_Reload() })
        #expect(!r.reload.ok)
        #expect(r.reload.policyVersion == after.policyVersion)
        let cli = try ctl(["reload", "--admin-socket", ws.adminSocket])
        #expect(cli.status == 1)
        #expect(cli.stderr.contains("extra.yaml:2"))
        #expect(d.stop() == 0)
    }

    @Test("starting on a broken bundle serves nothing but BLOCK policy_unavailable, and recovers on reload")
    func brokenAtStart() throws {
        let ws = try Workspace(policies: ["bad.yaml": "tools: [\n"])
        let d = try DaemonProcess(ws)
        let c = try RawClient(ws.decisionSocket)
        let r = try c.call(RawClient.check("finance_team", "send_payment", "{}"))
        #expect(r.decision.verdict == .block)
        #expect(r.decision.reasons.map(\.code) == ["policy_unavailable"])
        let health = try c.call(Pramagent_V1_Request.with { $0.requestID = 9; $0.health = Pramagent_V1_Health() })
        #expect(!health.health.serving)
        try FileManager.default.removeItem(atPath: ws.policyDirectory + "/bad.yaml")
        try ws.write("payments.yaml", examplesPolicy)
        #expect(try ctl(["reload", "--admin-socket", ws.adminSocket]).status == 0)
        #expect(try c.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        #expect(d.stop() == 0)
    }

    @Test("a stale socket file is replaced; a live one is never stolen")
    func staleAndLiveSockets() throws {
        let ws = try Workspace(policies: ["payments.yaml": examplesPolicy])
        // A stale socket: bound, then its process is gone (closed without unlink).
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        _ = UnixSocket.withAddress(ws.decisionSocket) { bind(fd, $0, $1) }
        close(fd)
        #expect(FileManager.default.fileExists(atPath: ws.decisionSocket))
        let d = try DaemonProcess(ws)
        #expect(try RawClient(ws.decisionSocket).call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        // A second daemon on the same paths refuses to start and leaves the first one alone.
        let second = try run(Paths.pramagentd, ["--socket", ws.decisionSocket, "--admin-socket", ws.adminSocket,
                                                "--policies", ws.policyDirectory, "--state-dir", ws.path + "/state2"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("another process is serving"))
        #expect(try RawClient(ws.decisionSocket).call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        // A regular file in the way is not deleted.
        let ws2 = try Workspace(policies: ["payments.yaml": examplesPolicy])
        try "precious".write(toFile: ws2.decisionSocket, atomically: true, encoding: .utf8)
        let third = try run(Paths.pramagentd, ["--socket", ws2.decisionSocket, "--admin-socket", ws2.adminSocket,
                                               "--policies", ws2.policyDirectory, "--state-dir", ws2.path + "/state"])
        #expect(third.status != 0)
        #expect(try String(contentsOfFile: ws2.decisionSocket, encoding: .utf8) == "precious")
        #expect(d.stop() == 0)
    }

    @Test("--help explains the daemon")
    func help() throws {
        let h = try run(Paths.pramagentd, ["--help"])
        #expect(h.stdout.contains("--policies"))
        #expect(h.stdout.contains("SIGHUP"))
        let c = try ctl(["--help"])
        #expect(c.stdout.contains("policy"))
        #expect(c.stdout.contains("bench"))
    }
}
