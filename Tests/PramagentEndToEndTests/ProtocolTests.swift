import Foundation
import Testing
import PramagentWire
#if canImport(Glibc)
import Glibc
#endif

/// A client that knows only proto/ and docs/protocol.md, against the real daemon.
@Suite("Decision socket protocol", .serialized)
struct ProtocolTests {
    @Test("the payment example: ESCALATE, BLOCK with a schema reason, BLOCK with a tenant reason")
    func paymentExample() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)

        let ok = try c.call(RawClient.check("finance_team", "send_payment", #"{"amount_usd":250,"destination":"acct-123456"}"#, id: 7))
        #expect(ok.requestID == 7)
        #expect(ok.decision.verdict == .escalate)
        #expect(ok.decision.reasons.map(\.code) == ["approval_required"])
        #expect(ok.decision.policyVersion.count == 64)
        #expect(!ok.decision.decisionID.isEmpty)
        #expect(ok.decision.sideEffect == "payment")

        let big = try c.call(RawClient.check("finance_team", "send_payment", #"{"amount_usd":9000,"destination":"acct-123456"}"#, id: 8))
        #expect(big.decision.verdict == .block)
        #expect(big.decision.reasons.first?.code == "schema_violation")
        #expect(big.decision.reasons.first?.instancePath == "/amount_usd")
        #expect(big.decision.reasons.first?.keyword == "maximum")

        let marketing = try c.call(RawClient.check("marketing_team", "send_payment", #"{"amount_usd":250,"destination":"acct-123456"}"#, id: 9))
        #expect(marketing.decision.verdict == .block)
        #expect(marketing.decision.reasons.map(\.code) == ["tenant_not_allowed"])
        await d.stop()
    }

    @Test("health answers with the serving version")
    func health() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)
        let r = try c.call(Pramagent_V1_Request.with { $0.requestID = 3; $0.health = Pramagent_V1_Health() })
        #expect(r.requestID == 3)
        #expect(r.health.serving)
        #expect(r.health.policyVersion == d.daemon.engine.snapshot?.version)
        await d.stop()
    }

    @Test("pipelined requests are all answered, in order, with their ids")
    func pipelining() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)
        var burst: [UInt8] = []
        for i in 1...500 {
            let args = i % 2 == 0 ? #"{"account":"acct-123456"}"# : #"{"account":"bad"}"#
            burst += try Framing.frame(RawClient.check("finance_team", "get_balance", args, session: "p\(i)", id: UInt64(i * 10)))
        }
        try c.send(raw: burst)
        for i in 1...500 {
            let r = try #require(try c.receive())
            #expect(r.requestID == UInt64(i * 10))
            #expect(r.decision.verdict == (i % 2 == 0 ? .allow : .block))
        }
        await d.stop()
    }

    @Test("zero length: frame_empty, then the connection closes; others keep being served")
    func zeroLength() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let other = try RawClient(ws.decisionSocket)
        let c = try RawClient(ws.decisionSocket)
        try c.send(raw: [0, 0, 0, 0])
        let r = try #require(try c.receive())
        #expect(r.error.code == "frame_empty")
        #expect(try c.isClosedByPeer())
        #expect(try other.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        await d.stop()
    }

    @Test("oversize length: frame_too_large, then close")
    func oversize() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws) { $0.maxFrameSize = 4096 }
        let c = try RawClient(ws.decisionSocket)
        try c.send(raw: [0, 0, 0x10, 0x01] + [UInt8](repeating: 1, count: 100))
        let r = try #require(try c.receive())
        #expect(r.error.code == "frame_too_large")
        #expect(try c.isClosedByPeer())
        let huge = try RawClient(ws.decisionSocket)
        try huge.send(raw: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try huge.receive()?.error.code == "frame_too_large")
        await d.stop()
    }

    @Test("garbage bytes: frame_undecodable, then close")
    func garbage() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)
        try c.send(raw: [0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        let r = try #require(try c.receive())
        #expect(r.error.code == "frame_undecodable")
        #expect(try c.isClosedByPeer())
        await d.stop()
    }

    @Test("invalid UTF-8 in a string field is undecodable")
    func invalidUTF8Field() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)
        // Request{ check_tool_call(2) { tenant(1) = 0xC3 0x28 } }
        let body: [UInt8] = [0x12, 0x04, 0x0A, 0x02, 0xC3, 0x28]
        try c.send(raw: [0, 0, 0, UInt8(body.count)] + body)
        #expect(try c.receive()?.error.code == "frame_undecodable")
        await d.stop()
    }

    @Test("a valid frame of the wrong message: request_empty, connection stays open")
    func wrongMessage() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)
        // HealthStatus{serving} reads as a Request with an id and no kind.
        try c.send(raw: try Framing.frame(Pramagent_V1_HealthStatus.with { $0.serving = true }))
        #expect(try c.receive()?.error.code == "request_empty")
        #expect(try c.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        // With a string in field 2 it cannot be a Request at all.
        try c.send(raw: try Framing.frame(Pramagent_V1_HealthStatus.with { $0.serving = true; $0.policyVersion = "x" }))
        #expect(try c.receive()?.error.code == "frame_undecodable")
        #expect(try c.isClosedByPeer())
        await d.stop()
    }

    @Test("admin requests on the decision socket are refused; the connection stays open")
    func adminOnDecisionSocket() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)
        let r = try c.call(Pramagent_V1_Request.with { $0.requestID = 5; $0.reload = Pramagent_V1_Reload() })
        #expect(r.requestID == 5)
        #expect(r.error.code == "request_not_permitted")
        let s = try c.call(Pramagent_V1_Request.with { $0.requestID = 6; $0.status = Pramagent_V1_Status() })
        #expect(s.error.code == "request_not_permitted")
        let admin = try RawClient(ws.adminSocket)
        let check = try admin.call(RawClient.check("finance_team", "get_balance", "{}"))
        #expect(check.error.code == "request_not_permitted")
        await d.stop()
    }

    @Test("a truncated frame followed by close does not disturb anyone")
    func truncated() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        do {
            let c = try RawClient(ws.decisionSocket)
            try c.send(raw: [0, 0, 0, 100, 1, 2, 3])
        }
        let other = try RawClient(ws.decisionSocket)
        #expect(try other.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        await d.stop()
    }

    @Test("1000 connections opened and dropped; the daemon still serves")
    func connectionChurn() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        for i in 0..<1000 {
            let c = try RawClient(ws.decisionSocket)
            if i % 3 == 0 { try c.send(raw: [0, 0]) }
        }
        let c = try RawClient(ws.decisionSocket)
        #expect(try c.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        try await Task.sleep(for: .milliseconds(200))
        #expect(d.daemon.engine.decisionCount >= 1)
        await d.stop()
    }

    @Test("past --max-connections: too_many_connections, then close; a freed slot is reusable")
    func connectionLimit() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws) { $0.maxConnections = 2 }
        let a = try RawClient(ws.decisionSocket)
        let b = try RawClient(ws.decisionSocket)
        #expect(try a.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        #expect(try b.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        let c = try RawClient(ws.decisionSocket)
        #expect(try c.receive()?.error.code == "too_many_connections")
        #expect(try c.isClosedByPeer())
        // The admin socket has its own budget: operators are never locked out by agents.
        let admin = try RawClient(ws.adminSocket)
        #expect(try admin.call(Pramagent_V1_Request.with { $0.requestID = 1; $0.health = Pramagent_V1_Health() }).health.serving)
        shutdown(a.fd, Int32(SHUT_RDWR))
        try await Task.sleep(for: .milliseconds(100))
        let again = try RawClient(ws.decisionSocket)
        #expect(try again.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#)).decision.verdict == .allow)
        await d.stop()
    }

    @Test("a client that never reads does not delay others")
    func neverReads() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let lazy = try RawClient(ws.decisionSocket)
        let frame = try Framing.frame(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#))
        let burst = Array([[UInt8]](repeating: frame, count: 2_000).joined())
        // Write from another thread: once buffers fill, this write blocks, as a stuck client would.
        let lazyFD = lazy.fd
        let writer = Thread {
            var flags = fcntl(lazyFD, F_GETFL)
            flags |= O_NONBLOCK
            _ = fcntl(lazyFD, F_SETFL, flags)
            for _ in 0..<50 {
                _ = burst.withUnsafeBytes { write(lazyFD, $0.baseAddress, $0.count) }
            }
        }
        writer.start()
        try await Task.sleep(for: .milliseconds(300))
        let other = try RawClient(ws.decisionSocket, timeoutSeconds: 2)
        let start = Date()
        for i in 0..<50 {
            let r = try other.call(RawClient.check("finance_team", "get_balance", #"{"account":"acct-123456"}"#, session: "o\(i)"))
            #expect(r.decision.verdict == .allow)
        }
        #expect(Date().timeIntervalSince(start) < 2)
        await d.stop()
    }

    @Test("hostile arguments JSON gets invalid_arguments with a clear message")
    func hostileArguments() async throws {
        let ws = try Workspace(policies: ["payments.yaml": unlimitedExamplesPolicy])
        let d = try await InProcessDaemon(ws)
        let c = try RawClient(ws.decisionSocket)
        let cases = [
            String(repeating: "[", count: 50_000),
            #"{"account":"acct-123456","account":"acct-999999"}"#,
            "{\"account\":\"" + String(repeating: "9", count: 200_000) + "\"}",
            #"{"account":"acct-123456",}"#,
            #"{"account":"\ud800"}"#,
        ]
        for (i, text) in cases.enumerated() {
            let r = try c.call(RawClient.check("finance_team", "get_balance", text, id: UInt64(i + 1)))
            #expect(r.requestID == UInt64(i + 1))
            #expect(r.decision.verdict == .block)
            #expect(r.decision.reasons.first?.code == "invalid_arguments", "\(r.decision.reasons)")
        }
        await d.stop()
    }
}
