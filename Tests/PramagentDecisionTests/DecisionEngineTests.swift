import JSONSchema
import Synchronization
import Testing
@testable import PramagentDecision
@testable import PramagentPolicy

/// A clock the test moves by hand.
final class ManualClock: DecisionClock {
    private let now = Mutex<Double>(1_000)
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
    func monotonicSeconds() -> Double { now.withLock { $0 } }
    func wallNanos() -> UInt64 { UInt64(monotonicSeconds() * 1e9) }
}

/// Keeps every audit event.
final class RecordingSink: AuditSink {
    let events = Mutex<[AuditEvent]>([])
    let full = Atomic<Bool>(false)
    func record(_ event: AuditEvent) -> AuditReceipt {
        if full.load(ordering: .relaxed) { return .unavailable("spool full") }
        return .spooled(UInt64(events.withLock { $0.append(event); return $0.count }))
    }
    func waitDurable(_ receipt: AuditReceipt, timeout: Double, _ done: @escaping @Sendable (Bool) -> Void) { done(true) }
    func recordLifecycle(_ event: LifecycleEvent) {}
}

@Suite("Decision pipeline")
struct DecisionEngineTests {
    static let bundle = """
    defaults:
      sessions: { idle_seconds: 60, max_sessions: 16, history: 8 }
    tenants:
      acme: { rate: { per_second: 1, burst: 3 } }
      quota_co: { quota: { calls: 2, window_seconds: 10 } }
    callers:
      - uid: 1000
        tenants: [acme, quota_co, other]
      - gid: 2000
        tenants: [acme]
    tools:
      read_doc:
        side_effect: read
        tenants: [acme, quota_co, other]
        schema: { required: [id], properties: { id: { type: integer, maximum: 10 } }, additionalProperties: false }
      write_doc: { side_effect: write, tenants: [acme, other] }
      email: { side_effect: external_message, tenants: [acme, other] }
      pay: { side_effect: payment, tenants: [acme, other], action: escalate }
      nuke: { side_effect: destructive, tenants: [acme, other], action: block }
      configure: { side_effect: config_change, tenants: [acme, other] }
      limited: { side_effect: compute, tenants: [acme, other], limits: { per_session: 2 } }
      ops: { side_effect: read, tenants: [other], operations: [get, list] }
    """

    let clock = ManualClock()
    let sink = RecordingSink()
    let engine: DecisionEngine
    let user = CallerIdentity(uid: 1000, gid: 1000, pid: 42)

    init() throws {
        let snapshot = try PolicyLoader().load(files: [(name: "p.yaml", text: Self.bundle)])
        engine = DecisionEngine(snapshot: snapshot, clock: clock, audit: sink)
    }

    func decide(_ tool: String, _ args: String = "{}", tenant: String = "other", session: String = "s",
                operation: String = "", caller: CallerIdentity? = nil) -> ToolCallDecision {
        engine.decide(ToolCallRequest(tenant: tenant, session: session, tool: tool, argumentsJSON: args, operation: operation),
                      caller: caller ?? user)
    }

    func codes(_ d: ToolCallDecision) -> [String] { d.reasons.map(\.code.rawValue) }

