import Foundation
import Testing
import PramagentClient
import PramagentWire

@Suite("Swift client library", .serialized)
struct ClientTests {
    @Test("many concurrent calls pipelined over a pool of connections")
    func concurrentCalls() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let client = try await PramagentClient.connect(path: ws.decisionSocket, connections: 2)
        let wrong = await withTaskGroup(of: Int.self) { group in
            for i in 0..<400 {
                group.addTask {
                    let allowed = i % 3 != 0
                    let args = allowed ? #"{"account":"acct-123456"}"# : #"{"account":"nope"}"#
                    guard let d = try? await client.checkToolCall(tenant: "finance_team", session: "c\(i)", tool: "get_balance", argumentsJSON: args) else { return 1 }
                    return d.verdict == (allowed ? .allow : .block) ? 0 : 1
                }
            }
            var n = 0
            for await w in group { n += w }
            return n
        }
        #expect(wrong == 0)
        #expect(try await client.health().serving)
        await client.close()
        await d.stop()
    }

    @Test("typed errors: nothing listening, wrong socket, daemon going away")
    func errors() async throws {
        do {
            _ = try await PramagentConnection.connect(path: "/tmp/pramagent-no-such.sock")
            Issue.record("connected to nothing")
        } catch {
            guard case .connectFailed(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == "/tmp/pramagent-no-such.sock")
        }
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let admin = try await PramagentConnection.connect(path: ws.adminSocket)
        do {
            _ = try await admin.checkToolCall(tenant: "t", session: "s", tool: "x", argumentsJSON: "{}")
            Issue.record("admin socket served a decision")
        } catch {
            #expect(error == .server(code: "request_not_permitted", message: "CheckToolCall is served on the decision socket"))
        }
        let status = try await admin.status()
        #expect(status.tools == 4)
        let conn = try await PramagentConnection.connect(path: ws.decisionSocket)
        await d.stop()
        do {
            _ = try await conn.checkToolCall(tenant: "finance_team", session: "s", tool: "get_balance", argumentsJSON: "{}")
            Issue.record("answered after shutdown")
        } catch {
            #expect(error == .connectionClosed)
        }
        await conn.close()
        await admin.close()
    }

    @Test("SIGTERM-style shutdown answers every request already received")
    func drainAnswersInFlight() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)
        let frame = try Framing.frame(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#))
        try c.send(raw: Array([[UInt8]](repeating: frame, count: 1_000).joined()))
        try await Task.sleep(for: .milliseconds(200))
        await d.stop()
        var answered = 0
        while let r = try c.receive() {
            #expect(r.decision.verdict == .allow)
            answered += 1
        }
        #expect(answered == 1_000)
        #expect(!FileManager.default.fileExists(atPath: ws.decisionSocket))
    }
}
