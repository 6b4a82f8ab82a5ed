public import LMStudioProtocol

extension MockServer {
    /// How a mock server is set up: where it listens, who may connect, what it serves and how
    /// it behaves.
    ///
    /// ```swift
    /// var configuration = MockServer.Configuration()
    /// configuration.apiToken = "sk-lm-abcDEF78:abcDEF7890abcDEF7890"
    /// configuration.behavior.defaultReply = "Paris."
    /// try await MockServer.withServer(configuration: configuration) { server in … }
    /// ```
    public struct Configuration: Sendable {
        /// The address the live listener binds to. Defaults to `127.0.0.1`.
        public var host: String = "127.0.0.1"
        /// The TCP port; `0` (the default) lets the system choose one (see ``MockServer/port``).
        public var port: Int = 0
        /// An API token every client must present, in the `sk-lm-<id>:<key>` format; `nil`
        /// (the default) admits guest clients.
        ///
        /// Connections with other credentials receive
        /// `{"success":false,"error":"…"}` and are closed.
        public var apiToken: String?
        /// The downloaded models; see ``Model/defaults``.
        public var models: [Model] = Model.defaults
        /// Models the `repository` namespace finds and can download (the hub); downloading
        /// one adds it to the downloaded catalogue.
        public var repositoryModels: [Model] = [
            Model(
                kind: .llm, modelKey: "gemma-3-270m-it", displayName: "Gemma 3 270M Instruct",
                path: "lmstudio-community/gemma-3-270m-it-GGUF/gemma-3-270m-it-Q4_K_M.gguf", sizeBytes: 253_000_000,
                paramsString: "270M", architecture: "gemma3"
            )
        ]
        /// Preset identifiers that `fuzzyPresetIdentifier` may name; any other name fails with
        /// `generic.presetNotFound`.
        public var presets: [String] = []
        /// How long a connection may wait before sending a valid authentication packet.
        public var authenticationTimeout: Duration = .seconds(10)
        /// What `system.version` reports.
        public var version: String = "0.3.31"
        /// The build number `system.version` reports.
        public var build: Int = 7
        /// Scripted behaviour: replies, pacing, faults.
        public var behavior: Behavior = Behavior()
        /// Whether received messages are kept for ``MockServer/receivedMessages``. Turn it off for
        /// long benchmark runs, where the record would only grow.
        public var recordsMessages: Bool = true
        /// How long the server's network thread keeps polling instead of sleeping after it last
        /// had work; `nil` (the default) always sleeps when idle. Benchmarks turn it on so that
        /// a client's next request is read without waking the thread (about 20 µs each on a
        /// virtual machine), at the price of CPU time spent polling inside the window.
        public var busyPollWindow: Duration?

        /// Creates the default configuration: guests admitted, default catalogue, port 0.
        public init() {}
    }

    /// Scripted behaviour of the mock: what predictions say, how fast they stream, and which
    /// faults to inject.
    ///
    /// Change it while the server runs with ``MockServer/updateBehavior(_:)``.
    public struct Behavior: Sendable {
        /// The reply of every prediction that no other rule answers.
        public var defaultReply: String = "Hello! I am a mock LM Studio model."
        /// Replies keyed by the model's identifier or model key.
        public var repliesByModel: [String: String] = [:]
        /// Replies keyed by the text of the last user message (exact match); these win over
        /// ``repliesByModel``.
        public var repliesByPrompt: [String: String] = [:]
        /// A function that decides the reply; when it returns non-`nil` it wins over every
        /// other rule (including tool calls and structured output).
        public var responder: (@Sendable (PredictionRequest) -> String?)?
        /// Benchmark mode: when set, every prediction streams exactly this many fragments
        /// (cycling through the reply's words) as fast as possible, unless ``fragmentInterval``
        /// is also set.
        public var fragmentCount: Int?
        /// The pause between two fragments. `.zero` (the default) streams without pausing.
        public var fragmentInterval: Duration = .zero
        /// Per-prompt pauses between fragments, keyed by the text of the last user message; these
        /// win over ``fragmentInterval``.
        public var fragmentIntervalsByPrompt: [String: Duration] = [:]
        /// The number of `progress` packets of a model load (spread evenly in `(0, 1]`).
        public var loadProgressSteps: Int = 4
        /// The pause between two load progress packets.
        public var loadStepInterval: Duration = .zero
        /// Whether a prediction that offers tools answers with a tool call (when the history
        /// does not end with tool results). Defaults to `true`.
        public var callsToolsWhenOffered: Bool = true
        /// Arguments to use for a tool call, keyed by tool name; otherwise a minimal instance
        /// of the tool's parameter schema is generated.
        public var toolCallArguments: [String: JSONValue] = [:]
        /// The tools a prediction that offers tools calls, in order, instead of the one it would
        /// choose; names that were not offered are called too (to test a client's handling of
        /// unknown tools), and a name may repeat (several calls in one prediction). Arguments
        /// come from ``toolCallArguments`` or the offered tool's schema (`{}` for unknown tools).
        public var toolCallNames: [String]?
        /// Whether tool calls end with `toolCallGenerationFailed` (the model emitted something
        /// that is not a valid tool call) instead of `toolCallGenerationEnd`.
        public var failsToolCalls: Bool = false
        /// Faults to inject; see ``Fault``. Every matching fault applies on every call.
        public var faults: [Fault] = []

