import LMStudioProtocol
import Testing

@Suite struct ServerAddressTests {
    @Test(arguments: [
        ("127.0.0.1:1234", ServerAddress(scheme: .ws, host: "127.0.0.1", port: 1234)),
        ("localhost:41343", ServerAddress(scheme: .ws, host: "localhost", port: 41343)),
        ("  my-host.local:8080 \n", ServerAddress(scheme: .ws, host: "my-host.local", port: 8080)),
        ("ws://127.0.0.1:8080", ServerAddress(scheme: .ws, host: "127.0.0.1", port: 8080)),
        ("WS://Example.com:1", ServerAddress(scheme: .ws, host: "Example.com", port: 1)),
        ("wss://lm.example.com:443", ServerAddress(scheme: .wss, host: "lm.example.com", port: 443)),
        ("wss://lm.example.com", ServerAddress(scheme: .wss, host: "lm.example.com", port: 443)),
        ("ws://lm.example.com", ServerAddress(scheme: .ws, host: "lm.example.com", port: 80)),
        ("http://10.0.0.2:1234", ServerAddress(scheme: .ws, host: "10.0.0.2", port: 1234)),
        (
            "https://proxy.example.com/lmstudio",
            ServerAddress(scheme: .wss, host: "proxy.example.com", port: 443, pathPrefix: "/lmstudio")
        ),
        ("ws://host:65535/a/b-c_d.e", ServerAddress(scheme: .ws, host: "host", port: 65535, pathPrefix: "/a/b-c_d.e")),
        ("[::1]:1234", ServerAddress(scheme: .ws, host: "::1", port: 1234)),
        ("ws://[fe80::1:2]:99/p", ServerAddress(scheme: .ws, host: "fe80::1:2", port: 99, pathPrefix: "/p")),
        ("wss://[::ffff:10.0.0.1]", ServerAddress(scheme: .wss, host: "::ffff:10.0.0.1", port: 443)),
        ("host:1234/prefix", ServerAddress(scheme: .ws, host: "host", port: 1234, pathPrefix: "/prefix")),
    ])
    func accepts(text: String, expected: ServerAddress) throws {
        #expect(try ServerAddress(parsing: text) == expected)
    }

    @Test(arguments: [
        ("", ServerAddressError.empty),
        ("   ", .empty),
        ("ftp://host:21", .unsupportedScheme("ftp")),
        ("tcp://host:1", .unsupportedScheme("tcp")),
        ("ws://", .missingHost),
        (":1234", .missingHost),
        ("ws://:1234", .missingHost),
        ("[]:1", .missingHost),
        ("localhost", .missingPort),
        ("localhost:", .invalidPort),
        ("localhost:0", .invalidPort),
        ("localhost:65536", .invalidPort),
        ("localhost:123456", .invalidPort),
        ("localhost:-1", .invalidPort),
        ("localhost:12ab", .invalidPort),
        ("localhost:1234 junk", .invalidPort),
        ("ws://host:port", .invalidPort),
        ("ws://user:secret@host:1234", .credentialsNotAllowed),
        ("ws://host:1234?x=1", .queryNotAllowed),
        ("ws://host:1234/p?x", .queryNotAllowed),
        ("ws://host:1234#frag", .fragmentNotAllowed),
        ("ws://host:1234/", .trailingSlash),
        ("ws://host:1234/prefix/", .trailingSlash),
        ("ws://host:1234//x", .invalidPath),
        ("ws://host:1234/a b", .invalidPath),
        ("::1:1234", .invalidHost),
        ("[::1", .invalidHost),
        ("[::1]x", .invalidHost),
        ("[zz::1]:1", .invalidHost),
        ("ho st:1234", .invalidHost),
        ("hôst:1234", .invalidHost),
        ("-host:1234", .invalidHost),
    ])
    func rejects(text: String, error: ServerAddressError) {
        #expect(throws: error) { try ServerAddress(parsing: text) }
    }

    @Test func errorMessagesAreClearAndDoNotLeakCredentials() throws {
        do {
            _ = try ServerAddress(parsing: "ws://user:hunter2@host:1")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.description.hasPrefix("Invalid LM Studio server address: user names and passwords"))
        }
        #expect(ServerAddressError.invalidPort.description.contains("1 to 65535"))
        #expect(ServerAddressError.missingPort.description.contains("host:port"))
    }

    @Test func buildsURLs() throws {
        let plain = try ServerAddress(parsing: "127.0.0.1:1234")
        #expect(plain.websocketURL(namespace: .llm) == "ws://127.0.0.1:1234/llm")
        #expect(plain.greetingURL == "http://127.0.0.1:1234/lmstudio-greeting")
        #expect(plain.description == "ws://127.0.0.1:1234")

        let secure = try ServerAddress(parsing: "https://proxy.example.com/lmstudio")
        #expect(secure.websocketURL(namespace: .embedding) == "wss://proxy.example.com:443/lmstudio/embedding")
        #expect(secure.greetingURL == "https://proxy.example.com:443/lmstudio/lmstudio-greeting")
        #expect(secure.isSecure)

        let ipv6 = try ServerAddress(parsing: "[::1]:41343")
        #expect(ipv6.websocketURL(namespace: .system) == "ws://[::1]:41343/system")
        #expect(ipv6.hostAndPort == "[::1]:41343")
        #expect(ipv6.greetingURL == "http://[::1]:41343/lmstudio-greeting")

        #expect(ServerAddress.local(port: 52993).websocketURL(namespace: .files) == "ws://127.0.0.1:52993/files")
    }

    @Test func defaultPortsAreInProbeOrder() {
        #expect(ServerAddress.defaultPorts == [41343, 52993, 16141, 39414, 22931])
    }

    @Test func recognisesTheGreeting() {
        #expect(ServerAddress.isLMStudioGreeting(#"{"lmstudio":true}"#))
        #expect(ServerAddress.isLMStudioGreeting(#" {"version":"0.3","lmstudio":true} "#))
        #expect(ServerAddress.isLMStudioGreeting(Array(#"{"lmstudio":true}"#.utf8)))
        #expect(!ServerAddress.isLMStudioGreeting(#"{"lmstudio":false}"#))
        #expect(!ServerAddress.isLMStudioGreeting(#"{"lmstudio":"true"}"#))
        #expect(!ServerAddress.isLMStudioGreeting(#"{"lmstudio":1}"#))
        #expect(!ServerAddress.isLMStudioGreeting("[true]"))
        #expect(!ServerAddress.isLMStudioGreeting("<html>"))
        #expect(!ServerAddress.isLMStudioGreeting(""))
    }

    @Test func namespaces() {
        #expect(
            Namespace.allCases.map(\.rawValue) == [
                "llm", "embedding", "system", "diagnostics", "files", "repository", "plugins", "runtime",
            ])
        #expect(Namespace.llm.path == "/llm")
        #expect(Namespace(rawValue: "runtime") == .runtime)
    }
}
