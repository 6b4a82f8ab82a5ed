public import LMStudioProtocol

/// The one error type the SDK throws.
///
/// ``code`` says what kind of failure it is; for failures the server reported,
/// ``serverError`` carries its structured error (title, cause, suggestion, display data),
/// and ``endpoint`` names the call that failed. ``underlying`` holds the lower-level cause
/// (a transport error, a decoding error) when there is one. Descriptions never contain API
/// tokens or passkeys.
public struct LMStudioError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// The API token is malformed (checked before any network I/O).
        case invalidToken
        /// The host string could not be parsed.
        case invalidHost
        /// An argument was invalid (for example an empty model key).
        case invalidArgument
        /// No LM Studio answered on any of the default local ports.
        case noServerFound
        /// The connection could not be made (refused, DNS, TLS, handshake rejected).
        case connectionFailed
        /// The connection dropped while the call was in flight.
        case connectionLost
        /// The server rejected the client's credentials.
        case authenticationFailed
        /// A deadline passed (connect, call, first token, idle, total).
        case timeout
        /// The calling task was cancelled.
        case cancelled
        /// The model was not found (`generic.noModelMatchingQuery`, `generic.pathNotFound`).
        case modelNotFound
        /// The preset was not found (`generic.presetNotFound`).
        case presetNotFound
        /// Any other server error; the associated value is its `displayData.code`, verbatim.
        case serverError(String?)
        /// The server sent something the SDK could not interpret.
        case protocolViolation
        /// A message exceeded the configured size limit.
        case messageTooBig
        /// The default client was configured after it had been created.
        case alreadyConfigured
        /// The client was closed.
        case clientClosed
        /// A tool failed or was asked for with invalid arguments (see `act`).
        case toolFailure
        /// A structured-output reply did not parse as JSON or did not decode as the requested
        /// type; ``LMStudioError/rawOutput`` holds the reply.
        case invalidStructuredOutput

        public var description: String {
            switch self {
            case .invalidToken: "invalid token"
            case .invalidHost: "invalid host"
            case .invalidArgument: "invalid argument"
            case .noServerFound: "no server found"
            case .connectionFailed: "connection failed"
            case .connectionLost: "connection lost"
            case .authenticationFailed: "authentication failed"
            case .timeout: "timeout"
            case .cancelled: "cancelled"
            case .modelNotFound: "model not found"
            case .presetNotFound: "preset not found"
            case .serverError(let code): code.map { "server error (\($0))" } ?? "server error"
            case .protocolViolation: "protocol violation"
            case .messageTooBig: "message too big"
            case .alreadyConfigured: "already configured"
            case .clientClosed: "client closed"
            case .toolFailure: "tool failure"
            case .invalidStructuredOutput: "invalid structured output"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The server's structured error, when the server reported the failure.
    public var serverError: SerializedError?
    /// The endpoint (RPC or channel) that failed, when known.
    public var endpoint: String?
    /// The lower-level cause, when there is one.
    public var underlying: (any Error & Sendable)?
    /// The model's raw reply, for ``Code/invalidStructuredOutput``.
    public var rawOutput: String?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, serverError: SerializedError? = nil, endpoint: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.serverError = serverError
        self.endpoint = endpoint
        self.underlying = underlying
    }

    /// Maps a server-reported error to its code, keeping the server's details.
    init(server error: SerializedError, endpoint: String?) {
        let code: Code
        switch error.kind {
        case .modelNotFound: code = .modelNotFound
        case .presetNotFound: code = .presetNotFound
        case .other(let displayCode): code = .serverError(displayCode)
        }
        self.init(code, error.formattedDescription(endpoint: endpoint), serverError: error, endpoint: endpoint)
    }

    /// The message, in the multi-line format the Python SDK uses for server errors.
    public var description: String {
        if serverError != nil { return message }
        var text = message
        if let endpoint { text += " [\(endpoint)]" }
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
