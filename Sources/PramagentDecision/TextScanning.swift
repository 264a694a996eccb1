import Foundation
import JSONSchema
import PramagentPolicy
import PramagentRules

/// The answer to ScanText and ReportToolResult.
public struct TextScanOutcome: Sendable {
    public var verdict: PolicyVerdict
    public var findings: [Finding]
    public var redactedText: String?
    public var truncated: Bool
    public var sessionTainted: Bool
    public var reasons: [DecisionReason]
    public var policyVersion: String
}

extension DecisionEngine {
    /// Scans a text by the policy's rules for `direction`. With `redact`, redactable findings are
    /// replaced in `redactedText` and no longer count toward the verdict. Fails closed: no policy,
    /// no scanning section, or a text over the limit gives BLOCK with a reason.
    public func scanText(_ text: String, direction: ScanDirection, redact: Bool,
                         caller: CallerIdentity = CallerIdentity(uid: UInt32.max, gid: UInt32.max, pid: -1),
                         tenant: String = "", session: String = "") -> TextScanOutcome {
        let snapshot = self.snapshot
        var outcome = evaluateText(text, direction: direction, redact: redact, snapshot: snapshot)
        audit(&outcome, text: text, direction: direction, caller: caller, tenant: tenant, session: session, tool: "", redact: redact)
        return outcome
    }

    /// Hands the outcome to the audit seam; no record, no answer but BLOCK.
    private func audit(_ outcome: inout TextScanOutcome, text: String, direction: ScanDirection, caller: CallerIdentity,
                       tenant: String, session: String, tool: String, redact: Bool) {
        let event = ScanAuditEvent(scanID: nextDecisionID(), timeNanos: clock.wallNanos(), caller: caller, tenant: tenant,
                                   session: session, tool: tool, direction: direction.rawValue,
                                   text: text,
                                   verdict: outcome.verdict, reasonCodes: outcome.reasons.map(\.code.rawValue),
                                   ruleIDs: outcome.findings.map(\.ruleID), policyVersion: outcome.policyVersion,
                                   sessionTainted: outcome.sessionTainted, redacted: redact)
        if case .unavailable(let why) = self.audit.recordScan(event) {
            outcome.verdict = .block
            outcome.redactedText = nil
            outcome.reasons.append(DecisionReason(code: .auditUnavailable, message: "the scan cannot be recorded: \(why)"))
        }
    }

    /// The scan itself, on one snapshot (a request finishes on the snapshot it started with).
    func evaluateText(_ text: String, direction: ScanDirection, redact: Bool, snapshot: PolicySnapshot?) -> TextScanOutcome {
        var outcome = TextScanOutcome(verdict: .allow, findings: [], redactedText: nil, truncated: false, sessionTainted: false,
                                      reasons: [], policyVersion: snapshot?.version ?? "")
        guard let snapshot else {
            outcome.verdict = .block
            outcome.reasons = [DecisionReason(code: .policyUnavailable, message: "no policy is loaded; nothing can be declared safe")]
            return outcome
        }
        guard let scanning = snapshot.scanning else {
            outcome.verdict = .block
            outcome.reasons = [DecisionReason(code: .scanningDisabled, message: "the policy has no scanning section; add `scanning: {corpora: [all]}`")]
            return outcome
        }
        let bytes = Array(text.utf8)
        guard bytes.count <= scanning.maxTextBytes else {
            outcome.verdict = .block
            outcome.reasons = [DecisionReason(code: .textTooLarge, message: "text is \(bytes.count) bytes; the policy allows \(scanning.maxTextBytes)")]
            return outcome
        }
        let report = scanning.text.scan(bytes)
        outcome.findings = report.findings
        outcome.truncated = report.truncated
        var counted = report.findings
        if redact {
            outcome.redactedText = report.redact(bytes)
            counted = counted.filter { $0.placeholder == nil }
        }
        let thresholds = scanning.thresholds[direction] ?? ScanningPolicy.defaultThresholds[direction]!
        outcome.verdict = thresholds.verdict(for: counted)
        if let worst = counted.max(by: { $0.severity < $1.severity }), outcome.verdict != .allow {
            var reason = DecisionReason(code: .unsafeText,
                                        message: "\(counted.count) finding(s) in the \(direction.rawValue); worst: \(worst.ruleID) (\(worst.category), \(worst.severity.rawValue))")
            reason.ruleID = worst.ruleID
            outcome.reasons.append(reason)
        }
        if report.truncated {
            if outcome.verdict < .escalate { outcome.verdict = .escalate }
            outcome.reasons.append(DecisionReason(code: .scanTruncated, message: "a scan limit was reached; not every match was examined"))
        }
        return outcome
    }

    /// Scans a tool's result; findings in the policy's taint categories taint the session, so the
    /// chain step `tainted` (built-in chain `tainted_then_external`) applies to later calls.
    public func reportToolResult(tenant: String, session: String, tool: String, text: String, redact: Bool,
                                 caller: CallerIdentity = CallerIdentity(uid: UInt32.max, gid: UInt32.max, pid: -1)) -> TextScanOutcome {
        let snapshot = self.snapshot
        var outcome = evaluateText(text, direction: .toolResult, redact: redact, snapshot: snapshot)
        if let callers = snapshot?.callers, !tenant.isEmpty, !callers.mayActFor(uid: caller.uid, gid: caller.gid, tenant: tenant) {
            // Only a caller that may act for the tenant may taint its sessions.
            outcome.verdict = .block
            outcome.reasons.append(DecisionReason(code: .callerNotAllowed,
                                                  message: "caller uid \(caller.uid) may not act for tenant \"\(tenant)\"; the session is not tainted"))
        } else {
            taint(&outcome, tenant: tenant, session: session, snapshot: snapshot)
        }
        audit(&outcome, text: text, direction: .toolResult, caller: caller, tenant: tenant, session: session, tool: tool, redact: redact)
        return outcome
    }

