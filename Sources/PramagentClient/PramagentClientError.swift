/// Everything that can go wrong talking to pramagentd.
public enum PramagentClientError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The socket could not be connected (missing, permission denied, nobody listening).
    case connectFailed(path: String, reason: String)
    /// The connection closed before the answer arrived.
    case connectionClosed
    /// The daemon answered with an `Error` (code from docs/protocol.md).
    case server(code: String, message: String)
    /// The daemon answered with a different kind of response than the request calls for.
    case unexpectedResponse(String)
    /// No answer within the deadline.
    case timeout
    /// The request could not be encoded.
    case encoding(String)

    public var description: String {
        switch self {
        case .connectFailed(let path, let reason): return "cannot connect to \(path): \(reason)"
        case .connectionClosed: return "the connection closed before the answer arrived"
        case .server(let code, let message): return "\(code): \(message)"
        case .unexpectedResponse(let what): return "unexpected response: \(what)"
        case .timeout: return "no answer before the deadline"
        case .encoding(let what): return "cannot encode the request: \(what)"
        }
    }
}
