import LMStudioTestSupport
import Foundation
import LMStudioTransport
import Testing


@Suite("TLS")
struct TLSTests {
    @Test("a self-signed server is rejected by default and accepted with its CA file")
    func verification() async throws {
        let certificate = try TestCertificate()
        defer { certificate.remove() }
        var serverConfiguration = WebSocketServer.Configuration()
        serverConfiguration.tlsCertificateFile = certificate.certificate
        serverConfiguration.tlsPrivateKeyFile = certificate.key
        let server = try await TestServer(configuration: serverConfiguration)
        let url = "wss://localhost:\(server.port)/echo"

        var strictConfiguration = WebSocketClient.Configuration()
        strictConfiguration.tlsEnabled = true
        let strict = try await WebSocketClient.start(configuration: strictConfiguration)
        let error = await #expect(throws: TransportError.self) { _ = try await strict.connect(to: url) }
        guard case .tlsFailure = error else {
            Issue.record("expected a TLS failure, got \(String(describing: error))")
            return
        }
        await #expect(throws: TransportError.self) {
            _ = try await strict.httpGet("https://localhost:\(server.port)/lmstudio-greeting")
        }
        await strict.shutdown()

        var trusting = WebSocketClient.Configuration()
        trusting.tlsEnabled = true
        trusting.tls = .init(caFile: certificate.certificate)
        let client = try await WebSocketClient.start(configuration: trusting)
        let connection = try await client.connect(to: url)
        try connection.send(text: "over tls")
        var iterator = connection.messages.makeAsyncIterator()
        #expect(try await iterator.next() == Array("over tls".utf8))
        let greeting = try await client.httpGet("https://localhost:\(server.port)/lmstudio-greeting")
        #expect(greeting.status == 200)
        #expect(String(decoding: greeting.body, as: UTF8.self) == #"{"lmstudio":true}"#)
        await client.shutdown()

        var insecure = WebSocketClient.Configuration()
        insecure.tlsEnabled = true
        insecure.tls = .init(allowSelfSigned: true, skipHostnameVerification: true)
        let testsOnly = try await WebSocketClient.start(configuration: insecure)
        let accepted = try await testsOnly.connect(to: "wss://127.0.0.1:\(server.port)/echo")
        #expect(accepted.isOpen)
        await testsOnly.shutdown()
        await server.shutdown()
    }
}
