/// Why a transport operation failed. Every failure of the websocket and HTTP layers is one of
/// these cases; none of them carries message payloads or credentials.
package enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL could not be used (unknown scheme, missing host, bad port).
    case invalidURL(String)
    /// Nothing accepted the TCP connection.
    case connectionRefused(host: String, port: Int)
    /// The host name did not resolve.
    case dnsFailure(host: String)
    /// The TLS handshake failed (certificate not trusted, wrong host name, protocol error).
    case tlsFailure(String)
    /// The server answered the websocket upgrade with an HTTP status other than 101.
    case handshakeRejected(status: Int)
    /// The connection attempt failed for another reason; the text is lws's.
    case connectFailed(String)
    /// The peer closed the websocket with a code other than 1000 (or 1001).
    case closedByPeer(code: UInt16, reason: String)
    /// The connection died without a close handshake.
    case connectionLost
    /// An operation or the keep-alive deadline expired; the text says which.
    case timedOut(String)
    /// An incoming message was larger than the configured limit.
    case messageTooBig(limit: Int)
    /// The connection or its event loop was closed locally.
    case closed
    /// The waiting task was cancelled.
    case cancelled
    /// The event loop could not start (lws context creation failed, bind failed).
    case startFailed(String)

    package var description: String {
        switch self {
        case .invalidURL(let why): "invalid URL: \(why)"
        case .connectionRefused(let host, let port): "connection refused by \(host):\(port)"
        case .dnsFailure(let host): "could not resolve host \(host)"
        case .tlsFailure(let why): "TLS handshake failed: \(why)"
        case .handshakeRejected(let status): "websocket handshake rejected with HTTP status \(status)"
        case .connectFailed(let why): "connection failed: \(why)"
        case .closedByPeer(let code, let reason):
            reason.isEmpty ? "closed by peer (code \(code))" : "closed by peer (code \(code): \(reason))"
        case .connectionLost: "connection lost"
        case .timedOut(let what): "timed out: \(what)"
        case .messageTooBig(let limit): "incoming message exceeds the \(limit)-byte limit"
        case .closed: "connection closed"
        case .cancelled: "cancelled"
        case .startFailed(let why): "transport could not start: \(why)"
        }
    }
}
