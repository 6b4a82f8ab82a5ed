/// An LM Studio API namespace: one websocket endpoint at path `/<rawValue>` (PROTOCOL.md §3).
///
/// Endpoint names are unique only within a namespace (`tokenize` exists in both `llm` and
/// `embedding`), so a client opens one socket per namespace it uses.
///
/// ```swift
/// let url = address.websocketURL(namespace: .llm)   // "ws://127.0.0.1:41343/llm"
/// ```
public enum Namespace: String, CaseIterable, Sendable, Hashable {
    /// LLM loading, prediction and tokenization.
    case llm
    /// Embedding model loading, embeddings and tokenization.
    case embedding
    /// Downloaded-model listing, version, notifications and server control.
    case system
    /// Log streaming.
    case diagnostics
    /// File upload for chat attachments, document parsing and retrieval.
    case files
    /// Hub search and model downloads.
    case repository
    /// Plugin registration and tool-use sessions.
    case plugins
    /// Engine (runtime extension) management; newer servers only.
    case runtime

    /// The websocket path of the namespace, such as `"/llm"`.
    public var path: String { "/" + rawValue }
}
