import LMStudioTestSupport
import LMStudio
import Testing

/// `wss://` verifies the certificate chain and the host name by default, and never falls back
/// to plain `ws://`.
@Suite("TLS: certificate and host-name checks")
struct TLSTests {
    @Test("an untrusted (self-signed) certificate is refused by default")
    func untrustedCertificate() async throws {
        let certificate = try TestCertificate(commonName: "localhost", alternativeNames: "DNS:localhost,IP:127.0.0.1")
        defer { certificate.remove() }
        var options = ScriptedServer.Options()
        options.tlsCertificateFile = certificate.certificate
        options.tlsPrivateKeyFile = certificate.key
        let server = try await ScriptedServer.start(options)
        let client = try LMStudioClient(host: "wss://localhost:\(server.port)", apiToken: testToken)
        let error = await #expect(throws: LMStudioError.self) { _ = try await client.rawCall(.system, endpoint: "echo", parameter: 1) }
        #expect(error?.code == .connectionFailed, "got \(String(describing: error))")
        #expect(server.accepted == 0, "no websocket was opened, so no credentials were sent")
        await client.close()

        // The same server is fine once its certificate is trusted: the refusal was the trust.
        var configuration = LMStudioClient.Configuration()
        configuration.tls.caFile = certificate.certificate
        let trusting = try LMStudioClient(host: "wss://localhost:\(server.port)", apiToken: testToken, configuration: configuration)
        #expect(try await trusting.rawCall(.system, endpoint: "echo", parameter: 1) == 1)
        await trusting.close()
        await server.shutdown()
    }

    @Test("a trusted certificate for another host name is refused")
    func wrongHostName() async throws {
        let certificate = try TestCertificate(commonName: "wrong.example", alternativeNames: "DNS:wrong.example")
        defer { certificate.remove() }
        var options = ScriptedServer.Options()
        options.tlsCertificateFile = certificate.certificate
        options.tlsPrivateKeyFile = certificate.key
        let server = try await ScriptedServer.start(options)
        var configuration = LMStudioClient.Configuration()
        configuration.tls.caFile = certificate.certificate
        let client = try LMStudioClient(host: "wss://localhost:\(server.port)", apiToken: testToken, configuration: configuration)
        let error = await #expect(throws: LMStudioError.self) { _ = try await client.rawCall(.system, endpoint: "echo", parameter: 1) }
        #expect(error?.code == .connectionFailed, "got \(String(describing: error))")
        #expect(server.accepted == 0)
        await client.close()

        // Only the explicit test-only switch accepts it.
        configuration.tls = .init(allowSelfSigned: true)
        let insecure = try LMStudioClient(host: "wss://localhost:\(server.port)", apiToken: testToken, configuration: configuration)
        #expect(try await insecure.rawCall(.system, endpoint: "echo", parameter: 2) == 2)
        await insecure.close()
        await server.shutdown()
    }

    @Test("wss:// to a plain server fails; it is never retried as ws://")
    func noDowngrade() async throws {
        let server = try await ScriptedServer.start()
        let client = try LMStudioClient(host: "wss://127.0.0.1:\(server.port)", apiToken: testToken)
        for _ in 0..<2 {
            let error = await #expect(throws: LMStudioError.self) { _ = try await client.rawCall(.system, endpoint: "echo", parameter: 1) }
            #expect(error?.code == .connectionFailed, "got \(String(describing: error))")
        }
        #expect(server.accepted == 0, "nothing reached the plain server as a websocket")
        #expect(try await client.serverAddress().scheme == .wss)
        await client.close()
        await server.shutdown()
    }
}
