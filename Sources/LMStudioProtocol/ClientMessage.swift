/// A message the client sends to the server after authentication (PROTOCOL.md §5.2).
///
/// Each case is one envelope `type`. The client encodes these with ``serialized()``; the mock
/// server decodes them with ``decode(_:)-(UnsafeRawBufferPointer)``. Optional payloads
/// (`parameter`, `creationParameter`) that are `nil` are left out of the JSON entirely, as the
/// protocol requires for void payloads.
///
/// ```swift
/// let frame = ClientMessage.rpcCall(callId: 3, endpoint: "countTokens", parameter: ["inputString": "Hi"])
///     .serialized()
/// // {"type":"rpcCall","endpoint":"countTokens","callId":3,"parameter":{"inputString":"Hi"}}
/// ```
public enum ClientMessage: Sendable, Hashable {
    /// `rpcCall`: invoke an RPC endpoint. `parameter` is `nil` for void parameters.
    case rpcCall(callId: Int, endpoint: String, parameter: JSONValue?)
    /// `channelCreate`: open a channel. `creationParameter` is `nil` for void parameters.
    case channelCreate(channelId: Int, endpoint: String, creationParameter: JSONValue?)
    /// `channelSend`: a packet on an open channel. Clients should not set `ackId`.
    case channelSend(channelId: Int, message: JSONValue, ackId: Int?)
    /// `channelAck`: acknowledges a server packet that carried `ackId` (unused in practice).
    case channelAck(channelId: Int, ackId: Int)
    /// `signalSubscribe`: subscribe to a read-only signal.
    case signalSubscribe(subscribeId: Int, endpoint: String, creationParameter: JSONValue?)
    /// `signalUnsubscribe`: end a signal subscription.
    case signalUnsubscribe(subscribeId: Int)
    /// `writableSignalSubscribe`: subscribe to a writable signal.
    case writableSignalSubscribe(subscribeId: Int, endpoint: String, creationParameter: JSONValue?)
    /// `writableSignalUnsubscribe`: end a writable-signal subscription.
    case writableSignalUnsubscribe(subscribeId: Int)
    /// `writableSignalUpdate`: local edits of a writable signal, as patches with tags.
    case writableSignalUpdate(subscribeId: Int, patches: [JSONValue], tags: [String])
    /// `communicationWarning`: the client saw a protocol problem; `kind` is optional.
    case communicationWarning(warning: String, kind: String?)
    /// `keepAlive`: a liveness probe the server answers with `keepAliveAck`.
    case keepAlive
    /// A message of a `type` this SDK does not know (or with no string `type`), kept verbatim.
    case unknown(type: String?, raw: JSONValue)

    /// The wire name of the message type, such as `"rpcCall"`; `nil` for an unknown message without one.
    public var type: String? {
        switch self {
        case .rpcCall: return "rpcCall"
        case .channelCreate: return "channelCreate"
        case .channelSend: return "channelSend"
        case .channelAck: return "channelAck"
        case .signalSubscribe: return "signalSubscribe"
        case .signalUnsubscribe: return "signalUnsubscribe"
        case .writableSignalSubscribe: return "writableSignalSubscribe"
        case .writableSignalUnsubscribe: return "writableSignalUnsubscribe"
        case .writableSignalUpdate: return "writableSignalUpdate"
        case .communicationWarning: return "communicationWarning"
        case .keepAlive: return "keepAlive"
        case .unknown(let type, _): return type
        }
    }

    /// The JSON text of this message as UTF-8 bytes, ready for a websocket text frame.
    ///
    /// Members appear in the order the protocol notes show (`type` first); `nil` optional
    /// members are absent, never `null`. An ``unknown(type:raw:)`` message writes `raw`.
    ///
    /// - Returns: The UTF-8 encoded JSON object.
    public func serialized() -> [UInt8] {
        switch self {
        case .rpcCall(let callId, let endpoint, let parameter):
            var writer = EnvelopeWriter(type: "rpcCall")
            writer.string("endpoint", endpoint)
            writer.int("callId", callId)
            writer.optionalValue("parameter", parameter)
            return writer.finish()
        case .channelCreate(let channelId, let endpoint, let creationParameter):
            var writer = EnvelopeWriter(type: "channelCreate")
            writer.string("endpoint", endpoint)
            writer.int("channelId", channelId)
            writer.optionalValue("creationParameter", creationParameter)
            return writer.finish()
        case .channelSend(let channelId, let message, let ackId):
            var writer = EnvelopeWriter(type: "channelSend")
            writer.int("channelId", channelId)
            writer.value("message", message)
            writer.optionalInt("ackId", ackId)
            return writer.finish()
        case .channelAck(let channelId, let ackId):
            var writer = EnvelopeWriter(type: "channelAck")
            writer.int("channelId", channelId)
            writer.int("ackId", ackId)
            return writer.finish()
        case .signalSubscribe(let subscribeId, let endpoint, let creationParameter):
            var writer = EnvelopeWriter(type: "signalSubscribe")
            writer.string("endpoint", endpoint)
            writer.int("subscribeId", subscribeId)
            writer.optionalValue("creationParameter", creationParameter)
            return writer.finish()
        case .signalUnsubscribe(let subscribeId):
            var writer = EnvelopeWriter(type: "signalUnsubscribe")
            writer.int("subscribeId", subscribeId)
            return writer.finish()
        case .writableSignalSubscribe(let subscribeId, let endpoint, let creationParameter):
            var writer = EnvelopeWriter(type: "writableSignalSubscribe")
            writer.string("endpoint", endpoint)
            writer.int("subscribeId", subscribeId)
            writer.optionalValue("creationParameter", creationParameter)
            return writer.finish()
        case .writableSignalUnsubscribe(let subscribeId):
            var writer = EnvelopeWriter(type: "writableSignalUnsubscribe")
            writer.int("subscribeId", subscribeId)
            return writer.finish()
        case .writableSignalUpdate(let subscribeId, let patches, let tags):
            var writer = EnvelopeWriter(type: "writableSignalUpdate")
            writer.int("subscribeId", subscribeId)
            writer.values("patches", patches)
            writer.strings("tags", tags)
            return writer.finish()
        case .communicationWarning(let warning, let kind):
            var writer = EnvelopeWriter(type: "communicationWarning")
            writer.string("warning", warning)
            writer.optionalString("kind", kind)
            return writer.finish()
        case .keepAlive:
            var writer = EnvelopeWriter(type: "keepAlive", capacity: 20)
            return writer.finish()
        case .unknown(_, let raw):
            return raw.serializedBytes()
        }
    }

