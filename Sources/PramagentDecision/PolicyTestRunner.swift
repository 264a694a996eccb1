import PramagentPolicy

/// Runs policy test cases against a snapshot, each on a fresh engine.
public enum PolicyTestRunner {
    public struct Failure: Sendable, CustomStringConvertible {
        public var caseName: String
        public var location: SourceLocation
        public var message: String
        public var description: String { "\(location): \(caseName): \(message)" }
    }

    public struct Summary: Sendable {
        public var passed: Int
        public var failures: [Failure]
    }

    public static func run(_ cases: [PolicyTestCase], on snapshot: PolicySnapshot) -> Summary {
        var passed = 0
        var failures: [Failure] = []
        for testCase in cases {
            let engine = DecisionEngine(snapshot: snapshot)
            let caller = CallerIdentity(uid: testCase.uid, gid: testCase.gid, pid: 0)
            var failed = false
            for (i, step) in testCase.steps.enumerated() {
                let decision = engine.decide(ToolCallRequest(tenant: step.tenant, session: step.session, tool: step.tool,
                                                             argumentsJSON: step.argumentsJSON, operation: step.operation), caller: caller)
                let codes = decision.reasons.map(\.code.rawValue)
                var problems: [String] = []
                if decision.verdict != step.expectedVerdict {
                    problems.append("expected \(step.expectedVerdict.rawValue), got \(decision.verdict.rawValue)")
                }
                if let expected = step.expectedReasons, expected != codes {
                    problems.append("expected reasons [\(expected.joined(separator: ", "))], got [\(codes.joined(separator: ", "))]")
                }
                if let chain = step.expectedChain, !decision.reasons.contains(where: { $0.chain == chain }) {
                    problems.append("expected dangerous chain \(chain)")
                }
                if !problems.isEmpty {
                    let detail = decision.reasons.map { "\($0.code.rawValue): \($0.message)" }.joined(separator: "; ")
                    failures.append(Failure(caseName: testCase.name + (testCase.steps.count > 1 ? " (step \(i + 1))" : ""),
                                            location: step.location,
                                            message: problems.joined(separator: "; ") + (detail.isEmpty ? "" : " — \(detail)")))
                    failed = true
                    break
                }
            }
            if !failed { passed += 1 }
        }
        return Summary(passed: passed, failures: failures)
    }
}
