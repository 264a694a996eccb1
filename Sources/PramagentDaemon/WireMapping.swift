import PramagentDecision
import PramagentPolicy
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
        reasons = decision.reasons.map { r in
            var w = Pramagent_V1_Reason()
            w.code = r.code.rawValue
            w.message = r.message
            w.instancePath = r.instancePath
            w.keyword = r.keyword
            w.keywordLocation = r.keywordLocation
            w.chain = r.chain
            return w
        }
    }
}
