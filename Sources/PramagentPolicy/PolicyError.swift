/// One problem in a policy bundle, pointing at the text that caused it.
public struct PolicyIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable code, e.g. `policy_unknown_key`, `policy_schema`.
    public var code: String
    public var message: String
    public var location: SourceLocation?

    public init(code: String, message: String, location: SourceLocation?) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message) [\(code)]" }
        return "\(message) [\(code)]"
    }
}

/// A bundle was rejected; every problem found is listed.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    public var issues: [PolicyIssue]
    public init(issues: [PolicyIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
