import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import LMStudioTransport
import Testing

/// API tokens and passkeys never show: not in logs at any level, error descriptions,
/// `description`/`debugDescription`, `dump` or reflection — even when a server echoes them.
@Suite("secrets")
struct SecretTests {
    static let secrets = [testToken, testPasskey]

    /// Everything a program could print about a value.
    static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        var rendered = [String(describing: value), String(reflecting: value), dumped]
        for child in Mirror(reflecting: value).children { rendered.append(String(reflecting: child.value)) }
        return rendered
    }

    static func expectNoSecret(_ texts: [String], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for text in texts {
            for secret in secrets where text.contains(secret) {
                Issue.record("\(what) contains a secret: \(text.prefix(300))", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a server that echoes the token and passkey back in every kind of frame cannot get them logged or into errors")
    func echoingServer() async throws {
        let quoted = "token \(testToken) passkey \(testPasskey)"
        var options = ScriptedServer.Options()
        options.hostileFrames = [
            Array("not JSON: \(quoted)".utf8),
            Array(#"{"type":"communicationWarning","warning":"\#(quoted)"}"#.utf8),
            Array(#"{"type":"\#(testPasskey)","x":1}"#.utf8),
            Array(#"{"type":"channelSend","channelId":99,"message":"\#(quoted)"}"#.utf8),
            Array(#"{"type":"rpcResult","callId":"\#(testPasskey)"}"#.utf8),
        ]
        let capture = LogCapture()
        let transportLines = LockedValue<[String]>([])
        TransportLog.setHandler { line in transportLines.withLock { $0.append(line) } }
        defer { TransportLog.setHandler(nil) }
        var configuration = LMStudioClient.Configuration()
        configuration.logger = capture.logger
        configuration.requestTimeout = slack(.milliseconds(300))
        var errors: [LMStudioError] = []
        try await withScriptedClient(options, clientConfiguration: configuration, apiToken: testToken) { _, client in
            let answer = try await client.rawCall(.llm, endpoint: "hostile", parameter: "ok", timeout: .seconds(30))
            #expect(answer == "ok")
            do throws(LMStudioError) {
                _ = try await client.rawCall(.llm, endpoint: "silent", parameter: .string(quoted))
            } catch {
                errors.append(error)
            }
            // Reflecting a connected client, or an open channel, shows no secret and does not
            // trap on the locked, non-copyable state inside.
            let channel = try await client.rawChannel(.llm, endpoint: "stream", creationParameter: ["count": 1000, "intervalMs": 5])
            Self.expectNoSecret(Self.renderings(client), "the client")
            Self.expectNoSecret(Self.renderings(channel), "a channel")
            try channel.send(["type": "cancel"])
        }
        #expect(errors.count == 1)
        let lines = capture.all
        #expect(lines.contains { $0.hasPrefix("trace:") }, "captured at the most verbose level")
        #expect(lines.contains { $0.contains("<redacted>") }, "the echoed secrets reached the logger, redacted")
        Self.expectNoSecret(lines, "a log line")
        Self.expectNoSecret(transportLines.withLock { $0 }, "a transport log line")
        for error in errors { Self.expectNoSecret(Self.renderings(error) + [error.message], "an error") }
    }

    @Test("server errors and rejections that quote the secrets are redacted in errors and logs")
    func serverErrorsQuotingSecrets() async throws {
        var serverConfiguration = MockServer.Configuration()
        serverConfiguration.apiToken = testToken
        serverConfiguration.behavior.faults = [
            .error(endpoint: "getModelInfo", .init(
                title: "bad key \(testPasskey)", cause: "token \(testToken)", suggestion: "rotate \(testPasskey)",
                displayData: ["code": "generic.somethingElse", "echo": .string(testPasskey)]
            )),
        ]
        let capture = LogCapture()
        var configuration = LMStudioClient.Configuration()
        configuration.logger = capture.logger
        var errors: [LMStudioError] = []
        try await withMockClient(serverConfiguration: serverConfiguration, clientConfiguration: configuration, apiToken: testToken) { server, client in
            do throws(LMStudioError) {
                _ = try await client.rawCall(.llm, endpoint: "getModelInfo", parameter: ["specifier": modelQuery(chatModel)])
            } catch {
                errors.append(error)
            }
            server.updateBehavior { $0.faults = [.rejectAuthentication("rejected \(testToken) / \(testPasskey)")] }
            let second = try LMStudioClient(host: server.address, apiToken: testToken, configuration: configuration)
            do throws(LMStudioError) {
                _ = try await second.rawCall(.system, endpoint: "version")
            } catch {
                errors.append(error)
            }
            await second.close()
        }
        #expect(errors.map(\.code) == [.serverError("generic.somethingElse"), .authenticationFailed])
        for error in errors { Self.expectNoSecret(Self.renderings(error) + [error.message], "an error") }
        Self.expectNoSecret(capture.all, "a log line")
    }

    @Test("credentials, clients and construction errors never show the token or passkey")
    func renderedValues() throws {
        let credentials = try ClientCredentials.resolve(apiToken: testToken, environment: [:])
        Self.expectNoSecret(Self.renderings(credentials), "credentials")
        let explicit = ClientCredentials.explicit(identifier: "plugin-runner", passkey: testPasskey)
        Self.expectNoSecret(Self.renderings(explicit), "explicit credentials")
        let client = try LMStudioClient(host: "127.0.0.1:1", apiToken: testToken)
        Self.expectNoSecret(Self.renderings(client), "a client")
        let withPasskey = try LMStudioClient(host: "127.0.0.1:1", credentials: explicit)
        Self.expectNoSecret(Self.renderings(withPasskey), "a client with explicit credentials")
        // A token one character off is malformed: the error must not quote it either.
        let malformed = String(testToken.dropLast())
        do {
            _ = try LMStudioClient(host: "127.0.0.1:1", apiToken: malformed)
            Issue.record("a malformed token was accepted")
        } catch {
            for text in Self.renderings(error) + [error.message] {
                #expect(!text.contains(malformed) && !text.contains(String(testPasskey.dropLast())))
            }
        }
    }
}
