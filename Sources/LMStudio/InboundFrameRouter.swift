import LMStudioProtocol

/// A socket-less entry point into the inbound frame decoder and envelope router, for the fuzz
/// targets and hostile-input tests.
///
/// Frames go through exactly the code a namespace socket's reader runs (`ServerMessage`
/// decoding, then routing by call and channel id, logging of whatever is dropped) on a
/// connection that never connects, so no id is owned. Every log line is built at the most
/// verbose level, and a line that contains the probe's passkey stops the process.
package enum InboundFrameRouter {
    /// The secret the probe's client holds; no log line may contain it.
    package static let passkey = "probe-passkey-7QxY3vLmZ0aB9cD2eF4g"

    private static let connection: NamespaceConnection = {
        var configuration = LMStudioClient.Configuration()
        configuration.logger = LMStudioLogger(level: .trace) { _, message in
            precondition(!message.contains(passkey), "a log line contains the passkey")
        }
        let credentials = ClientCredentials.explicit(identifier: "probe-identifier", passkey: passkey)
        let core = ClientCore(configuration: configuration, credentials: credentials, address: .local(port: 1))
        return NamespaceConnection(namespace: .llm, client: core)
    }()

    /// Decodes and routes one frame.
    package static func route(_ frame: UnsafeRawBufferPointer) {
        _ = connection.routeFrame(frame)
    }

    /// Calls and channels the probe connection still tracks (always zero: it owns none).
    package static var inFlightCounts: (calls: Int, channels: Int) {
        (connection.pendingCallCount, connection.openChannelCount)
    }
}
