public import LMStudioProtocol

extension MockServer {
    /// One text message the server received, in arrival order (authentication packets
    /// included).
    ///
    /// ```swift
    /// let calls = server.receivedMessages.compactMap(\.json).filter { $0["type"] == "rpcCall" }
    /// #expect(calls.first?["endpoint"] == "listLoaded")
    /// ```
    public struct RecordedMessage: Sendable, Hashable {
        /// The connection it arrived on (numbered from 1 in accept order).
        public var connectionID: Int
        /// The namespace of that connection, e.g. `llm` (the path without its slash).
        public var namespace: String
        /// The message exactly as received.
        public var text: String

        /// Creates a record entry.
        ///
        /// - Parameters:
        ///   - connectionID: the connection number.
        ///   - namespace: the namespace name.
        ///   - text: the message text.
        public init(connectionID: Int, namespace: String, text: String) {
            self.connectionID = connectionID
            self.namespace = namespace
            self.text = text
        }

        /// The message parsed as JSON, or `nil` when it is not JSON.
        public var json: JSONValue? { MockJSON.parse(text) }

        /// The record as one JSON Lines line:
        /// `{"connection":1,"namespace":"llm","message":<message or its text>}`.
        public var jsonLine: String {
            let message: JSONValue = json ?? .string(text)
            return MockJSON.serialize([
                "connection": .int(Int64(connectionID)), "namespace": .string(namespace), "message": message,
            ])
        }
    }
}