    @Test("an allowed call has no reasons and is audited with everything a record needs")
    func allow() throws {
        let d = decide("read_doc", #"{"id":3}"#)
        #expect(d.verdict == .allow)
        #expect(d.reasons.isEmpty)
        #expect(d.sideEffect == .read)
        #expect(d.decisionID.hasPrefix("d-"))
        let event = try #require(sink.events.withLock { $0.last })
        #expect(event.decisionID == d.decisionID)
        #expect(event.caller == user)
        #expect(event.request.argumentsJSON == #"{"id":3}"#)
        #expect(event.arguments?["id"] == .number(JSONNumber(3)))
        #expect(event.policyVersion == d.policyVersion)
        #expect(event.verdict == .allow)
    }

    @Test("when the audit seam cannot keep the record, the decision fails closed")
    func auditUnavailable() {
        sink.full.store(true, ordering: .relaxed)
        let d = decide("read_doc", #"{"id":1}"#, session: "au")
        #expect(d.verdict == .block)
        #expect(codes(d) == ["audit_unavailable"])
        sink.full.store(false, ordering: .relaxed)
        let ok = decide("write_doc", "{}", session: "au2")
        #expect(ok.verdict == .allow)
        #expect(ok.needsDurableRecord)
        #expect(ok.audit != .notRecorded)
        #expect(!decide("read_doc", #"{"id":1}"#, session: "au3").needsDurableRecord)
    }

    @Test("decision ids are unique")
    func uniqueIDs() {
        let ids = (0..<100).map { _ in decide("read_doc", #"{"id":1}"#, session: "u").decisionID }
        #expect(Set(ids).count == 100)
    }

    @Test("caller identity decides which tenants may be spoken for")
    func callers() {
        #expect(codes(decide("read_doc", #"{"id":1}"#, caller: CallerIdentity(uid: 5, gid: 5, pid: 1))) == ["caller_not_allowed"])
        #expect(codes(decide("read_doc", #"{"id":1}"#, tenant: "evil")) == ["caller_not_allowed"])
        // Mapped by group only.
        #expect(decide("read_doc", #"{"id":1}"#, tenant: "acme", caller: CallerIdentity(uid: 5, gid: 2000, pid: 1)).verdict == .allow)
        #expect(codes(decide("read_doc", #"{"id":1}"#, tenant: "other", caller: CallerIdentity(uid: 5, gid: 2000, pid: 1))) == ["caller_not_allowed"])
    }

    @Test("every pipeline reason code", arguments: [
        ("", "{}", "other", "", ["invalid_request"]),
        ("ghost", "{}", "other", "", ["unknown_tool"]),
        ("ops", "{}", "acme", "get", ["tenant_not_allowed"]),
        ("ops", "{}", "other", "delete", ["operation_not_allowed"]),
        ("ops", "{}", "other", "", ["operation_not_allowed"]),
        ("read_doc", #"{"id":1,}"#, "other", "", ["invalid_arguments"]),
        ("read_doc", "[1]", "other", "", ["invalid_arguments"]),
        ("read_doc", #"{"id":11}"#, "other", "", ["schema_violation"]),
        ("pay", "{}", "other", "", ["approval_required"]),
        ("nuke", "{}", "other", "", ["tool_blocked"]),
    ])
    func reasonCodes(tool: String, args: String, tenant: String, operation: String, expected: [String]) {
        let d = decide(tool, args, tenant: tenant, session: "codes-\(tool)-\(operation)", operation: operation)
        #expect(codes(d) == expected, "\(d.reasons)")
        #expect(d.verdict == (expected == ["approval_required"] ? .escalate : .block))
    }

    @Test("schema violations carry the instance path and keyword")
    func schemaReason() throws {
        let d = decide("read_doc", #"{"id":11}"#)
        let r = try #require(d.reasons.first)
        #expect(r.instancePath == "/id")
        #expect(r.keyword == "maximum")
        #expect(r.keywordLocation == "/properties/id/maximum")
    }

    @Test("hostile argument JSON is invalid_arguments, never a crash",
          arguments: [String(repeating: "[", count: 10_000), #"{"a":1,"a":2}"#, "{\"a\":\"\u{FFFD}\"} trailing",
                      "{\"a\":\"" + String(repeating: "x", count: 70_000) + "\"}", "NaN", ""])
    func hostileArguments(_ text: String) {
        let d = decide("write_doc", text, session: "hostile")
        if text.isEmpty { #expect(d.verdict == .allow) } else { #expect(codes(d) == ["invalid_arguments"]) }
    }

    @Test("tenant token bucket: burst, then rate_limited, then refilled")
    func rateLimit() {
        for i in 0..<3 { #expect(decide("read_doc", #"{"id":1}"#, tenant: "acme", session: "r\(i)").verdict == .allow) }
        #expect(codes(decide("read_doc", #"{"id":1}"#, tenant: "acme", session: "r9")) == ["rate_limited"])
        clock.advance(1.01)
        #expect(decide("read_doc", #"{"id":1}"#, tenant: "acme", session: "r10").verdict == .allow)
    }

    @Test("tenant quota: fixed window")
    func quota() {
        #expect(decide("read_doc", #"{"id":1}"#, tenant: "quota_co", session: "q1").verdict == .allow)
        #expect(decide("read_doc", #"{"id":1}"#, tenant: "quota_co", session: "q2").verdict == .allow)
        #expect(codes(decide("read_doc", #"{"id":1}"#, tenant: "quota_co", session: "q3")) == ["quota_exceeded"])
        clock.advance(10)
        #expect(decide("read_doc", #"{"id":1}"#, tenant: "quota_co", session: "q4").verdict == .allow)
    }

    @Test("per-session tool limit; other sessions are unaffected")
    func sessionLimit() {
        #expect(decide("limited", session: "a").verdict == .allow)
        #expect(decide("limited", session: "a").verdict == .allow)
        #expect(codes(decide("limited", session: "a")) == ["session_limit"])
        #expect(decide("limited", session: "b").verdict == .allow)
    }

    @Test("built-in dangerous chains", arguments: [
        (["read_doc"], "email", "data_exfiltration"),
        (["read_doc"], "pay", "read_then_payment"),
        (["write_doc", "write_doc"], "write_doc", "repeated_writes"),
        (["read_doc", "write_doc"], "pay", "privilege_escalation"),
        (["configure"], "nuke", "config_then_destructive"),
        (["write_doc"], "email", "write_then_external_message"),
        (["email", "email"], "email", "message_burst"),
    ])
    func chains(before: [String], last: String, chain: String) {
        let session = "chain-\(chain)"
        for tool in before { _ = decide(tool, tool == "read_doc" ? #"{"id":1}"# : "{}", session: session) }
        let d = decide(last, "{}", session: session)
        #expect(d.reasons.contains { $0.code == .dangerousChain && $0.chain == chain }, "\(d.reasons)")
        #expect(d.verdict >= .escalate)
        // The same last call in a fresh session does not complete that chain.
        let fresh = decide(last, "{}", session: session + "-fresh")
        #expect(!fresh.reasons.contains { $0.chain == chain })
    }

    @Test("blocked calls are not remembered in the session history")
    func blockedNotRecorded() {
        _ = decide("read_doc", #"{"id":99}"#, session: "nr") // schema violation: blocked
        let d = decide("email", "{}", session: "nr")
        #expect(!d.reasons.contains { $0.code == .dangerousChain })
    }

    @Test("session capacity fails closed; idle sessions free room")
    func capacity() throws {
        let snapshot = try PolicyLoader().load(files: [(name: "p.yaml", text: """
        defaults: { sessions: { idle_seconds: 60, max_sessions: 16 } }
        callers: [ { uid: 1, tenants: [t] } ]
        tools: { r: { side_effect: read, tenants: [t] } }
        """)])
        let clock = ManualClock()
        let engine = DecisionEngine(snapshot: snapshot, clock: clock)
        let caller = CallerIdentity(uid: 1, gid: 1, pid: 1)
        var refused = 0
        for i in 0..<200 {
            let d = engine.decide(ToolCallRequest(tenant: "t", session: "s\(i)", tool: "r", argumentsJSON: "{}"), caller: caller)
            if d.reasons.contains(where: { $0.code == .sessionCapacity }) { refused += 1; #expect(d.verdict == .block) }
        }
        #expect(refused > 0)
        #expect(engine.sessionCount <= 16)
        clock.advance(61)
        let later = engine.decide(ToolCallRequest(tenant: "t", session: "new", tool: "r", argumentsJSON: "{}"), caller: caller)
        #expect(later.verdict == .allow)
    }

    @Test("no policy: every call is blocked with policy_unavailable")
    func noPolicy() {
        let engine = DecisionEngine(snapshot: nil)
        let d = engine.decide(ToolCallRequest(tenant: "a", session: "b", tool: "c", argumentsJSON: "{}"), caller: user)
        #expect(d.verdict == .block)
        #expect(codes(d) == ["policy_unavailable"])
    }

    @Test("unknown_tool follows the bundle's default")
    func unknownToolDefault() throws {
        let snapshot = try PolicyLoader().load(files: [(name: "p.yaml", text: """
        defaults: { unknown_tool: escalate }
        callers: [ { uid: 1, tenants: [t] } ]
        tools: { r: { side_effect: read, tenants: [t] } }
        """)])
        let d = DecisionEngine(snapshot: snapshot).decide(ToolCallRequest(tenant: "t", session: "s", tool: "zzz", argumentsJSON: "{}"),
                                                           caller: CallerIdentity(uid: 1, gid: 1, pid: 1))
        #expect(d.verdict == .escalate)
        #expect(codes(d) == ["unknown_tool"])
    }

    @Test("installing a snapshot under concurrent load: every answer is from one of the two versions and correct")
    func concurrentInstall() async throws {
        let a = try PolicyLoader().load(files: [(name: "p.yaml", text: Self.bundle)])
        let b = try PolicyLoader().load(files: [(name: "p.yaml", text: Self.bundle + "\n# v2\n")])
        let engine = DecisionEngine(snapshot: a)
        let caller = user
        await withTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var bad = 0
                    for i in 0..<2_000 {
                        let d = engine.decide(ToolCallRequest(tenant: "other", session: "w\(worker)-\(i % 4)", tool: "read_doc",
                                                              argumentsJSON: #"{"id":1}"#), caller: caller)
                        if d.verdict != .allow || (d.policyVersion != a.version && d.policyVersion != b.version) { bad += 1 }
                    }
                    return bad
                }
            }
            group.addTask {
                for i in 0..<200 { engine.install(i % 2 == 0 ? b : a) }
                return 0
            }
            var bad = 0
            for await n in group { bad += n }
            #expect(bad == 0)
        }
    }
}

@Suite("Policy test runner")
struct PolicyTestRunnerTests {
    @Test("failing expectations are reported with their location")
    func failures() throws {
        let snapshot = try PolicyLoader().load(files: [(name: "p.yaml", text: "callers: [ { uid: 0, tenants: [t] } ]\ntools: { r: { side_effect: read, tenants: [t] } }\n")])
        let cases = try PolicyTestLoader.parse("""
        cases:
          - name: passes
            request: { tenant: t, tool: r }
            expect: { verdict: allow, reasons: [] }
          - name: fails
            request: { tenant: t, tool: r }
            expect: { verdict: block }
        """, file: "t.yaml")
        let summary = PolicyTestRunner.run(cases, on: snapshot)
        #expect(summary.passed == 1)
        #expect(summary.failures.count == 1)
        #expect(summary.failures.first?.location.line == 6)
        #expect(summary.failures.first?.message.contains("expected block, got allow") == true)
    }
}
