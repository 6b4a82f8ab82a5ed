// A bounded soak run: mixed traffic against an in-process mock server that restarts on the same
// port every few seconds; reports RSS at start, once warm, and at the end, and fails when RSS
// grew by more than a small bound after warm-up, when traffic does not recover after a
// restart, or when calls or channels are left behind. See scripts/soak.sh.
import LMStudio
import LMStudioMockServer
#if canImport(Glibc)
import Glibc
#endif

func environmentInt(_ name: String, _ fallback: Int) -> Int {
    getenv(name).flatMap { Int(String(cString: $0)) } ?? fallback
}

/// Resident set size in KiB, from /proc/self/status.
func residentKiB() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if text.hasPrefix("VmRSS:") {
            return Int(text.dropFirst(6).filter(\.isNumber)) ?? -1
        }
    }
    return -1
}

func say(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
}

let seconds = environmentInt("SOAK_SECONDS", 120)
let restartEvery = environmentInt("SOAK_RESTART_SECONDS", 10)
let concurrency = environmentInt("SOAK_CONCURRENCY", 32)
let maxRounds = environmentInt("SOAK_MAX_ROUNDS", 1_000_000)
let growthLimitKiB = environmentInt("SOAK_RSS_GROWTH_KB", 12 * 1024)

/// Counts of what happened, by outcome.
final class Tally: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var counts: [String: Int] = [:]
    init() { pthread_mutex_init(&lock, nil) }
    func add(_ key: String) {
        pthread_mutex_lock(&lock)
        counts[key, default: 0] += 1
        pthread_mutex_unlock(&lock)
    }
    var snapshot: [String: Int] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return counts
    }
}

func predictParameter(_ prompt: String) -> JSONValue {
    [
        "modelSpecifier": ["type": "query", "query": ["identifier": "qwen2.5-0.5b-instruct"]],
        "history": ["messages": [["role": "user", "content": [["type": "text", "text": .string(prompt)]]]]],
        "predictionConfigStack": ["layers": []],
    ]
}

/// One operation of the mix; returns the outcome's name.
func operation(_ kind: Int, client: LMStudioClient, round: Int) async -> String {
    do throws(LMStudioError) {
        switch kind % 6 {
        case 0:
            _ = try await client.rawCall(.system, endpoint: "version")
        case 1:
            let text = "soak \(round) \(kind)"
            let count = try await client.rawCall(.llm, endpoint: "countTokens", parameter: [
                "specifier": ["type": "query", "query": ["identifier": "qwen2.5-0.5b-instruct"]], "inputString": .string(text),
            ])
            if count?["tokenCount"]?.intValue != 3 { return "wrong-answer" }
        case 2:
            _ = try await client.rawCall(.embedding, endpoint: "embedString", parameter: [
                "modelSpecifier": ["type": "query", "query": ["identifier": "text-embedding-nomic-embed-text-v1.5"]],
                "inputString": "soak",
            ])
        case 3, 4:
            // A whole prediction (echo), or one cancelled after its first fragment.
            let prompt = "echo \(round)-\(kind)"
            let channel = try await client.rawChannel(.llm, endpoint: "predict", creationParameter: predictParameter(prompt))
            var text = ""
            for try await packet in channel {
                if let content = packet["fragment"]?["content"]?.stringValue {
                    text += content
                    if kind % 6 == 4 {
                        try channel.send(["type": "cancel"])
                        for try await _ in channel {}
                        return "cancelled-prediction"
                    }
                }
            }
            if text != prompt { return "wrong-answer" }
        default:
            let logs = try await client.rawChannel(.diagnostics, endpoint: "streamLogs")
            try logs.send(["type": "stop"])
            for try await _ in logs {}
        }
        return "ok"
    } catch {
        return "error:\(error.code)"
    }
}

/// The current server, replaced by each restart.
final class ServerBox: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var current: MockServer
    init(_ server: MockServer) {
        current = server
        pthread_mutex_init(&lock, nil)
    }
    var server: MockServer {
        get {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            return current
        }
        set {
            pthread_mutex_lock(&lock)
            current = newValue
            pthread_mutex_unlock(&lock)
        }
    }
}

