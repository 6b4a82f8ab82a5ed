import LMStudioTestSupport
import LMStudio
import Testing

/// Many channels and calls at once, over every namespace's socket, with random cancellations.
@Suite("concurrency: 1,000 channels across 8 sockets")
struct ConcurrencyTests {
    enum Outcome: Sendable, Equatable {
        case completed
        case cancelled
    }

    @Test("every channel that is not cancelled gets exactly its own packets; nothing is left behind")
    func thousandChannels() async throws {
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var random = SplitMix64(seed: seed)
        struct Plan: Sendable {
            let index: Int
            let namespace: Namespace
            let count: Int
            let intervalMs: Int
            let cancelAfterMs: Int?
            let rpc: Bool
        }
        // 1,000 channels and 200 calls; a fifth of that under a sanitizer (see `underSanitizer`).
        let channelCount = underSanitizer ? 200 : 1_000
        let callCount = underSanitizer ? 40 : 200
        let plans = (0..<channelCount).map { index in
            Plan(
                index: index, namespace: Namespace.allCases[index % Namespace.allCases.count],
                count: Int.random(in: 1...8, using: &random), intervalMs: Int.random(in: 0...3, using: &random),
                cancelAfterMs: Int.random(in: 0..<5, using: &random) == 0 ? Int.random(in: 0...15, using: &random) : nil,
                rpc: false
            )
        } + (0..<callCount).map { index in
            Plan(
                index: channelCount + index, namespace: Namespace.allCases[index % Namespace.allCases.count], count: 0, intervalMs: 0,
                cancelAfterMs: Int.random(in: 0..<4, using: &random) == 0 ? 0 : nil, rpc: true
            )
        }
        #expect(Namespace.allCases.count == 8)
        try await withScriptedClient { server, client in
            let results = await withTaskGroup(of: (Int, Outcome, String?).self) { group -> [(Int, Outcome, String?)] in
                for plan in plans {
                    let work = Task { () -> (Outcome, String?) in
                        let tag = "c\(plan.index)-\(plan.namespace.rawValue)"
                        if plan.rpc {
                            do throws(LMStudioError) {
                                let answer = try await client.rawCall(plan.namespace, endpoint: plan.cancelAfterMs == nil ? "echo" : "silent", parameter: .string(tag))
                                return (.completed, answer == .string(tag) ? nil : "rpc \(tag) got \(String(describing: answer))")
                            } catch {
                                return error.code == .cancelled ? (.cancelled, nil) : (.completed, "rpc \(tag) failed: \(error)")
                            }
                        }
                        let channel: RawChannel
                        do throws(LMStudioError) {
                            channel = try await client.rawChannel(plan.namespace, endpoint: "stream", creationParameter: [
                                "tag": .string(tag), "count": .int(Int64(plan.count)), "intervalMs": .int(Int64(plan.intervalMs)),
                            ])
                        } catch {
                            return error.code == .cancelled ? (.cancelled, nil) : (.completed, "open \(tag) failed: \(error)")
                        }
                        var indexes: [Int] = []
                        do throws(LMStudioError) {
                            for try await packet in channel {
                                guard packet["tag"] == .string(tag) else { return (.completed, "\(tag) got \(packet)") }
                                indexes.append(packet["index"]?.intValue ?? -1)
                            }
                        } catch {
                            if error.code == .cancelled {
                                // What the typed API does on cancellation: the protocol cancel.
                                try? channel.send(["type": "cancel"])
                                return (.cancelled, nil)
                            }
                            return (.completed, "\(tag) failed: \(error)")
                        }
                        if Task.isCancelled, indexes.count < plan.count { return (.cancelled, nil) }
                        return (.completed, indexes == Array(0..<plan.count) ? nil : "\(tag) got indexes \(indexes)")
                    }
                    group.addTask {
                        if let delay = plan.cancelAfterMs {
                            if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
                            work.cancel()
                        }
                        let (outcome, problem) = await work.value
                        return (plan.index, outcome, problem)
                    }
                }
                var results: [(Int, Outcome, String?)] = []
                for await result in group { results.append(result) }
                return results
            }
            #expect(results.count == plans.count)
            let problems = results.compactMap(\.2)
            #expect(problems.count == 0, "seed \(seed): \(problems.prefix(5))")
            for (index, outcome, _) in results where outcome == .cancelled {
                #expect(plans[index].cancelAfterMs != nil, "seed \(seed): \(index) was cancelled without being asked to")
            }
            #expect(results.contains { $0.1 == .cancelled }, "the plan cancels some calls and channels")
            let uncancelledRPCs = plans.filter { $0.rpc && $0.cancelAfterMs == nil }.map(\.index)
            #expect(uncancelledRPCs.allSatisfy { index in results.contains { $0.0 == index && $0.1 == .completed } })
            // Cancelled channels end when the server acknowledges the cancel with channelClose.
            #expect(await eventually { client.inFlightCounts == (0, 0) }, "left behind: \(client.inFlightCounts)")
            #expect(server.accepted == 8, "one socket per namespace")
        }
    }
}

/// A small seeded generator, so a failure's seed reproduces its plan.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
