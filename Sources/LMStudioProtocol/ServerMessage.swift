/// A message the server sends to the client after authentication (PROTOCOL.md §5.3).
///
/// Each case is one envelope `type`. The client decodes these with
/// ``decode(_:)-(UnsafeRawBufferPointer)`` — the SDK's hot path, which reads the envelope's
/// members without building a dictionary for it — and the mock server encodes them with
/// ``serialized()``.
///
/// ```swift
/// switch try ServerMessage.decode(frame) {
/// case .rpcResult(let callId, let result): calls[callId]?.succeed(result)
/// case .channelSend(let channelId, let message, _): channels[channelId]?.yield(message)
/// default: break
/// }
/// ```
public enum ServerMessage: Sendable, Hashable {
    /// `rpcResult`: an RPC succeeded. `result` is `nil` when the member is absent (void result).
    case rpcResult(callId: Int, result: JSONValue?)
    /// `rpcError`: an RPC failed.
    case rpcError(callId: Int, error: SerializedError)
    /// `channelSend`: a packet on an open channel. Clients ignore `ackId`.
    case channelSend(channelId: Int, message: JSONValue, ackId: Int?)
    /// `channelAck`: acknowledges a client packet that carried `ackId` (unused in practice).
    case channelAck(channelId: Int, ackId: Int)
    /// `channelClose`: the channel ended normally; no more packets follow.
    case channelClose(channelId: Int)
    /// `channelError`: the channel failed; no more packets follow.
    case channelError(channelId: Int, error: SerializedError)
    /// `signalUpdate`: new signal state as patches with the writer's tags.
    case signalUpdate(subscribeId: Int, patches: [JSONValue], tags: [String])
    /// `signalError`: the subscription failed or ended with an error.
    case signalError(subscribeId: Int, error: SerializedError)
    /// `writableSignalUpdate`: new writable-signal state as patches with tags.
    case writableSignalUpdate(subscribeId: Int, patches: [JSONValue], tags: [String])
    /// `writableSignalError`: the writable subscription failed.
    case writableSignalError(subscribeId: Int, error: SerializedError)
    /// `communicationWarning`: the server saw a protocol problem caused by this client.
    case communicationWarning(warning: String, kind: String?)
    /// `keepAliveAck`: the reply to `keepAlive`.
    case keepAliveAck
    /// A message of a `type` this SDK does not know (or with no string `type`), kept verbatim.
    case unknown(type: String?, raw: JSONValue)

    /// The wire name of the message type, such as `"rpcResult"`; `nil` for an unknown message without one.
    public var type: String? {
        switch self {
        case .rpcResult: return "rpcResult"
        case .rpcError: return "rpcError"
        case .channelSend: return "channelSend"
        case .channelAck: return "channelAck"
        case .channelClose: return "channelClose"
        case .channelError: return "channelError"
        case .signalUpdate: return "signalUpdate"
        case .signalError: return "signalError"
        case .writableSignalUpdate: return "writableSignalUpdate"
        case .writableSignalError: return "writableSignalError"
        case .communicationWarning: return "communicationWarning"
        case .keepAliveAck: return "keepAliveAck"
        case .unknown(let type, _): return type
        }
    }

    /// The `callId` of an `rpcResult` or `rpcError`, for routing.
    public var callId: Int? {
        switch self {
        case .rpcResult(let id, _), .rpcError(let id, _): return id
        default: return nil
        }
    }

    /// The `channelId` of a channel message, for routing.
    public var channelId: Int? {
        switch self {
        case .channelSend(let id, _, _), .channelAck(let id, _), .channelClose(let id), .channelError(let id, _):
            return id
        default: return nil
        }
    }

    /// The `subscribeId` of a signal message, for routing.
    public var subscribeId: Int? {
        switch self {
        case .signalUpdate(let id, _, _), .signalError(let id, _), .writableSignalUpdate(let id, _, _),
            .writableSignalError(let id, _):
            return id
        default: return nil
        }
    }

