/// The live websocket listener (placeholder until the transport's server role is available).
struct MockLiveListener: MockListener {
    let port: Int

    static func start(state: MockServerState, jobs: AsyncStream<MockServer.Job>.Continuation) async throws
        -> MockLiveListener
    {
        throw MockServer.StartupError(message: "the websocket transport is not available in this build")
    }

    func shutdown() async {}
}