        /// Creates the default behaviour: a fixed reply, one word per fragment, no faults.
        public init() {}

        /// Replies with the text of the last user message.
        ///
        /// ```swift
        /// configuration.behavior = .echo
        /// ```
        public static var echo: Behavior {
            var behavior = Behavior()
            behavior.responder = { $0.lastUserText }
            return behavior
        }

        /// Streams exactly `fragments` fragments per prediction, `interval` apart (benchmark
        /// mode when `interval` is zero).
        ///
        /// - Parameters:
        ///   - fragments: the number of fragments of every prediction.
        ///   - interval: the pause between two fragments.
        /// - Returns: the behaviour.
        public static func stream(fragments: Int, interval: Duration = .zero) -> Behavior {
            var behavior = Behavior()
            behavior.fragmentCount = fragments
            behavior.fragmentInterval = interval
            return behavior
        }
    }

    /// What a prediction asked for, as seen by ``Behavior/responder``.
    public struct PredictionRequest: Sendable {
        /// The identifier of the model instance that serves the prediction.
        public var modelIdentifier: String
        /// The model key of that instance.
        public var modelKey: String
        /// The chat history, as sent (`{"messages":[…]}`).
        public var history: JSONValue
        /// The text of the last user message, or `""`.
        public var lastUserText: String
        /// The collapsed prediction config: KV key → value.
        public var config: [String: JSONValue]
    }

    /// A fault the mock injects to test a client's error paths.
    ///
    /// ```swift
    /// server.updateBehavior { $0.faults = [.dropConnection(afterFragments: 3)] }
    /// ```
    public enum Fault: Sendable, Hashable {
        /// Answer every call of `endpoint` with `rpcError` / `channelError` carrying `error`.
        case error(endpoint: String, ServerError)
        /// Wait `delay` before handling every call of `endpoint`.
        case delay(endpoint: String, Duration)
        /// Never answer calls of `endpoint` (as the server does for rejected calls).
        case noReply(endpoint: String)
        /// End `predict` channels with `channelClose` before any `success` packet.
        case closeChannelBeforeResult
        /// Drop the TCP connection without a close frame after `n` prediction fragments.
        case dropConnection(afterFragments: Int)
        /// Close the connection gracefully after `n` prediction fragments.
        case closeConnection(afterFragments: Int)
        /// Stop reading and writing (a half-open peer) after `n` prediction fragments.
        case freeze(afterFragments: Int)
        /// Send a text frame that is not JSON after `n` prediction fragments.
        case malformedFrame(afterFragments: Int)
        /// Send a fragment whose content is `bytes` long after `n` prediction fragments.
        case oversizedFrame(afterFragments: Int, bytes: Int)
        /// Reject every authentication attempt with this error text.
        case rejectAuthentication(String)
        /// Drop each connection without a close frame when it has sent `n` envelope messages
        /// after authenticating (the `n`-th message is not processed).
        case disconnect(afterReceiving: Int)
    }

    /// A serialized server error (`rpcError.error` / `channelError.error`).
    ///
    /// Build one for ``Fault/error(endpoint:_:)``; `displayData` carries the `code` clients
    /// map to error types (for example `generic.noModelMatchingQuery`).
    public struct ServerError: Error, Sendable, Hashable {
        /// Short headline; also sent as `rootTitle`.
        public var title: String
        /// Explanation of the cause.
        public var cause: String?
        /// Suggested remedy.
        public var suggestion: String?
        /// Structured description with a `code` member.
        public var displayData: JSONValue?
        /// Free-form machine data.
        public var errorData: JSONValue?

        /// Creates an error.
        ///
        /// - Parameters:
        ///   - title: the headline.
        ///   - cause: the cause text, if any.
        ///   - suggestion: the remedy text, if any.
        ///   - displayData: the `displayData` object, if any.
        ///   - errorData: the `errorData` object, if any.
        public init(
            title: String, cause: String? = nil, suggestion: String? = nil, displayData: JSONValue? = nil,
            errorData: JSONValue? = nil
        ) {
            self.title = title
            self.cause = cause
            self.suggestion = suggestion
            self.displayData = displayData
            self.errorData = errorData
        }

        /// The wire form of the error.
        public var json: JSONValue {
            var members: [String: JSONValue] = ["title": .string(title), "rootTitle": .string(title)]
            if let cause { members["cause"] = .string(cause) }
            if let suggestion { members["suggestion"] = .string(suggestion) }
            if let displayData { members["displayData"] = displayData }
            if let errorData { members["errorData"] = errorData }
            members["stack"] = .string("Error: \(title)\n    at LMStudioMockServer")
            return .object(members)
        }
    }
}