@main
struct Soak {
    static func main() async throws {
        var configuration = MockServer.Configuration()
        configuration.recordsMessages = false
        configuration.behavior = .echo
        let first = try await MockServer.start(configuration: configuration)
        configuration.port = first.port
        let box = ServerBox(first)
        var clientConfiguration = LMStudioClient.Configuration()
        clientConfiguration.requestTimeout = .seconds(5)
        clientConfiguration.logger = .disabled
        let client = try LMStudioClient(host: first.address, apiToken: "", configuration: clientConfiguration)

        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        let warmAt = start + .seconds(max(1, seconds / 4))
        let startRSS = residentKiB()
        var warmRSS: Int?
        var rounds = 0
        var peakRSS = startRSS
        let tally = Tally()
        say("soak: \(seconds) s, restart every \(restartEvery) s, \(concurrency) concurrent operations; RSS at start \(startRSS) KiB")

        // Restarts happen while traffic is in flight, as a real server restart would.
        let restarter = Task { () -> (restarts: Int, failedRecoveries: Int) in
            var restarts = 0
            var failedRecoveries = 0
            var okAtRestart = 0
            while ContinuousClock.now + .seconds(restartEvery) < deadline {
                try? await Task.sleep(for: .seconds(restartEvery))
                let ok = tally.snapshot["ok"] ?? 0
                if restarts > 0 && ok == okAtRestart { failedRecoveries += 1 }
                okAtRestart = ok
                await box.server.shutdown()
                do {
                    box.server = try await MockServer.start(configuration: configuration)
                } catch {
                    say("soak: restart on port \(configuration.port) failed: \(error)")
                    failedRecoveries += 1
                    break
                }
                restarts += 1
            }
            return (restarts, failedRecoveries)
        }

        while ContinuousClock.now < deadline && rounds < maxRounds {
            let round = rounds
            let outcomes = await withTaskGroup(of: String.self) { group -> [String] in
                for index in 0..<concurrency {
                    group.addTask { await operation(index + round, client: client, round: round) }
                }
                var outcomes: [String] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            for outcome in outcomes { tally.add(outcome) }
            rounds += 1
            let rss = residentKiB()
            peakRSS = max(peakRSS, rss)
            if warmRSS == nil && ContinuousClock.now >= warmAt { warmRSS = rss }
        }
        let (restarts, failedRecovery) = await restarter.value
        // Let the last channel closes arrive before counting what is left.
        var leftovers = client.inFlightCounts
        for _ in 0..<100 where leftovers != (0, 0) {
            try await Task.sleep(for: .milliseconds(20))
            leftovers = client.inFlightCounts
        }
        await client.close()
        await box.server.shutdown()
        let endRSS = residentKiB()
        let warm = warmRSS ?? startRSS
        let growth = endRSS - warm

        say("soak: \(rounds) rounds, \(rounds * concurrency) operations, \(restarts) server restarts in \(ContinuousClock.now - start)")
        for (key, count) in tally.snapshot.sorted(by: { $0.key < $1.key }) { say("soak:   \(key): \(count)") }
        say("soak: RSS start \(startRSS) KiB, warm \(warm) KiB, end \(endRSS) KiB, peak \(peakRSS) KiB; growth after warm-up \(growth) KiB (limit \(growthLimitKiB) KiB)")
        var failures: [String] = []
        if growth > growthLimitKiB { failures.append("RSS grew by \(growth) KiB after warm-up") }
        if failedRecovery > 0 { failures.append("\(failedRecovery) restart(s) without any successful operation afterwards") }
        if leftovers != (0, 0) { failures.append("left behind: \(leftovers.calls) calls, \(leftovers.channels) channels") }
        if (tally.snapshot["wrong-answer"] ?? 0) > 0 { failures.append("wrong answers") }
        if tally.snapshot["ok"] == nil { failures.append("no operation succeeded") }
        if failures.isEmpty {
            say("soak: PASS")
        } else {
            say("soak: FAIL: " + failures.joined(separator: "; "))
            exit(1)
        }
    }
}
