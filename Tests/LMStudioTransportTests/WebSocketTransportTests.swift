import LMStudioTestSupport
import LMStudioTransport
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("websocket transport over loopback")
struct WebSocketTransportTests {
    @Test("messages from 0 bytes to 16 MiB come back intact", arguments: [0, 1, 125, 126, 4095, 65535, 65536, 1 << 20, 16 << 20])
    func roundTripSizes(size: Int) async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let connection = try await client.connect(to: server.url)
        var payload = [UInt8](repeating: 0, count: size)
        for index in payload.indices { payload[index] = UInt8(ascii: "A") + UInt8(truncatingIfNeeded: (index * 7) % 26) }
        // A payload starting with a command word would be interpreted; none of these do.
        try connection.send(utf8: payload)
        var iterator = connection.messages.makeAsyncIterator()
        let echoed = try await iterator.next()
        #expect(echoed == payload)
        connection.close()
        #expect(await connection.waitUntilClosed() == nil)
        await client.shutdown()
        await server.shutdown()
    }

    @Test("extra handshake headers reach the server")
    func handshakeHeaders() async throws {
        let server = try await WebSocketServer.start()
        let client = try await WebSocketClient.start()
        async let accepted = server.connections.first(where: { _ in true })
        _ = try await client.connect(to: "ws://127.0.0.1:\(server.port)/llm", headers: [("Authorization", "Bearer test-value")])
        let connection = await accepted
        #expect(connection?.path == "/llm")
        #expect(connection?.handshakeAuthorization == "Bearer test-value")
        await client.shutdown()
        await server.shutdown()
    }

    @Test("10,000 messages keep their order in both directions")
    func ordering() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let connection = try await client.connect(to: server.url)
        try connection.send(text: "stream:10000:100")
        var expected = 0
        for try await message in connection.messages {
            #expect(streamIndex(message) == expected)
            #expect(message.count == 100)
            expected += 1
            if expected == 10_000 { break }
        }
        #expect(expected == 10_000)

        for index in 0..<10_000 { try connection.send(text: "m\(index)") }
        var received = 0
        for try await message in connection.messages {
            #expect(String(decoding: message, as: UTF8.self) == "m\(received)")
            received += 1
            if received == 10_000 { break }
        }
        #expect(received == 10_000)
        await client.shutdown()
        await server.shutdown()
    }

    @Test("64 concurrent senders lose nothing")
    func concurrentSenders() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let connection = try await client.connect(to: server.url)
        let perSender = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<64 {
                group.addTask {
                    for index in 0..<perSender { try connection.send(text: "s\(sender).\(index)") }
                }
            }
            try await group.waitForAll()
        }
        var next = [Int](repeating: 0, count: 64)
        var total = 0
        for try await message in connection.messages {
            let parts = String(decoding: message.dropFirst(), as: UTF8.self).split(separator: ".")
            let sender = Int(parts[0])!, index = Int(parts[1])!
            #expect(index == next[sender], "sender \(sender) out of order")
            next[sender] = index + 1
            total += 1
            if total == 64 * perSender { break }
        }
        #expect(total == 64 * perSender)
        #expect(next.allSatisfy { $0 == perSender })
        await client.shutdown()
        await server.shutdown()
    }

    @Test("a peer that drops the connection mid-message gives connectionLost, and nothing partial is delivered")
    func peerDropsMidMessage() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let connection = try await client.connect(to: server.url)
        try connection.send(text: "half-then-abort")
        var delivered = 0
        let error = await #expect(throws: TransportError.self) {
            for try await _ in connection.messages { delivered += 1 }
        }
        #expect(error == .connectionLost)
        #expect(delivered == 0)
        #expect(throws: TransportError.connectionLost) { try connection.send(text: "after") }
        await client.shutdown()
        await server.shutdown()
    }

    @Test("messages written just before an abort still arrive", arguments: [1 << 10, 16 << 20])
    func abortFlushesQueuedWrites(size: Int) async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let connection = try await client.connect(to: server.url)
        try connection.send(text: "big-then-abort:\(size)")
        var sizes: [Int] = []
        let error = await #expect(throws: TransportError.self) {
            for try await message in connection.messages { sizes.append(message.count) }
        }
        #expect(error == .connectionLost)
        #expect(sizes == [size])
        await client.shutdown()
        await server.shutdown()
    }

    @Test("a message sent as many fragments is reassembled", arguments: [2, 10, 1000])
    func fragmentedMessage(fragments: Int) async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let connection = try await client.connect(to: server.url)
        try connection.send(text: "fragmented:\(fragments):100000")
        var iterator = connection.messages.makeAsyncIterator()
        let message = try await iterator.next()
        #expect(message == TestServer.payload(index: 7, size: 100_000))
        await client.shutdown()
        await server.shutdown()
    }

    @Test("close codes: 1000 ends the stream, others are typed errors with the reason")
    func closeCodes() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let clean = try await client.connect(to: server.url)
        try clean.send(text: "close:1000:done")
        for try await _ in clean.messages { Issue.record("no message expected") }
        let rude = try await client.connect(to: server.url)
        try rude.send(text: "close:4001:go away")
        let error = await #expect(throws: TransportError.self) { for try await _ in rude.messages {} }
        #expect(error == .closedByPeer(code: 4001, reason: "go away"))
        await client.shutdown()
        await server.shutdown()
    }

    @Test("a refused connection fails fast with a typed error")
    func refused() async throws {
        let server = try await TestServer()
        let port = server.port
        await server.shutdown()
        let client = try await WebSocketClient.start()
        let start = ContinuousClock.now
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.connect(to: "ws://127.0.0.1:\(port)/")
        }
        #expect(error == .connectionRefused(host: "127.0.0.1", port: port))
        #expect(ContinuousClock.now - start < slack(.seconds(1)))
        await client.shutdown()
    }

    @Test("an unknown host is a DNS failure")
    func unknownHost() async throws {
        let client = try await WebSocketClient.start()
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.connect(to: "ws://no-such-host.invalid:1234/")
        }
        #expect(error == .dnsFailure(host: "no-such-host.invalid"))
        await client.shutdown()
    }

    @Test("a refused websocket path is a handshake rejection")
    func handshakeRejected() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.connect(to: "ws://127.0.0.1:\(server.port)/refused")
        }
        guard case .handshakeRejected(let status) = error else {
            Issue.record("expected handshakeRejected, got \(String(describing: error))")
            return
        }
        #expect(status >= 400)
        await client.shutdown()
        await server.shutdown()
    }

    @Test("invalid URLs are rejected before any I/O", arguments: ["http//x", "ws://", "ws://host:0/", "ws://host:99999/", "ftp://x/", "ws://[::1/"])
    func invalidURL(url: String) async throws {
        let client = try await WebSocketClient.start()
        await #expect(throws: TransportError.self) { _ = try await client.connect(to: url) }
        await client.shutdown()
    }

    @Test("an incoming message over the limit is a typed error and later connections work")
    func messageTooBig() async throws {
        let server = try await TestServer()
        var configuration = WebSocketClient.Configuration()
        configuration.maxMessageSize = 4096
        let client = try await WebSocketClient.start(configuration: configuration)
        let connection = try await client.connect(to: server.url)
        try connection.send(text: "stream:1:5000")
        let error = await #expect(throws: TransportError.self) { for try await _ in connection.messages {} }
        #expect(error == .messageTooBig(limit: 4096))
        let next = try await client.connect(to: server.url)
        try next.send(text: "stream:1:4096")
        var iterator = next.messages.makeAsyncIterator()
        #expect(try await iterator.next()?.count == 4096)
        await client.shutdown()
        await server.shutdown()
    }

    @Test("keep-alive notices a peer that stops answering")
    func keepAliveDetectsSilentPeer() async throws {
        let server = try await TestServer()
        var configuration = WebSocketClient.Configuration()
        configuration.keepAlive = .init(pingInterval: 1, timeout: 1)
        let client = try await WebSocketClient.start(configuration: configuration)
        let connection = try await client.connect(to: server.url)
        try connection.send(text: "ping")
        var iterator = connection.messages.makeAsyncIterator()
        #expect(try await iterator.next() == Array("ping".utf8))
        try connection.send(text: "freeze")
        let error = await #expect(throws: TransportError.self) { while try await iterator.next() != nil {} }
        guard case .timedOut = error else {
            Issue.record("expected a keep-alive timeout, got \(String(describing: error))")
            return
        }
        await client.shutdown()
        await server.shutdown()
    }

    @Test("an idle healthy connection survives keep-alive pings")
    func keepAliveKeepsHealthyConnection() async throws {
        let server = try await TestServer()
        var configuration = WebSocketClient.Configuration()
        configuration.keepAlive = .init(pingInterval: 1, timeout: 1)
        let client = try await WebSocketClient.start(configuration: configuration)
        let connection = try await client.connect(to: server.url)
        try await Task.sleep(for: .seconds(3.5))
        #expect(connection.isOpen)
        try connection.send(text: "still here")
        var iterator = connection.messages.makeAsyncIterator()
        #expect(try await iterator.next() == Array("still here".utf8))
        await client.shutdown()
        await server.shutdown()
    }

    @Test("backpressure bounds the buffer while a slow consumer reads 200,000 messages")
    func backpressure() async throws {
        let server = try await TestServer()
        var configuration = WebSocketClient.Configuration()
        configuration.receiveHighWater = (count: 256, bytes: 1 << 20)
        let client = try await WebSocketClient.start(configuration: configuration)
        let connection = try await client.connect(to: server.url)
        try connection.send(text: "stream:200000:110")
        var expected = 0
        for try await message in connection.messages {
            #expect(streamIndex(message) == expected)
            expected += 1
            if expected % 20_000 == 0 { try await Task.sleep(for: .milliseconds(20)) }
            if expected % 2_000 == 0 { await Task.yield() }
            if expected == 200_000 { break }
        }
        #expect(expected == 200_000)
        // lws may hand over what it already read when reading pauses; allow one read's worth.
        #expect(connection.peakBufferedMessageCount <= 256 + 512)
        #expect(connection.peakBufferedMessageCount >= 256, "the consumer was slow enough to fill the buffer")
        await client.shutdown()
        await server.shutdown()
    }

    @Test("plain HTTP GET through the client loop")
    func httpGet() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let greeting = try await client.httpGet("http://127.0.0.1:\(server.port)/lmstudio-greeting")
        #expect(greeting.status == 200)
        #expect(String(decoding: greeting.body, as: UTF8.self) == #"{"lmstudio":true}"#)
        let missing = try await client.httpGet("http://127.0.0.1:\(server.port)/elsewhere")
        #expect(missing.status == 404)
        let port = server.port
        await server.shutdown()
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.httpGet("http://127.0.0.1:\(port)/lmstudio-greeting")
        }
        #expect(error == .connectionRefused(host: "127.0.0.1", port: port))
        await client.shutdown()
    }

    @Test("1,000 connect/close cycles leave no threads or connections behind")
    func connectCloseCycles() async throws {
        let server = try await TestServer()
        let before = threadCount()
        let client = try await WebSocketClient.start()
        for _ in 0..<1_000 {
            let connection = try await client.connect(to: server.url)
            connection.close()
            #expect(await connection.waitUntilClosed() == nil)
        }
        #expect(await client.registeredConnectionCount() == 0)
        await client.shutdown()
        for _ in 0..<200 {
            let shortLived = try await WebSocketClient.start()
            let connection = try await shortLived.connect(to: server.url)
            try connection.send(text: "x")
            await shortLived.shutdown()
        }
        #expect(threadCount() <= before)
        await server.shutdown()
    }

    @Test("cancelling a waiting reader ends its iteration with .cancelled")
    func cancelledReader() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let connection = try await client.connect(to: server.url)
        let reader = Task { () -> TransportError? in
            do {
                for try await _ in connection.messages {}
                return nil
            } catch let error as TransportError {
                return error
            } catch {
                return nil
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        reader.cancel()
        #expect(await reader.value == .cancelled)
        await client.shutdown()
        await server.shutdown()
    }

    @Test("a consumer running on the loop's task executor: round trips, then shutdown from the loop")
    func loopExecutorConsumer() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let url = server.url
        let received = try await withTaskExecutorPreference(client.taskExecutor) { () async throws -> Int in
            let connection = try await client.connect(to: url)
            var iterator = connection.messages.makeAsyncIterator()
            var count = 0
            for index in 0..<1_000 {
                try connection.send(text: "m\(index)")
                guard let echo = try await iterator.next() else { break }
                #expect(String(decoding: echo, as: UTF8.self) == "m\(index)")
                count += 1
            }
            await client.shutdown()
            return count
        }
        #expect(received == 1_000)
        await server.shutdown()
    }

    @Test("sending on a shut-down client is a typed error, not a crash")
    func sendAfterShutdown() async throws {
        let server = try await TestServer()
        let client = try await WebSocketClient.start()
        let connection = try await client.connect(to: server.url)
        await client.shutdown()
        #expect(throws: TransportError.self) { try connection.send(text: "late") }
        await #expect(throws: TransportError.closed) { _ = try await client.connect(to: server.url) }
        await server.shutdown()
    }
}
