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

    public func health() async throws(PramagentClientError) -> Pramagent_V1_HealthStatus {
        try await next.health()
    }

    public func close() async {
        for c in connections { try? await c.channel.close() }
        try? await group.shutdownGracefully()
    }
}
