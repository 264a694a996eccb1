import NIOCore
import NIOPosix
import PramagentWire
import Synchronization

/// A pool of pipelined connections to pramagentd's decision socket, used round robin.
public final class PramagentClient: Sendable {
    private let connections: [PramagentConnection]
    private let group: MultiThreadedEventLoopGroup
    private let cursor = Atomic<Int>(0)

    /// Opens `connections` connections to `path`.
    public static func connect(path: String, connections: Int = 1) async throws(PramagentClientError) -> PramagentClient {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var opened: [PramagentConnection] = []
        for _ in 0..<max(1, connections) {
            do {
                opened.append(try await PramagentConnection.connect(path: path, group: group))
            } catch {
                for c in opened { await c.close() }
                try? await group.shutdownGracefully()
                throw error
            }
        }
        return PramagentClient(connections: opened, group: group)
    }

    private init(connections: [PramagentConnection], group: MultiThreadedEventLoopGroup) {
        self.connections = connections
        self.group = group
    }

    private var next: PramagentConnection {
        connections[cursor.add(1, ordering: .relaxed).oldValue % connections.count]
    }

    /// Asks whether a tool call may proceed.
    public func checkToolCall(tenant: String, session: String, tool: String, argumentsJSON: String,
                              operation: String = "") async throws(PramagentClientError) -> Pramagent_V1_Decision {
        try await next.checkToolCall(tenant: tenant, session: session, tool: tool, argumentsJSON: argumentsJSON, operation: operation)
    }

    /// Scans a text (prompt, model output or tool result) by the policy's rules.
    public func scanText(_ text: String, direction: Pramagent_V1_Direction, redact: Bool = false,
                         tenant: String = "", session: String = "") async throws(PramagentClientError) -> Pramagent_V1_ScanResult {
        try await next.scanText(text, direction: direction, redact: redact, tenant: tenant, session: session)
    }

    /// Reports what a tool returned; injection findings taint the session.
    public func reportToolResult(tenant: String, session: String, tool: String, text: String,
                                 redact: Bool = false) async throws(PramagentClientError) -> Pramagent_V1_ScanResult {
        try await next.reportToolResult(tenant: tenant, session: session, tool: tool, text: text, redact: redact)
    }

    public func health() async throws(PramagentClientError) -> Pramagent_V1_HealthStatus {
        try await next.health()
    }

    public func close() async {
        for c in connections { try? await c.channel.close() }
        try? await group.shutdownGracefully()
    }
}
