import Foundation
import Testing

@Suite("pramagentctl offline commands")
struct CLITests {
    @Test("policy check: ok on the shipped bundles, file:line and exit 1 on a broken one")
    func policyCheck() throws {
        let ok = try ctl(["policy", "check", Paths.root + "/policies"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("compiles"))
        let ws = try Workspace(policies: ["a.yaml": "tools:\n  t:\n    side_effect: read\n    tenants: [x]\n    schema: { type: objekt }\n"])
        let bad = try ctl(["policy", "check", ws.policyDirectory])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("a.yaml:5"))
        #expect(bad.stderr.contains("policy_schema"))
    }

    @Test("policy test: the shipped bundles' tests pass; a wrong expectation fails with its line")
    func policyTest() throws {
        let main = try ctl(["policy", "test", Paths.root + "/policies"])
        #expect(main.status == 0, "\(main.stdout)\(main.stderr)")
        #expect(main.stdout.contains(", 0 failed"))
        let examples = try ctl(["policy", "test", Paths.root + "/policies/examples"])
        #expect(examples.status == 0, "\(examples.stdout)\(examples.stderr)")
        let ws = try Workspace(policies: ["payments.yaml": examplesPolicy])
        try FileManager.default.createDirectory(atPath: ws.policyDirectory + "/tests", withIntermediateDirectories: true)
        try """
        cases:
          - name: wrong on purpose
            caller: { uid: 0 }
            request: { tenant: finance_team, tool: send_payment, arguments: { amount_usd: 250, destination: acct-123456 } }
            expect: { verdict: allow }
        """.write(toFile: ws.policyDirectory + "/tests/t.yaml", atomically: true, encoding: .utf8)
        let failing = try ctl(["policy", "test", ws.policyDirectory])
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("t.yaml:4"))
        #expect(failing.stdout.contains("expected allow, got escalate"))
    }

    @Test("schema validate: valid/invalid/bad schema exit codes, and batch JSON lines")
    func schemaValidate() throws {
        let ws = try Workspace()
        let schema = ws.path + "/s.json"
        try #"{"type":"object","required":["n"],"properties":{"n":{"type":"integer","maximum":3}}}"#.write(toFile: schema, atomically: true, encoding: .utf8)
        try #"{"n":2}"#.write(toFile: ws.path + "/good.json", atomically: true, encoding: .utf8)
        try #"{"n":9}"#.write(toFile: ws.path + "/bad.json", atomically: true, encoding: .utf8)
        try #"{"type":"nope"}"#.write(toFile: ws.path + "/broken.json", atomically: true, encoding: .utf8)
        let good = try ctl(["schema", "validate", schema, ws.path + "/good.json"])
        #expect(good.status == 0)
        #expect(good.stdout.contains("valid"))
        let bad = try ctl(["schema", "validate", schema, ws.path + "/good.json", ws.path + "/bad.json"])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("/n: must be <= 3"))
        let broken = try ctl(["schema", "validate", ws.path + "/broken.json", ws.path + "/good.json"])
        #expect(broken.status == 2)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.pramagentctl)
        process.arguments = ["schema", "validate", "--batch", "--remote", "http://localhost:1234/=" + Paths.root + "/../shared/jsonschema-suite/remotes"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let lines = [
            #"{"schema":{"maximum":3},"instance":2}"#,
            #"{"schema":{"maximum":3},"instance":5}"#,
            #"{"schema":{"type":"wat"},"instance":1}"#,
            "not json",
            #"{"schema":{"$ref":"http://localhost:1234/integer.json"},"instance":"x"}"#,
        ]
        signal(SIGPIPE, SIG_IGN) // a child that exits before reading all of its input: EPIPE, not a dead test process
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let answers = text.split(separator: "\n").map(String.init)
        #expect(process.terminationStatus == 0)
        #expect(answers.count == 5)
        #expect(answers[0] == #"{"valid":true,"errors":[]}"#)
        #expect(answers[1].hasPrefix(#"{"valid":false,"errors":[{"keywordLocation":"/maximum""#))
        #expect(answers[2].hasPrefix(#"{"error":"invalid schema"#))
        #expect(answers[3].hasPrefix(#"{"error":"line is not valid JSON"#))
        #expect(answers[4].hasPrefix(#"{"valid":false"#))
    }
}

@Suite("systemd unit")
struct SystemdUnitTests {
    @Test("systemd-analyze verify passes for both units (ExecStart pointed at the built binaries)",
          .enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/systemd-analyze")),
          arguments: ["pramagentd", "pramagent-auditd"])
    func verify(_ name: String) throws {
        let unit = try String(contentsOfFile: Paths.root + "/systemd/\(name).service", encoding: .utf8)
        if name == "pramagentd" {
            #expect(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
            #expect(unit.contains("After=pramagent-auditd.service"))
        }
        let ws = try Workspace()
        let path = ws.path + "/\(name).service"
        try unit.replacingOccurrences(of: "/usr/local/bin/\(name)", with: Paths.buildDirectory + "/\(name)")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let r = try run("/usr/bin/systemd-analyze", ["verify", path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }
}
