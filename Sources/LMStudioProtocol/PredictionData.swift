/// One streamed piece of a prediction, from a `predict` `fragment` packet (PROTOCOL.md §10.4).
///
/// Only `content` is required; the other members default to `0`, `false`, `"none"` and
/// `false`, because older and newer servers differ in which they send.
///
/// ```swift
/// if case .channelSend(_, let message, _) = serverMessage, message["type"] == "fragment",
///     let fragment = message["fragment"] {
///     let piece = try JSONValueDecoder().decode(PredictionFragmentData.self, from: fragment)
///     print(piece.content, terminator: "")
/// }
/// ```
public struct PredictionFragmentData: Sendable, Hashable, Codable {
    /// The text of this piece.
    public var content: String
    /// Approximately how many tokens this piece holds.
    public var tokensCount: Int
    /// Whether the piece contains tokens from the speculative-decoding draft model.
    public var containsDrafted: Bool
    /// The reasoning classification: `"none"`, `"reasoning"`, `"reasoningStartTag"` or
    /// `"reasoningEndTag"` (kept as a string so new values decode).
    public var reasoningType: String
    /// Whether the piece is structural (newer servers only; excluded from reasoning splits).
    public var isStructural: Bool
    /// Per-token details when log probabilities were requested (newer servers only).
    public var tokens: JSONValue?

    /// Creates a fragment.
    ///
    /// - Parameters:
    ///   - content: The text.
    ///   - tokensCount: Approximate token count.
    ///   - containsDrafted: Whether draft tokens are included.
    ///   - reasoningType: The reasoning classification.
    ///   - isStructural: Whether the piece is structural.
    ///   - tokens: Per-token details.
    public init(
        content: String,
        tokensCount: Int = 0,
        containsDrafted: Bool = false,
        reasoningType: String = "none",
        isStructural: Bool = false,
        tokens: JSONValue? = nil
    ) {
        self.content = content
        self.tokensCount = tokensCount
        self.containsDrafted = containsDrafted
        self.reasoningType = reasoningType
        self.isStructural = isStructural
        self.tokens = tokens
    }

    /// Decodes a fragment, requiring only `content`.
    ///
    /// - Parameter decoder: The decoder.
    /// - Throws: `DecodingError` when `content` is missing or a present member has the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        content = try container.decode(String.self, forKey: .content)
        tokensCount = try container.decodeIfPresent(Int.self, forKey: .tokensCount) ?? 0
        containsDrafted = try container.decodeIfPresent(Bool.self, forKey: .containsDrafted) ?? false
        reasoningType = try container.decodeIfPresent(String.self, forKey: .reasoningType) ?? "none"
        isStructural = try container.decodeIfPresent(Bool.self, forKey: .isStructural) ?? false
        tokens = try container.decodeIfPresent(JSONValue.self, forKey: .tokens)
    }
}

/// Statistics of a finished prediction, from `predict`'s `success.stats` (PROTOCOL.md §10.5).
///
/// Every member but ``stopReason`` is optional. ``stopReason`` is a string so values added by
/// newer servers decode; the known ones are listed as static members.
public struct PredictionStatsData: Sendable, Hashable, Codable {
    /// Why generation stopped, such as `"eosFound"` or `"userStopped"`.
    public var stopReason: String
    /// The stop string that matched (newer servers only).
    public var stopString: String?
    /// Generation speed.
    public var tokensPerSecond: Double?
    /// How many layers ran on the GPU.
    public var numGpuLayers: Double?
    /// Seconds until the first token.
    public var timeToFirstTokenSec: Double?
    /// Total seconds (newer servers only).
    public var totalTimeSec: Double?
    /// Tokens in the prompt.
    public var promptTokensCount: Int?
    /// Tokens generated.
    public var predictedTokensCount: Int?
    /// Prompt plus generated tokens.
    public var totalTokensCount: Int?
    /// The draft model used for speculative decoding.
    public var usedDraftModelKey: String?
    /// Draft tokens produced.
    public var totalDraftTokensCount: Int?
    /// Draft tokens accepted.
    public var acceptedDraftTokensCount: Int?
    /// Draft tokens rejected.
    public var rejectedDraftTokensCount: Int?
    /// Draft tokens ignored.
    public var ignoredDraftTokensCount: Int?

    /// The user cancelled the prediction.
    public static let userStopped = "userStopped"
    /// The model was unloaded mid-prediction.
    public static let modelUnloaded = "modelUnloaded"
    /// The prediction failed.
    public static let failed = "failed"
    /// The model emitted its end-of-sequence token.
    public static let eosFound = "eosFound"
    /// A configured stop string appeared.
    public static let stopStringFound = "stopStringFound"
    /// The model requested tool calls.
    public static let toolCalls = "toolCalls"
    /// The token limit was reached.
    public static let maxPredictedTokensReached = "maxPredictedTokensReached"
    /// The context window is full.
    public static let contextLengthReached = "contextLengthReached"

    /// Creates statistics with only a stop reason; set other members as needed.
    ///
    /// - Parameter stopReason: Why generation stopped.
    public init(stopReason: String) {
        self.stopReason = stopReason
    }
}
