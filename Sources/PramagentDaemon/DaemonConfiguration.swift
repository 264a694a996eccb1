/// Everything pramagentd needs to start.
public struct DaemonConfiguration: Sendable {
    public var decisionSocket = "/run/pramagent/decision.sock"
    public var adminSocket = "/run/pramagent/admin.sock"
    public var policiesDirectory = "/etc/pramagent/policies"
    public var stateDirectory = "/var/lib/pramagent"
    /// File mode of the decision socket (agents connect here).
    public var decisionSocketMode: UInt32 = 0o660
    /// File mode of the admin socket (operators only).
    public var adminSocketMode: UInt32 = 0o600
    /// Group owning the decision socket, if set.
    public var decisionSocketGroup: String?
    /// Group owning the admin socket, if set.
    public var adminSocketGroup: String?
    public var maxFrameSize = 1 << 20
    public var maxConnections = 4_096
    /// Event loop threads (default: one per core).
    public var threads = 0
    /// How long SIGTERM waits for in-flight requests before closing connections.
    public var drainSeconds = 5.0
    /// How long a write-class ALLOW waits for its audit record to be durable before it becomes
    /// BLOCK `audit_unavailable`.
    public var auditTimeoutSeconds = 1.0

    public init() {}
}
