import LMStudioProtocol
import Testing

/// A small deterministic generator so failures reproduce.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RobustnessTests {
    static let seeds: [String] = [
        #"{"type":"channelSend","channelId":7,"message":{"type":"fragment","fragment":{"content":" th\u00e9 \ud83d\ude00","tokensCount":1}},"ackId":2}"#,
        #"{"type":"rpcResult","callId":42,"result":{"tokenCount":3,"list":[1,2.5e-3,-0,true,false,null]}}"#,
        #"{"type":"rpcError","callId":1,"error":{"title":"t","displayData":{"code":"generic.pathNotFound"}}}"#,
        #"{"type":"rpcCall","endpoint":"countTokens","callId":3,"parameter":{"inputString":"Hello\nthere"}}"#,
        #"{"authVersion":1,"clientIdentifier":"guest:x","clientPasskey":"y"}"#,
        #"{"success":false,"error":"Authentication timed out"}"#,
    ]

    /// Mutated and truncated frames must decode or throw, never trap, and whatever the parser
    /// accepts must survive a serialize/parse round trip.
    @Test func mutatedFramesNeverCrash() throws {
        var random = SplitMix64(state: 0x5EED)
        let interesting =
            Array(#"{}[]",:\\u0"0123456789-+.eEtrufalsn "#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xF0, 0xFF]
        var accepted = 0
        for seed in Self.seeds {
            let original = Array(seed.utf8)
            for _ in 0..<400 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let index = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0: bytes[index] = interesting.randomElement(using: &random)!
                    case 1: bytes.remove(at: index)
                    case 2: bytes.insert(interesting.randomElement(using: &random)!, at: index)
                    default: bytes = Array(bytes[..<index])
                    }
                    if bytes.isEmpty { break }
                }
                _ = try? ServerMessage.decode(bytes)
                _ = try? ClientMessage.decode(bytes)
                _ = try? AuthPacket.decode(bytes)
                _ = try? AuthResult.decode(bytes)
                if let value = try? JSONValue.parse(bytes) {
                    accepted += 1
                    #expect(try JSONValue.parse(value.serializedBytes()) == value)
                    _ = SerializedError(value)
                    _ = try? ServerMessage.decode(value)
                }
            }
        }
        #expect(accepted > 0, "some mutations stay valid JSON")
    }

    @Test func envelopeDecodingMatchesTheGenericPath() throws {
        for seed in Self.seeds {
            let bytes = Array(seed.utf8)
            let value = try JSONValue.parse(bytes)
            let fromBytes = Result { () throws(EnvelopeError) in try ServerMessage.decode(bytes) }
            let fromValue = Result { () throws(EnvelopeError) in try ServerMessage.decode(value) }
            #expect(fromBytes == fromValue)
            let clientFromBytes = Result { () throws(EnvelopeError) in try ClientMessage.decode(bytes) }
            let clientFromValue = Result { () throws(EnvelopeError) in try ClientMessage.decode(value) }
            #expect(clientFromBytes == clientFromValue)
        }
    }
}