    /// The JSON text of this message as UTF-8 bytes, ready for a websocket text frame.
    ///
    /// Members appear in the order the protocol notes show (`type` first); `nil` optional
    /// members (a void `result`, `ackId`, `kind`) are absent, never `null`. An
    /// ``unknown(type:raw:)`` message writes `raw`.
    ///
    /// - Returns: The UTF-8 encoded JSON object.
    public func serialized() -> [UInt8] {
        switch self {
        case .rpcResult(let callId, let result):
            var writer = EnvelopeWriter(type: "rpcResult")
            writer.int("callId", callId)
            writer.optionalValue("result", result)
            return writer.finish()
        case .rpcError(let callId, let error):
            var writer = EnvelopeWriter(type: "rpcError")
            writer.int("callId", callId)
            writer.value("error", error.jsonValue)
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
        case .channelClose(let channelId):
            var writer = EnvelopeWriter(type: "channelClose", capacity: 48)
            writer.int("channelId", channelId)
            return writer.finish()
        case .channelError(let channelId, let error):
            var writer = EnvelopeWriter(type: "channelError")
            writer.int("channelId", channelId)
            writer.value("error", error.jsonValue)
            return writer.finish()
        case .signalUpdate(let subscribeId, let patches, let tags):
            var writer = EnvelopeWriter(type: "signalUpdate")
            writer.int("subscribeId", subscribeId)
            writer.values("patches", patches)
            writer.strings("tags", tags)
            return writer.finish()
        case .signalError(let subscribeId, let error):
            var writer = EnvelopeWriter(type: "signalError")
            writer.int("subscribeId", subscribeId)
            writer.value("error", error.jsonValue)
            return writer.finish()
        case .writableSignalUpdate(let subscribeId, let patches, let tags):
            var writer = EnvelopeWriter(type: "writableSignalUpdate")
            writer.int("subscribeId", subscribeId)
            writer.values("patches", patches)
            writer.strings("tags", tags)
            return writer.finish()
        case .writableSignalError(let subscribeId, let error):
            var writer = EnvelopeWriter(type: "writableSignalError")
            writer.int("subscribeId", subscribeId)
            writer.value("error", error.jsonValue)
            return writer.finish()
        case .communicationWarning(let warning, let kind):
            var writer = EnvelopeWriter(type: "communicationWarning")
            writer.string("warning", warning)
            writer.optionalString("kind", kind)
            return writer.finish()
        case .keepAliveAck:
            var writer = EnvelopeWriter(type: "keepAliveAck", capacity: 24)
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
    /// This is the client's hot path. The envelope object is scanned member by member and only
    /// the members envelopes use are kept, so no dictionary is built for the envelope itself;
    /// only the payload (`result`, `message`, …) becomes a ``JSONValue``. Unknown members are
    /// ignored and an unknown `type` yields ``unknown(type:raw:)``.
    ///
    /// - Parameter bytes: The frame's UTF-8 JSON text.
    /// - Returns: The decoded message.
    /// - Throws: ``EnvelopeError`` for non-JSON, non-object or incomplete messages.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> ServerMessage {
        let fields = try decodeEnvelopeFields(bytes)
        return try decode(fields) { () throws(EnvelopeError) in try parseRawEnvelope(bytes) }
    }

    /// Decodes a message from the UTF-8 bytes of one text frame.
    ///
    /// - Parameter bytes: The frame's UTF-8 JSON text.
    /// - Returns: The decoded message.
    /// - Throws: ``EnvelopeError`` for non-JSON, non-object or incomplete messages.
    public static func decode(_ bytes: [UInt8]) throws(EnvelopeError) -> ServerMessage {
        let result: Result<ServerMessage, EnvelopeError> = bytes.withUnsafeBytes { raw in
            do throws(EnvelopeError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decodes a message from an already parsed JSON value.
    ///
    /// - Parameter value: The envelope object.
    /// - Returns: The decoded message.
    /// - Throws: ``EnvelopeError`` for non-object or incomplete messages.
    public static func decode(_ value: JSONValue) throws(EnvelopeError) -> ServerMessage {
        try decode(EnvelopeFields(value)) { () throws(EnvelopeError) in value }
    }

    private static func decode(
        _ fields: EnvelopeFields,
        raw: () throws(EnvelopeError) -> JSONValue
    ) throws(EnvelopeError) -> ServerMessage {
        guard fields.isObject else { throw .notAnObject }
        typealias F = EnvelopeFields
        guard let type = fields.type else { return .unknown(type: nil, raw: try raw()) }
        // The two streaming-hot types come first.
        switch type {
        case "channelSend":
            return .channelSend(
                channelId: try F.id(fields.channelId, "channelId", type),
                message: try F.required(fields.message, "message", type),
                ackId: try F.optionalId(fields.ackId, "ackId", type)
            )
        case "rpcResult":
            return .rpcResult(callId: try F.id(fields.callId, "callId", type), result: fields.result)
        case "rpcError":
            return .rpcError(
                callId: try F.id(fields.callId, "callId", type),
                error: try F.serializedError(fields.error, type)
            )
        case "channelClose":
            return .channelClose(channelId: try F.id(fields.channelId, "channelId", type))
        case "channelError":
            return .channelError(
                channelId: try F.id(fields.channelId, "channelId", type),
                error: try F.serializedError(fields.error, type)
            )
        case "channelAck":
            return .channelAck(
                channelId: try F.id(fields.channelId, "channelId", type),
                ackId: try F.id(fields.ackId, "ackId", type)
            )
        case "signalUpdate":
            return .signalUpdate(
                subscribeId: try F.id(fields.subscribeId, "subscribeId", type),
                patches: try F.patches(fields.patches, type),
                tags: try F.tags(fields.tags, type)
            )
        case "signalError":
            return .signalError(
                subscribeId: try F.id(fields.subscribeId, "subscribeId", type),
                error: try F.serializedError(fields.error, type)
            )
        case "writableSignalUpdate":
            return .writableSignalUpdate(
                subscribeId: try F.id(fields.subscribeId, "subscribeId", type),
                patches: try F.patches(fields.patches, type),
                tags: try F.tags(fields.tags, type)
            )
        case "writableSignalError":
            return .writableSignalError(
                subscribeId: try F.id(fields.subscribeId, "subscribeId", type),
                error: try F.serializedError(fields.error, type)
            )
        case "communicationWarning":
            return .communicationWarning(
                warning: try F.string(fields.warning, "warning", type),
                kind: fields.kind?.stringValue
            )
        case "keepAliveAck":
            return .keepAliveAck
        default:
            return .unknown(type: type, raw: try raw())
        }
    }
}
