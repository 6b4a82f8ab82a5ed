import LMStudioProtocol
import Testing

@Suite struct ClientCredentialsTests {
    static let validToken = "sk-lm-abcDEF78:abcDEF7890abcDEF7890"
    static let invalidTokens = [
        "missing-token-prefix",
        "sk-lm-missing-id-and-key-separator",
        "sk-lm-invalid_id:invalid_key",
        "sk-lm-idtoolong:abcDEF7890abcDEF7890",
        "sk-lm-abcDEF78:keytooshort",
    ]

    @Test(arguments: [validToken, " \(validToken)", "\(validToken)  ", "\n\t\(validToken) \r\n", "  \(validToken)\n"])
    func acceptsAValidTokenArgument(token: String) throws {
        let credentials = try ClientCredentials.resolve(apiToken: token, environment: [:])
        #expect(
            credentials == ClientCredentials(identifier: "abcDEF78", passkey: "abcDEF7890abcDEF7890", kind: .apiToken))
        #expect(
            AuthPacket(credentials: credentials).serialized()
                == Array(
                    #"{"authVersion":1,"clientIdentifier":"abcDEF78","clientPasskey":"abcDEF7890abcDEF7890"}"#.utf8))
    }

    @Test(arguments: ["LMSTUDIO_API_TOKEN", "LM_API_TOKEN"])
    func acceptsAValidTokenFromEitherVariable(variable: String) throws {
        let credentials = try ClientCredentials.resolve(apiToken: nil, environment: [variable: " \(Self.validToken) "])
        #expect(credentials.identifier == "abcDEF78")
        #expect(credentials.passkey == "abcDEF7890abcDEF7890")
        #expect(credentials.kind == .apiToken)
    }

