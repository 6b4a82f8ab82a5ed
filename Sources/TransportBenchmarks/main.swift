// The transport benchmark: sequential round trips and one-way streaming over one websocket,
// measured for the Swift transport and for the same loop written directly in C against
// libwebsockets, against the same in-process server, interleaved, in one run.
//
//     swift run -c release lmstudio-transport-bench [--rounds N] [--roundtrips N] [--messages N] [--size BYTES]
import CTransportBench
import LMStudioTransport
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var rounds = 3
    var roundtrips = 20_000
    var messages = 300_000
    var size = 110

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            let value = iterator.next().flatMap { Int($0) }
            switch (argument, value) {
            case ("--rounds", let value?): rounds = max(1, value)
            case ("--roundtrips", let value?): roundtrips = max(1, value)
            case ("--messages", let value?): messages = max(1, value)
            case ("--size", let value?): size = min(65_536, max(8, value))
            default:
                print("usage: lmstudio-transport-bench [--rounds N] [--roundtrips N] [--messages N] [--size BYTES]")
                exit(2)
            }
        }
    }
}

/// Echoes every message; `stream:N:SIZE` answers with N messages of SIZE bytes.
func serve(_ connection: WebSocketConnection) async {
    do {
        for try await message in connection.messages {
            if message.starts(with: Array("stream:".utf8)) {
                let parts = String(decoding: message, as: UTF8.self).split(separator: ":")
                let count = Int(parts[1]) ?? 0, size = Int(parts[2]) ?? 0
                let payload = [UInt8](repeating: UInt8(ascii: "s"), count: size)
                for _ in 0..<count { try connection.send(utf8: payload) }
            } else {
                try connection.send(utf8: message)
            }
        }
    } catch {}
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func swiftRun(url: String, options: Options) async throws -> (roundtrips: Double, messages: Double) {
    let client = try await WebSocketClient.start()
    defer { Task { await client.shutdown() } }
    let connection = try await client.connect(to: url)
    var iterator = connection.messages.makeAsyncIterator()
    let payload = [UInt8](repeating: UInt8(ascii: "r"), count: options.size)
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<options.roundtrips {
        try connection.send(utf8: payload)
        guard try await iterator.next() != nil else { throw TransportError.connectionLost }
    }
    let roundtripTime = clock.now - start
    let streamStart = clock.now
    try connection.send(text: "stream:\(options.messages):\(options.size)")
    var received = 0
    while received < options.messages, try await iterator.next() != nil { received += 1 }
    let streamTime = clock.now - streamStart
    connection.close()
    await connection.waitUntilClosed()
    await client.shutdown()
    return (Double(options.roundtrips) / seconds(roundtripTime), Double(received) / seconds(streamTime))
}

func cRun(port: Int, options: Options) -> (roundtrips: Double, messages: Double)? {
    var result = ctb_result()
    let status = ctb_run("127.0.0.1", Int32(port), "/bench", Int32(options.roundtrips), Int32(options.messages), Int32(options.size), &result)
    guard status == 0 else { return nil }
    return (result.roundtrips_per_s, result.messages_per_s)
}

func note(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func fixed2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

func format(_ value: Double) -> String {
    String(Int(value.rounded()))
}

let options = Options(arguments: CommandLine.arguments)
let server = try await WebSocketServer.start()
// Detached: a task inheriting the main actor would serve connections only when the main
// thread is free, and the C reference loop below blocks it.
let acceptor = Task.detached {
    await withDiscardingTaskGroup { group in
        for await connection in server.connections { group.addTask { await serve(connection) } }
    }
}
let url = "ws://127.0.0.1:\(server.port)/bench"
var swiftRoundtrips: [Double] = [], swiftMessages: [Double] = []
var cRoundtrips: [Double] = [], cMessages: [Double] = []
for round in 1...options.rounds {
    let swift = try await swiftRun(url: url, options: options)
    guard let c = cRun(port: server.port, options: options) else {
        print("the C reference loop failed")
        exit(1)
    }
    swiftRoundtrips.append(swift.roundtrips)
    swiftMessages.append(swift.messages)
    cRoundtrips.append(c.roundtrips)
    cMessages.append(c.messages)
    let line = "round \(round): swift \(format(swift.roundtrips)) rt/s, \(format(swift.messages)) msg/s; "
        + "C \(format(c.roundtrips)) rt/s, \(format(c.messages)) msg/s\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}
await server.shutdown()
acceptor.cancel()

let roundtripRatio = median(swiftRoundtrips) / median(cRoundtrips)
print("message_size_bytes: \(options.size)")
print("swift_roundtrips_per_s: \(format(median(swiftRoundtrips)))")
print("c_roundtrips_per_s: \(format(median(cRoundtrips)))")
print("roundtrip_ratio_swift_over_c: \(fixed2(roundtripRatio))")
print("swift_stream_messages_per_s: \(format(median(swiftMessages)))")
print("c_stream_messages_per_s: \(format(median(cMessages)))")
