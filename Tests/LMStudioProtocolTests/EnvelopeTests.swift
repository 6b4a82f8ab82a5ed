import LMStudioProtocol
import Testing

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct ClientMessageTests {
    @Test(arguments: [
        (
            ClientMessage.rpcCall(
                callId: 3, endpoint: "countTokens",
                parameter: [
                    "specifier": ["type": "query", "query": ["identifier": "qwen2.5-7b-instruct"]],
                    "inputString": "Hello there",
                ]
            ),
            #"{"type":"rpcCall","endpoint":"countTokens","callId":3,"parameter":{"inputString":"Hello there","specifier":{"query":{"identifier":"qwen2.5-7b-instruct"},"type":"query"}}}"#
        ),
        (
            .rpcCall(callId: 4, endpoint: "version", parameter: nil),
            #"{"type":"rpcCall","endpoint":"version","callId":4}"#
        ),
        (
            .channelCreate(
                channelId: 1, endpoint: "getOrLoad",
                creationParameter: [
                    "identifier": "qwen2.5-7b-instruct", "loadTtlMs": 3_600_000,
                    "loadConfigStack": ["layers": [["layerName": "apiOverride", "config": ["fields": []]]]],
                ]
            ),
            #"{"type":"channelCreate","endpoint":"getOrLoad","channelId":1,"creationParameter":{"identifier":"qwen2.5-7b-instruct","loadConfigStack":{"layers":[{"config":{"fields":[]},"layerName":"apiOverride"}]},"loadTtlMs":3600000}}"#
        ),
        (
            .channelCreate(channelId: 2, endpoint: "alive", creationParameter: nil),
            #"{"type":"channelCreate","endpoint":"alive","channelId":2}"#
        ),
        (
            .channelSend(channelId: 1, message: ["type": "cancel"], ackId: nil),
            #"{"type":"channelSend","channelId":1,"message":{"type":"cancel"}}"#
        ),
        (
            .channelSend(channelId: 1, message: nil, ackId: 0),
            #"{"type":"channelSend","channelId":1,"message":null,"ackId":0}"#
        ),
        (.channelAck(channelId: 5, ackId: 2), #"{"type":"channelAck","channelId":5,"ackId":2}"#),
        (
            .signalSubscribe(subscribeId: 7, endpoint: "sig", creationParameter: ["a": 1]),
            #"{"type":"signalSubscribe","endpoint":"sig","subscribeId":7,"creationParameter":{"a":1}}"#
        ),
        (
            .signalSubscribe(subscribeId: 8, endpoint: "sig", creationParameter: nil),
            #"{"type":"signalSubscribe","endpoint":"sig","subscribeId":8}"#
        ),
        (.signalUnsubscribe(subscribeId: 7), #"{"type":"signalUnsubscribe","subscribeId":7}"#),
        (
            .writableSignalSubscribe(subscribeId: 0, endpoint: "w", creationParameter: nil),
            #"{"type":"writableSignalSubscribe","endpoint":"w","subscribeId":0}"#
        ),
        (.writableSignalUnsubscribe(subscribeId: 0), #"{"type":"writableSignalUnsubscribe","subscribeId":0}"#),
        (
            .writableSignalUpdate(subscribeId: 0, patches: [["op": "replace", "path": [], "value": 1]], tags: ["t"]),
            #"{"type":"writableSignalUpdate","subscribeId":0,"patches":[{"op":"replace","path":[],"value":1}],"tags":["t"]}"#
        ),
        (
            .communicationWarning(warning: "bad \"thing\"", kind: "rpcUnknown"),
            #"{"type":"communicationWarning","warning":"bad \"thing\"","kind":"rpcUnknown"}"#
        ),
        (.communicationWarning(warning: "w", kind: nil), #"{"type":"communicationWarning","warning":"w"}"#),
        (.keepAlive, #"{"type":"keepAlive"}"#),
    ])
    func encodesAndDecodes(message: ClientMessage, expected: String) throws {
        let encoded = message.serialized()
        // Compare structurally (payload member order is dictionary order) and textually for the envelope.
        #expect(try JSONValue.parse(encoded) == JSONValue(parsing: expected))
        #expect(try ClientMessage.decode(encoded) == message)
        #expect(try ClientMessage.decode(bytes(expected)) == message)
        #expect(try ClientMessage.decode(JSONValue(parsing: expected)) == message)
        #expect(text(encoded).hasPrefix("{\"type\":\"\(message.type ?? "")\""))
        #expect(!text(encoded).contains("null") || expected.contains("null"), "void payloads are absent")
    }

    @Test func voidParameterIsAbsentNotNull() {
        #expect(
            text(ClientMessage.rpcCall(callId: 1, endpoint: "listDownloadedModels", parameter: nil).serialized())
                == #"{"type":"rpcCall","endpoint":"listDownloadedModels","callId":1}"#)
        #expect(
            text(ClientMessage.rpcCall(callId: 1, endpoint: "x", parameter: .null).serialized())
                == #"{"type":"rpcCall","endpoint":"x","callId":1,"parameter":null}"#)
    }

    @Test func toleratesUnknownTypesAndMembers() throws {
        let unknown = #"{"type":"futureThing","x":[1]}"#
        #expect(
            try ClientMessage.decode(bytes(unknown))
                == .unknown(type: "futureThing", raw: ["type": "futureThing", "x": [1]]))
        #expect(try ClientMessage.decode(bytes(#"{"x":1}"#)) == .unknown(type: nil, raw: ["x": 1]))
        #expect(try ClientMessage.decode(bytes(#"{"type":7}"#)) == .unknown(type: nil, raw: ["type": 7]))
        let extra = #"{"extra":{"deep":[true]},"type":"keepAlive","more":"x"}"#
        #expect(try ClientMessage.decode(bytes(extra)) == .keepAlive)
        let raw: JSONValue = ["type": "futureThing", "x": [1]]
        #expect(try JSONValue.parse(ClientMessage.unknown(type: "futureThing", raw: raw).serialized()) == raw)
    }

    @Test func missingMembersAreErrors() {
        #expect(throws: EnvelopeError.missingMember(messageType: "rpcCall", member: "endpoint", expected: "string")) {
            try ClientMessage.decode(bytes(#"{"type":"rpcCall","callId":1}"#))
        }
        #expect(throws: EnvelopeError.invalidMember(messageType: "rpcCall", member: "callId", expected: "an integer")) {
            try ClientMessage.decode(bytes(#"{"type":"rpcCall","callId":"1","endpoint":"x"}"#))
        }
        #expect(throws: EnvelopeError.missingMember(messageType: "channelSend", member: "message", expected: "JSON")) {
            try ClientMessage.decode(bytes(#"{"type":"channelSend","channelId":1}"#))
        }
        #expect(throws: EnvelopeError.notAnObject) { try ClientMessage.decode(bytes("[1]")) }
        #expect(throws: EnvelopeError.invalidJSON(JSONParseError(offset: 1, reason: .unexpectedEndOfInput))) {
            try ClientMessage.decode(bytes("{"))
        }
    }
}

@Suite struct ServerMessageTests {
    private static let error = SerializedError(
        title: "No loaded model satisfies the query",
        displayData: ["code": "generic.noModelMatchingQuery", "query": ["identifier": "no-such-model"]],
        rootTitle: "No loaded model satisfies the query"
    )

    @Test(arguments: [
        (
            ServerMessage.rpcResult(callId: 3, result: ["tokenCount": 3]),
            #"{"type":"rpcResult","callId":3,"result":{"tokenCount":3}}"#
        ),
        (.rpcResult(callId: 4, result: nil), #"{"type":"rpcResult","callId":4}"#),
        (
            .rpcError(
                callId: 2,
                error: SerializedError(title: "Model not loaded", cause: "It was unloaded", suggestion: "Load it again")
            ),
            #"{"type":"rpcError","callId":2,"error":{"title":"Model not loaded","cause":"It was unloaded","suggestion":"Load it again"}}"#
        ),
        (
            .channelSend(channelId: 1, message: ["type": "alreadyLoaded", "info": ["identifier": "q"]], ackId: nil),
            #"{"type":"channelSend","channelId":1,"message":{"type":"alreadyLoaded","info":{"identifier":"q"}}}"#
        ),
        (
            .channelSend(channelId: 1, message: ["type": "fragment"], ackId: 9),
            #"{"type":"channelSend","channelId":1,"message":{"type":"fragment"},"ackId":9}"#
        ),
        (.channelAck(channelId: 1, ackId: 0), #"{"type":"channelAck","channelId":1,"ackId":0}"#),
        (.channelClose(channelId: 1), #"{"type":"channelClose","channelId":1}"#),
        (
            .channelError(channelId: 5, error: ServerMessageTests.error),
            #"{"type":"channelError","channelId":5,"error":{"title":"No loaded model satisfies the query","rootTitle":"No loaded model satisfies the query","displayData":{"code":"generic.noModelMatchingQuery","query":{"identifier":"no-such-model"}}}}"#
        ),
        (
            .signalUpdate(subscribeId: 7, patches: [["op": "replace", "path": [], "value": ["a": 1]]], tags: []),
            #"{"type":"signalUpdate","subscribeId":7,"patches":[{"op":"replace","path":[],"value":{"a":1}}],"tags":[]}"#
        ),
        (
            .signalError(subscribeId: 7, error: SerializedError(title: "x")),
            #"{"type":"signalError","subscribeId":7,"error":{"title":"x"}}"#
        ),
        (
            .writableSignalUpdate(subscribeId: 1, patches: [], tags: ["a", "b"]),
            #"{"type":"writableSignalUpdate","subscribeId":1,"patches":[],"tags":["a","b"]}"#
        ),
        (
            .writableSignalError(subscribeId: 1, error: SerializedError(title: "y")),
            #"{"type":"writableSignalError","subscribeId":1,"error":{"title":"y"}}"#
        ),
        (
            .communicationWarning(warning: "rpcCall for unknown endpoint", kind: "rpcEndpointUnknown"),
            #"{"type":"communicationWarning","warning":"rpcCall for unknown endpoint","kind":"rpcEndpointUnknown"}"#
        ),
        (
            .communicationWarning(warning: "old server", kind: nil),
            #"{"type":"communicationWarning","warning":"old server"}"#
        ),
        (.keepAliveAck, #"{"type":"keepAliveAck"}"#),
    ])
    func encodesAndDecodes(message: ServerMessage, expected: String) throws {
        let encoded = message.serialized()
        #expect(try JSONValue.parse(encoded) == JSONValue(parsing: expected))
        #expect(try ServerMessage.decode(encoded) == message)
        #expect(try ServerMessage.decode(bytes(expected)) == message)
        #expect(try ServerMessage.decode(JSONValue(parsing: expected)) == message)
        #expect(text(encoded).hasPrefix("{\"type\":\"\(message.type ?? "")\""))
        #expect(message.jsonValue == (try JSONValue(parsing: expected)))
    }

    @Test func voidResultIsAbsent() throws {
        #expect(
            text(ServerMessage.rpcResult(callId: 4, result: nil).serialized()) == #"{"type":"rpcResult","callId":4}"#)
        #expect(
            try ServerMessage.decode(bytes(#"{"type":"rpcResult","callId":4,"result":null}"#))
                == .rpcResult(callId: 4, result: .null))
    }

    @Test func routingAccessors() {
        #expect(ServerMessage.rpcResult(callId: 3, result: nil).callId == 3)
        #expect(ServerMessage.channelClose(channelId: 2).channelId == 2)
        #expect(ServerMessage.signalUpdate(subscribeId: 5, patches: [], tags: []).subscribeId == 5)
        #expect(ServerMessage.keepAliveAck.callId == nil)
    }

    @Test func decodesWithWhitespaceEscapedKeysAndIntegralDoubles() throws {
        let spaced =
            " {\n \"type\" : \"channelSend\" , \"channelId\" : 1.0 , \"message\" : { \"type\" : \"fragment\" } , \"ackId\" : 2 }\n"
        #expect(
            try ServerMessage.decode(bytes(spaced))
                == .channelSend(channelId: 1, message: ["type": "fragment"], ackId: 2))
        let escapedKey = #"{"\u0074ype":"channelClose","chann\u0065lId":3}"#
        #expect(try ServerMessage.decode(bytes(escapedKey)) == .channelClose(channelId: 3))
    }

    @Test func toleratesUnknownTypesAndMembers() throws {
        #expect(
            try ServerMessage.decode(bytes(#"{"type":"newThing","a":1}"#))
                == .unknown(type: "newThing", raw: ["type": "newThing", "a": 1]))
        #expect(try ServerMessage.decode(bytes(#"{"success":true}"#)) == .unknown(type: nil, raw: ["success": true]))
        #expect(
            try ServerMessage.decode(bytes(#"{"type":"channelClose","channelId":1,"future":{"x":[]}}"#))
                == .channelClose(channelId: 1))
        #expect(
            try ServerMessage.decode(bytes(#"{"type":"communicationWarning","warning":"w","kind":5}"#))
                == .communicationWarning(warning: "w", kind: nil))
        #expect(
            try ServerMessage.decode(bytes(#"{"type":"signalUpdate","subscribeId":1,"patches":[]}"#))
                == .signalUpdate(subscribeId: 1, patches: [], tags: []))
    }

    @Test func errorMemberIsDecodedLeniently() throws {
        #expect(
            try ServerMessage.decode(bytes(#"{"type":"rpcError","callId":1,"error":"boom"}"#))
                == .rpcError(callId: 1, error: SerializedError(title: "boom")))
        let mistyped = try ServerMessage.decode(
            bytes(#"{"type":"rpcError","callId":1,"error":{"cause":5,"stack":"Error: x"}}"#))
        #expect(mistyped == .rpcError(callId: 1, error: SerializedError(title: "Unknown error")))
    }

    @Test(arguments: [
        (
            #"{"type":"rpcResult"}"#,
            EnvelopeError.missingMember(messageType: "rpcResult", member: "callId", expected: "integer")
        ),
        (
            #"{"type":"rpcResult","callId":1.5}"#,
            .invalidMember(messageType: "rpcResult", member: "callId", expected: "an integer")
        ),
        (
            #"{"type":"rpcError","callId":1}"#,
            .missingMember(messageType: "rpcError", member: "error", expected: "error object")
        ),
        (
            #"{"type":"channelSend","message":{}}"#,
            .missingMember(messageType: "channelSend", member: "channelId", expected: "integer")
        ),
        (
            #"{"type":"channelSend","channelId":1}"#,
            .missingMember(messageType: "channelSend", member: "message", expected: "JSON")
        ),
        (
            #"{"type":"channelSend","channelId":1,"message":1,"ackId":"x"}"#,
            .invalidMember(messageType: "channelSend", member: "ackId", expected: "an integer")
        ),
        (
            #"{"type":"channelAck","channelId":1}"#,
            .missingMember(messageType: "channelAck", member: "ackId", expected: "integer")
        ),
        (
            #"{"type":"channelClose","channelId":null}"#,
            .invalidMember(messageType: "channelClose", member: "channelId", expected: "an integer")
        ),
        (
            #"{"type":"signalUpdate","subscribeId":1,"patches":{}}"#,
            .invalidMember(messageType: "signalUpdate", member: "patches", expected: "an array")
        ),
        (
            #"{"type":"signalUpdate","subscribeId":1,"patches":[],"tags":[1]}"#,
            .invalidMember(messageType: "signalUpdate", member: "tags", expected: "an array of strings")
        ),
        (
            #"{"type":"communicationWarning"}"#,
            .missingMember(messageType: "communicationWarning", member: "warning", expected: "string")
        ),
        ("\"rpcResult\"", .notAnObject),
        ("", .invalidJSON(JSONParseError(offset: 0, reason: .unexpectedEndOfInput))),
        (#"{"type":"keepAliveAck"} x"#, .invalidJSON(JSONParseError(offset: 24, reason: .trailingData))),
        (
            #"{"type":"keepAliveAck",}"#,
            .invalidJSON(JSONParseError(offset: 23, reason: .unexpectedByte(UInt8(ascii: "}"))))
        ),
    ])
    func rejectsBrokenMessages(frame: String, error: EnvelopeError) {
        #expect(throws: error) { try ServerMessage.decode(bytes(frame)) }
    }

    @Test func errorDescriptionsAreDescriptive() {
        #expect(
            EnvelopeError.missingMember(messageType: "rpcResult", member: "callId", expected: "integer").description
                == "rpcResult message is missing the integer member 'callId'")
        #expect(EnvelopeError.notAnObject.description == "Envelope is not a JSON object")
    }
}
