import LMStudioTestSupport
import LMStudioTransport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("busy polling after activity")
struct BusyPollTests {
    @Test("inside the window the loop thread does not sleep between round trips; after it, it sleeps and uses no CPU")
    func windowBoundsTheSpinning() async throws {
        var serverSettings = WebSocketServer.Configuration()
        serverSettings.threadName = "bp.server"
        let server = try await TestServer(configuration: serverSettings)
        let roundTrips = 500

        // A 20 ms window: every reply of the loopback echo server arrives well inside it.
        let spinning = try await run(roundTrips: roundTrips, url: server.url, threadName: "bp.spin", window: .milliseconds(20))
        // Off: the loop sleeps in poll while each reply is on its way.
        let sleeping = try await run(roundTrips: roundTrips, url: server.url, threadName: "bp.sleep", window: nil)

        #expect(spinning.switchesDuringRoundTrips < roundTrips / 2, "the loop slept between round trips: \(spinning)")
        #expect(sleeping.switchesDuringRoundTrips >= roundTrips / 2, "the loop did not sleep without busy polling: \(sleeping)")
        // Half a second idle after the window: a loop that kept spinning would use about 50 ticks.
        #expect(spinning.idleTicks <= 5, "the loop kept polling after its window: \(spinning)")
        await server.shutdown()
    }

    struct Observation: CustomStringConvertible {
        var switchesDuringRoundTrips: Int
        var idleTicks: Int
        var description: String { "\(switchesDuringRoundTrips) voluntary switches, \(idleTicks) ticks idle" }
    }

    private func run(roundTrips: Int, url: String, threadName: String, window: Duration?) async throws -> Observation {
        var settings = WebSocketClient.Configuration()
        settings.threadName = threadName
        settings.busyPollWindow = window
        let client = try await WebSocketClient.start(configuration: settings)
        let connection = try await client.connect(to: url)
        var messages = connection.messages.makeAsyncIterator()
        try connection.send(text: "warm-up")
        _ = try await messages.next()

        let before = try #require(ThreadStats.read(named: threadName))
        for index in 0..<roundTrips {
            try connection.send(text: "m\(index)")
            let echo = try #require(try await messages.next())
            #expect(String(decoding: echo, as: UTF8.self) == "m\(index)")
        }
        let after = try #require(ThreadStats.read(named: threadName))
        try await Task.sleep(for: .milliseconds(100))
        let idleStart = try #require(ThreadStats.read(named: threadName))
        try await Task.sleep(for: .milliseconds(500))
        let idleEnd = try #require(ThreadStats.read(named: threadName))

        connection.close()
        await client.shutdown()
        return Observation(
            switchesDuringRoundTrips: after.voluntarySwitches - before.voluntarySwitches,
            idleTicks: idleEnd.cpuTicks - idleStart.cpuTicks
        )
    }
}

/// CPU time and voluntary context switches of one thread of this process, from /proc.
struct ThreadStats {
    var cpuTicks: Int
    var voluntarySwitches: Int

    static func read(named name: String) -> ThreadStats? {
        guard let directory = opendir("/proc/self/task") else { return nil }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let tid = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard tid != ".", tid != "..", readTextFile("/proc/self/task/\(tid)/comm")?.hasPrefix(name) == true,
                let stat = readTextFile("/proc/self/task/\(tid)/stat"), let status = readTextFile("/proc/self/task/\(tid)/status")
            else { continue }
            // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
            guard let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
            let switches = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: " \t")) }
            guard let switches else { return nil }
            return ThreadStats(cpuTicks: user + system, voluntarySwitches: switches)
        }
        return nil
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