    @Test(arguments: invalidTokens)
    func rejectsMalformedTokenArguments(token: String) {
        #expect(throws: CredentialsError.invalidToken(source: .argument)) {
            try ClientCredentials.resolve(apiToken: token, environment: ["LMSTUDIO_API_TOKEN": Self.validToken])
        }
        #expect(!ClientCredentials.isValidAPIToken(token))
    }

    @Test(arguments: invalidTokens, ["LMSTUDIO_API_TOKEN", "LM_API_TOKEN"])
    func rejectsMalformedTokensFromTheEnvironment(token: String, variable: String) {
        #expect(throws: CredentialsError.invalidToken(source: .environment(variable))) {
            try ClientCredentials.resolve(apiToken: nil, environment: [variable: token])
        }
    }

    @Test(
        arguments: invalidTokens + [
            validToken + "x", "sk-lm-abcDEF78:abcDEF7890abcDEF789é", "sk-lm-abcDEF7８:abcDEF7890abcDEF7890",
        ])
    func errorDescriptionNeverContainsTheToken(token: String) throws {
        for source in [CredentialsError.TokenSource.argument, .environment("LM_API_TOKEN")] {
            do {
                _ = try ClientCredentials.resolve(
                    apiToken: source == .argument ? token : nil,
                    environment: source == .argument ? [:] : ["LM_API_TOKEN": token]
                )
                Issue.record("expected \(token) to be rejected")
            } catch {
                let text = error.description
                #expect(text.contains("sk-lm-XXXXXXXX:YYYYYYYYYYYYYYYYYYYY"))
                #expect(!text.contains(token))
                let body = token.hasPrefix("sk-lm-") ? String(token.dropFirst(6)) : token
                for part in body.split(whereSeparator: { $0 == ":" || $0 == "-" || $0 == "_" })
                where token.hasPrefix("sk-lm-") && part.count >= 4 {
                    #expect(!text.contains(part), "description leaks \(part)")
                }
                #expect(!"\(error)".contains(body))
            }
        }
    }

    @Test func emptyArgumentMeansGuestEvenWithAValidEnvironmentToken() throws {
        let environment = ["LMSTUDIO_API_TOKEN": Self.validToken, "LM_API_TOKEN": Self.validToken]
        for empty in ["", "   ", "\n\t"] {
            let credentials = try ClientCredentials.resolve(apiToken: empty, environment: environment)
            #expect(credentials.kind == .guest)
            #expect(credentials.identifier.hasPrefix("guest:"))
        }
    }

    @Test func primaryVariableTakesPrecedence() throws {
        let environment = [
            "LMSTUDIO_API_TOKEN": "sk-lm-PRIMARY1:aaaaaaaaaaaaaaaaaaaa",
            "LM_API_TOKEN": "sk-lm-second22:bbbbbbbbbbbbbbbbbbbb",
        ]
        #expect(try ClientCredentials.resolve(apiToken: nil, environment: environment).identifier == "PRIMARY1")
        // An empty primary variable is skipped, not a reason to fall back to guest.
        var skipped = environment
        skipped["LMSTUDIO_API_TOKEN"] = "  "
        #expect(try ClientCredentials.resolve(apiToken: nil, environment: skipped).identifier == "second22")
        // A malformed primary variable is an error even when the secondary one is valid.
        var malformed = environment
        malformed["LMSTUDIO_API_TOKEN"] = "nope"
        #expect(throws: CredentialsError.invalidToken(source: .environment("LMSTUDIO_API_TOKEN"))) {
            try ClientCredentials.resolve(apiToken: nil, environment: malformed)
        }
        // The argument wins over both.
        #expect(
            try ClientCredentials.resolve(apiToken: Self.validToken, environment: environment).identifier == "abcDEF78")
    }

    @Test func guestCredentialsAreRandomUUIDs() throws {
        let first = try ClientCredentials.resolve(apiToken: nil, environment: [:])
        let second = ClientCredentials.guest()
        #expect(first.kind == .guest)
        #expect(first != second)
        #expect(first.identifier.hasPrefix("guest:"))
        let uuid = String(first.identifier.dropFirst("guest:".count))
        for candidate in [uuid, first.passkey, second.passkey] {
            let bytes = Array(candidate.utf8)
            #expect(bytes.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") })
            #expect(bytes[14] == UInt8(ascii: "4"), "version 4")
            #expect("89ab".utf8.contains(bytes[19]), "RFC 4122 variant")
            #expect(
                bytes.enumerated().allSatisfy {
                    [8, 13, 18, 23].contains($0.offset) || "0123456789abcdef".utf8.contains($0.element)
                })
        }
        #expect(first.identifier.count <= 256 && first.passkey.count <= 256)
    }

    @Test func explicitCredentials() {
        let credentials = ClientCredentials.explicit(identifier: "plugin-id", passkey: "plugin-key")
        #expect(credentials.kind == .explicit)
        #expect(credentials.identifier == "plugin-id")
        #expect(credentials.passkey == "plugin-key")
    }

    @Test func descriptionsRedactThePasskey() throws {
        let credentials = try ClientCredentials.resolve(apiToken: Self.validToken, environment: [:])
        var dumped = ""
        dump(credentials, to: &dumped)
        let renderings = [
            credentials.description, credentials.debugDescription, "\(credentials)", String(describing: credentials),
            String(reflecting: credentials), dumped, "\([credentials])", "\(Optional(credentials) as Any)",
            "\(AuthPacket(credentials: credentials))", String(reflecting: AuthPacket(credentials: credentials)),
        ]
        for text in renderings {
            #expect(!text.contains("abcDEF7890abcDEF7890"), "leak in \(text)")
            #expect(!text.contains("abcDEF7890"), "leak in \(text)")
        }
        #expect(
            credentials.description
                == #"ClientCredentials(kind: apiToken, identifier: "abcDEF78", passkey: <redacted>)"#)
        #expect(dumped.contains("<redacted>"))
    }
}