    private func taint(_ outcome: inout TextScanOutcome, tenant: String, session: String, snapshot: PolicySnapshot?) {
        guard let snapshot, let scanning = snapshot.scanning, !tenant.isEmpty, !session.isEmpty else { return }
        let taints = outcome.findings.contains { scanning.taintCategories.contains($0.category) } || outcome.truncated
        guard taints else { return }
        let defaults = snapshot.defaults
        let now = clock.monotonicSeconds()
        let recorded: Bool? = sessions.withSession(tenant: tenant, session: session, now: now, idleSeconds: defaults.sessionIdleSeconds,
                                            maxSessions: defaults.maxSessions) { state in
            state.history.append(SessionCall(toolID: ChainStep.taintEventID, sideEffect: .read, time: now), capacity: defaults.sessionHistory)
            return true
        }
        if recorded == nil {
            // The taint could not be remembered: fail closed on this result.
            outcome.verdict = .block
            outcome.reasons.append(DecisionReason(code: .sessionCapacity, message: "the session table is full; the taint could not be recorded"))
        } else {
            outcome.sessionTainted = true
        }
    }

    /// Step 4b: every string in the arguments (and every key) through the argument rules, and,
    /// for tools at or above the leak threshold, through the secret and PII rules.
    func scanArguments(_ arguments: JSONValue, _ tool: ToolPolicy, _ scanning: ScanningPolicy, _ decision: inout ToolCallDecision) {
        let leakCheck = tool.sideEffect >= scanning.leakSideEffect && !scanning.leak.isEmpty
        guard !scanning.arguments.isEmpty || leakCheck else { return }
        // Every string value, depth first; their JSON Pointers are built only for findings.
        var texts: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let s): texts.append(s)
            case .array(let items): for item in items { collect(item) }
            case .object(let o): for item in o.values { collect(item) }
            default: break
            }
        }
        collect(arguments)
        guard !texts.isEmpty else { return }
        var pathCache: [String]?
        func path(_ index: Int) -> String {
            if pathCache == nil {
                var paths: [String] = []
                func walk(_ value: JSONValue, _ path: String) {
                    switch value {
                    case .string: paths.append(path)
                    case .array(let items): for (i, item) in items.enumerated() { walk(item, path + "/" + String(i)) }
                    case .object(let o):
                        for (key, item) in zip(o.keys, o.values) {
                            // RFC 6901 escaping.
                            let escaped = String(key.flatMap { c -> [Character] in c == "~" ? ["~", "0"] : c == "/" ? ["~", "1"] : [c] })
                            walk(item, path + "/" + escaped)
                        }
                    default: break
                    }
                }
                walk(arguments, "")
                pathCache = paths
            }
            return pathCache![index]
        }
        // One scan per engine for all strings: joined with NUL bytes (which no rule spans with
        // \s, and which the views keep), findings attributed to the string they start in.
        var joined: [UInt8] = []
        var offsets: [Int] = []
        for text in texts {
            offsets.append(joined.count)
            joined += text.utf8
            joined.append(0)
        }
        func attribute(_ scan: ScanReport, code: ReasonCode, thresholds: ScanThresholds) {
            guard !scan.findings.isEmpty || scan.truncated else { return }
            var byString: [Int: [Finding]] = [:]
            for f in scan.findings {
                var lo = 0, hi = offsets.count - 1
                while lo < hi { let mid = (lo + hi + 1) / 2; if offsets[mid] <= f.start { lo = mid } else { hi = mid - 1 } }
                byString[lo, default: []].append(f)
            }
            if scan.truncated && byString.isEmpty { byString[0] = [] }
            for index in byString.keys.sorted() {
                report(ScanReport(findings: byString[index]!, truncated: scan.truncated), code: code, thresholds: thresholds,
                       path(index), &decision)
            }
        }
        if !scanning.arguments.isEmpty {
            attribute(scanning.arguments.scan(joined), code: .argumentInjection, thresholds: scanning.argumentThresholds)
        }
        if leakCheck {
            attribute(scanning.leak.scan(joined), code: .dataLeak, thresholds: scanning.leakThresholds)
        }
    }

    private func report(_ scan: ScanReport, code: ReasonCode, thresholds: ScanThresholds, _ path: String, _ decision: inout ToolCallDecision) {
        var verdict = thresholds.verdict(for: scan.findings)
        if scan.truncated && verdict < .escalate { verdict = .escalate }
        guard verdict != .allow, let worst = scan.findings.max(by: { $0.severity < $1.severity }) else { return }
        let what = code == .dataLeak ? "would send out" : "carries"
        var reason = DecisionReason(code: code, message: "argument \(path.isEmpty ? "/" : path) \(what) \(worst.category) (\(worst.ruleID), \(worst.severity.rawValue))")
        reason.ruleID = worst.ruleID
        reason.instancePath = path
        add(&decision, verdict, reason)
    }
}