    /// The message as a ``JSONValue`` object (the parse of ``serialized()``).
    public var jsonValue: JSONValue {
        let bytes = serialized()
        // The serializer only produces valid JSON, so this cannot fail.
        return (try? JSONValue.parse(bytes)) ?? .null
    }

    /// Decodes a message from the UTF-8 bytes of one text frame.
    ///
    /// Unknown members are ignored and an unknown `type` yields ``unknown(type:raw:)``.
    ///
    /// - Parameter bytes: The frame's UTF-8 JSON text.
    /// - Returns: The decoded message.
    /// - Throws: ``EnvelopeError`` for non-JSON, non-object or incomplete messages.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> ClientMessage {
        let fields = try decodeEnvelopeFields(bytes)
        return try decode(fields) { () throws(EnvelopeError) in try parseRawEnvelope(bytes) }
    }

    /// Decodes a message from the UTF-8 bytes of one text frame.
    ///
    /// - Parameter bytes: The frame's UTF-8 JSON text.
    /// - Returns: The decoded message.
    /// - Throws: ``EnvelopeError`` for non-JSON, non-object or incomplete messages.
    public static func decode(_ bytes: [UInt8]) throws(EnvelopeError) -> ClientMessage {
        let result: Result<ClientMessage, EnvelopeError> = bytes.withUnsafeBytes { raw in
            do throws(EnvelopeError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decodes a message from an already parsed JSON value.
    ///
    /// - Parameter value: The envelope object.
    /// - Returns: The decoded message.
    /// - Throws: ``EnvelopeError`` for non-object or incomplete messages.
    public static func decode(_ value: JSONValue) throws(EnvelopeError) -> ClientMessage {
        try decode(EnvelopeFields(value)) { () throws(EnvelopeError) in value }
    }

    private static func decode(
        _ fields: EnvelopeFields,
        raw: () throws(EnvelopeError) -> JSONValue
    ) throws(EnvelopeError) -> ClientMessage {
        guard fields.isObject else { throw .notAnObject }
        typealias F = EnvelopeFields
        guard let type = fields.type else { return .unknown(type: nil, raw: try raw()) }
        switch type {
        case "rpcCall":
            return .rpcCall(
                callId: try F.id(fields.callId, "callId", type),
                endpoint: try F.string(fields.endpoint, "endpoint", type),
                parameter: fields.parameter
            )
        case "channelCreate":
            return .channelCreate(
                channelId: try F.id(fields.channelId, "channelId", type),
                endpoint: try F.string(fields.endpoint, "endpoint", type),
                creationParameter: fields.creationParameter
            )
        case "channelSend":
            return .channelSend(
                channelId: try F.id(fields.channelId, "channelId", type),
                message: try F.required(fields.message, "message", type),
                ackId: try F.optionalId(fields.ackId, "ackId", type)
            )
        case "channelAck":
            return .channelAck(
                channelId: try F.id(fields.channelId, "channelId", type),
                ackId: try F.id(fields.ackId, "ackId", type)
            )
        case "signalSubscribe":
            return .signalSubscribe(
                subscribeId: try F.id(fields.subscribeId, "subscribeId", type),
                endpoint: try F.string(fields.endpoint, "endpoint", type),
                creationParameter: fields.creationParameter
            )
        case "signalUnsubscribe":
            return .signalUnsubscribe(subscribeId: try F.id(fields.subscribeId, "subscribeId", type))
        case "writableSignalSubscribe":
            return .writableSignalSubscribe(
                subscribeId: try F.id(fields.subscribeId, "subscribeId", type),
                endpoint: try F.string(fields.endpoint, "endpoint", type),
                creationParameter: fields.creationParameter
            )
        case "writableSignalUnsubscribe":
            return .writableSignalUnsubscribe(subscribeId: try F.id(fields.subscribeId, "subscribeId", type))
        case "writableSignalUpdate":
            return .writableSignalUpdate(
                subscribeId: try F.id(fields.subscribeId, "subscribeId", type),
                patches: try F.patches(fields.patches, type),
                tags: try F.tags(fields.tags, type)
            )
        case "communicationWarning":
            return .communicationWarning(
                warning: try F.string(fields.warning, "warning", type),
                kind: fields.kind?.stringValue
            )
        case "keepAlive":
            return .keepAlive
        default:
            return .unknown(type: type, raw: try raw())
        }
    }
}
