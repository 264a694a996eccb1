import PramagentDecision
import PramagentPolicy
import PramagentRules
import PramagentWire

extension ToolCallRequest {
    init(_ wire: Pramagent_V1_CheckToolCall) {
        self.init(tenant: wire.tenant, session: wire.session, tool: wire.tool, argumentsJSON: wire.argumentsJson, operation: wire.operation)
    }
}

extension PolicyVerdict {
    var wire: Pramagent_V1_Verdict {
        switch self {
        case .allow: return .allow
        case .escalate: return .escalate
        case .block: return .block
        }
    }
}

extension Pramagent_V1_Decision {
    init(_ decision: ToolCallDecision) {
        self.init()
        verdict = decision.verdict.wire
        policyVersion = decision.policyVersion
        decisionID = decision.decisionID
        sideEffect = decision.sideEffect?.rawValue ?? ""
        reasons = decision.reasons.map(Pramagent_V1_Reason.init)
    }
}

extension Pramagent_V1_Reason {
    init(_ r: DecisionReason) {
        self.init()
        code = r.code.rawValue
        message = r.message
        instancePath = r.instancePath
        keyword = r.keyword
        keywordLocation = r.keywordLocation
        chain = r.chain
        ruleID = r.ruleID
    }
}

extension Pramagent_V1_ScanResult {
    /// The wire form of a scan outcome (also used by `pramagentctl scan --policies`).
    public init(_ outcome: TextScanOutcome) {
        self.init()
        verdict = outcome.verdict.wire
        policyVersion = outcome.policyVersion
        truncated = outcome.truncated
        sessionTainted = outcome.sessionTainted
        redactedText = outcome.redactedText ?? ""
        reasons = outcome.reasons.map(Pramagent_V1_Reason.init)
        findings = outcome.findings.map { f in
            Pramagent_V1_Finding.with {
                $0.ruleID = f.ruleID
                $0.category = f.category
                $0.severity = f.severity.rawValue
                $0.start = UInt32(clamping: f.start)
                $0.end = UInt32(clamping: f.end)
                $0.layers = f.layers
                $0.placeholder = f.placeholder ?? ""
            }
        }
    }
}

extension ScanDirection {
    /// nil for DIRECTION_UNSPECIFIED (the request is refused: the thresholds depend on it).
    init?(_ wire: Pramagent_V1_Direction) {
        switch wire {
        case .input: self = .input
        case .output: self = .output
        case .toolResult: self = .toolResult
        default: return nil
        }
    }
}
