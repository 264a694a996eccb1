import Foundation
import Testing
import PramagentSystem
#if canImport(Glibc)
import Glibc
#endif

/// Test users created on this machine (root only), so peer credentials are really another uid.
enum TestUsers {
    static func ensureGroup(_ name: String) throws {
        if UnixAccounts.group(named: name) == nil {
            let r = try run("/usr/sbin/groupadd", ["--system", name])
            guard r.status == 0 || UnixAccounts.group(named: name) != nil else { throw TestFailure("groupadd \(name): \(r.stderr)") }
        }
    }

    static func ensureUser(_ name: String, supplementaryGroup: String? = nil) throws -> UInt32 {
        if UnixAccounts.uid(ofUser: name) == nil {
            var args = ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group"]
            if let g = supplementaryGroup { args += ["--groups", g] }
            let r = try run("/usr/sbin/useradd", args + [name])
            guard r.status == 0 || UnixAccounts.uid(ofUser: name) != nil else { throw TestFailure("useradd \(name): \(r.stderr)") }
        }
        return UnixAccounts.uid(ofUser: name)!
    }
}

@Suite("Caller identity from peer credentials", .serialized, .enabled(if: getuid() == 0, "creating users needs root"))
struct CallerIdentityTests {
    @Test("users and groups map to tenants; unmapped uids and other tenants are refused")
    func nonRootCallers() async throws {
        try TestUsers.ensureGroup("pa-e2e-agents")
        let agent1 = try TestUsers.ensureUser("pa-e2e-agent1")
        let agent2 = try TestUsers.ensureUser("pa-e2e-agent2", supplementaryGroup: "pa-e2e-agents")
        let ws = try Workspace(policies: ["p.yaml": """
        callers:
          - user: pa-e2e-agent1
            tenants: [team_a]
          - group: pa-e2e-agents
            tenants: [team_b]
        tools:
          read_thing: { side_effect: read, tenants: [team_a, team_b] }
        """])
        // The binary is copied where the test users can run it.
        let ctl = ws.path + "/pramagentctl"
        try FileManager.default.copyItem(atPath: Paths.pramagentctl, toPath: ctl)
        chmod(ctl, 0o755)
        let d = try await InProcessDaemon(ws) { $0.decisionSocketMode = 0o666 }

        func check(as uid: UInt32, tenant: String) throws -> String {
            let r = try run("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid == 65534 ? 65534 : gidOf(uid))", "--init-groups", "--reset-env",
                                                 ctl, "check", "--socket", ws.decisionSocket, "--tenant", tenant, "--tool", "read_thing", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout
        }
        func gidOf(_ uid: UInt32) -> UInt32 {
            var pw = passwd(); var result: UnsafeMutablePointer<passwd>? = nil
            var buffer = [CChar](repeating: 0, count: 4096)
            getpwuid_r(uid, &pw, &buffer, buffer.count, &result)
            return pw.pw_gid
        }

        #expect(try check(as: agent1, tenant: "team_a").contains(#""verdict":"ALLOW""#))
        let otherTenant = try check(as: agent1, tenant: "team_b")
        #expect(otherTenant.contains(#""verdict":"BLOCK""#) && otherTenant.contains("caller_not_allowed"))
        // agent2 is in the group only as a supplementary member.
        #expect(try check(as: agent2, tenant: "team_b").contains(#""verdict":"ALLOW""#))
        #expect(try check(as: agent2, tenant: "team_a").contains("caller_not_allowed"))
        // nobody is not mapped at all; the request's claims do not matter.
        let nobody = try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--reset-env",
                                                  ctl, "check", "--socket", ws.decisionSocket, "--tenant", "team_a", "--tool", "read_thing", "--json"])
        #expect(nobody.stdout.contains("caller_not_allowed") && nobody.stdout.contains("not mapped"), "\(nobody.stderr)")
        // The admin socket (0600, root) is closed to them.
        let admin = try run("/usr/bin/setpriv", ["--reuid=\(agent1)", "--regid=\(gidOf(agent1))", "--init-groups", "--reset-env",
                                                 ctl, "status", "--admin-socket", ws.adminSocket])
        #expect(admin.status != 0)
        #expect(admin.stderr.contains("ermission denied"))
        await d.stop()
    }
}