@Suite struct AuthenticationTests {
    @Test func packetRoundTrips() throws {
        let packet = AuthPacket(
            clientIdentifier: "guest:2f9c6a0e-8f2e-4d7b-9a55-0c1d2e3f4a5b",
            clientPasskey: "7d3f0c52-1e8b-4c1e-a0a1-9b8c7d6e5f40")
        let bytes = packet.serialized()
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"authVersion":1,"clientIdentifier":"guest:2f9c6a0e-8f2e-4d7b-9a55-0c1d2e3f4a5b","clientPasskey":"7d3f0c52-1e8b-4c1e-a0a1-9b8c7d6e5f40"}"#
        )
        let decoded = try bytes.withUnsafeBytes { raw throws(EnvelopeError) in try AuthPacket.decode(raw) }
        #expect(decoded == packet)
        #expect(try AuthPacket.decode(bytes) == packet)
        #expect(throws: EnvelopeError.self) { try AuthPacket.decode(Array("{".utf8)) }
        #expect(
            try AuthPacket.decode(["authVersion": 1, "clientIdentifier": "a", "clientPasskey": "b", "extra": true])
                == AuthPacket(clientIdentifier: "a", clientPasskey: "b"))
    }

    @Test func packetRejectsInvalidInput() {
        #expect(
            throws: EnvelopeError.invalidMember(
                messageType: "authentication", member: "authVersion", expected: "the literal 1")
        ) {
            try AuthPacket.decode(["authVersion": 2, "clientIdentifier": "a", "clientPasskey": "b"])
        }
        #expect(
            throws: EnvelopeError.missingMember(
                messageType: "authentication", member: "clientPasskey", expected: "string")
        ) {
            try AuthPacket.decode(["authVersion": 1, "clientIdentifier": "a"])
        }
        #expect(throws: EnvelopeError.self) {
            try AuthPacket.decode([
                "authVersion": 1, "clientIdentifier": .string(String(repeating: "x", count: 257)), "clientPasskey": "b",
            ])
        }
        #expect(throws: EnvelopeError.notAnObject) { try AuthPacket.decode(JSONValue.array([1])) }
    }

    @Test func resultRoundTrips() throws {
        #expect(String(decoding: AuthResult.success.serialized(), as: UTF8.self) == #"{"success":true}"#)
        let failure = AuthResult.failure(
            message: #"Failed to validate client: Invalid client passkey for client "abcDEF78""#)
        #expect(
            String(decoding: failure.serialized(), as: UTF8.self)
                == #"{"success":false,"error":"Failed to validate client: Invalid client passkey for client \"abcDEF78\""}"#
        )
        for result in [AuthResult.success, failure] {
            let bytes = result.serialized()
            #expect(try bytes.withUnsafeBytes { raw throws(EnvelopeError) in try AuthResult.decode(raw) } == result)
            #expect(try AuthResult.decode(bytes) == result)
        }
    }

    @Test func resultAcceptsObjectErrorsAndRejectsGarbage() throws {
        #expect(
            try AuthResult.decode(["success": false, "error": ["title": "Denied", "cause": "bad token"]])
                == .failure(message: "Denied: bad token"))
        #expect(
            try AuthResult.decode(["success": false, "error": ["message": "Authentication timed out"]])
                == .failure(message: "Authentication timed out"))
        #expect(try AuthResult.decode(["success": false]) == .failure(message: AuthResult.unknownFailureMessage))
        #expect(try AuthResult.decode(["success": true, "extra": 1]) == .success)
        #expect(
            throws: EnvelopeError.missingMember(
                messageType: "authentication result", member: "success", expected: "Boolean")
        ) {
            try AuthResult.decode(["error": "x"])
        }
        #expect(
            throws: EnvelopeError.invalidMember(
                messageType: "authentication result", member: "success", expected: "a Boolean")
        ) {
            try AuthResult.decode(["success": "true"])
        }
    }
}
