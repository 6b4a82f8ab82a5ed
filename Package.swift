// swift-tools-version:6.1
import PackageDescription

/// One settings array for every target: Swift 6 language mode is the package default;
/// these upcoming features keep imports and existentials explicit.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "lmstudio-swift",
    products: [
        .library(name: "LMStudio", targets: ["LMStudio"]),
        .library(name: "LMStudioMockServer", targets: ["LMStudioMockServer"]),
        .executable(name: "lms-swift", targets: ["LMStudioCLI"]),
        .executable(name: "lmstudio-bench", targets: ["LMStudioBenchmarks"]),
        .executable(name: "lmstudio-transport-bench", targets: ["TransportBenchmarks"]),
    ],
    targets: [
        // C: Debian's libwebsockets through a header-only shim.
        .systemLibrary(
            name: "CLibWebSockets",
            path: "Modules/CLibWebSockets",
            pkgConfig: "libwebsockets",
            providers: [.apt(["libwebsockets-dev", "libssl-dev"]), .brew(["libwebsockets"])]
        ),

        // Wire models: envelopes, payloads, JSON values, credentials, hosts. No I/O.
        .target(name: "LMStudioProtocol", swiftSettings: swiftSettings),
        .testTarget(
            name: "LMStudioProtocolTests",
            dependencies: ["LMStudioProtocol"],
            swiftSettings: swiftSettings
        ),

        // The libwebsockets loop thread, websocket client/server roles and the HTTP GET probe.
        .target(name: "LMStudioTransport", dependencies: ["CLibWebSockets"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LMStudioTransportTests",
            dependencies: ["LMStudioTransport", "LMStudioTestSupport"],
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets (mock-backed clients, log capture, certificates).
        .target(
            name: "LMStudioTestSupport",
            dependencies: ["LMStudio", "LMStudioMockServer", "LMStudioTransport"],
            path: "Tests/LMStudioTestSupport",
            swiftSettings: swiftSettings
        ),

        // The public client library.
        .target(
            name: "LMStudio",
            dependencies: ["LMStudioProtocol", "LMStudioTransport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LMStudioTests",
            dependencies: ["LMStudio", "LMStudioMockServer", "LMStudioTransport", "LMStudioProtocol", "LMStudioTestSupport"],
            swiftSettings: swiftSettings
        ),

        // Faults, hostile input, concurrency, secrets and TLS, over real sockets.
        .testTarget(
            name: "LMStudioReliabilityTests",
            dependencies: ["LMStudio", "LMStudioMockServer", "LMStudioTransport", "LMStudioProtocol", "LMStudioTestSupport"],
            swiftSettings: swiftSettings
        ),

        // A protocol-faithful mock LM Studio for tests and the CLI's --mock mode.
        .target(
            name: "LMStudioMockServer",
            dependencies: ["LMStudioProtocol", "LMStudioTransport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LMStudioMockServerTests",
            dependencies: ["LMStudioMockServer", "LMStudioTransport", "LMStudioProtocol"],
            swiftSettings: swiftSettings
        ),

        // Executables.
        .executableTarget(
            name: "LMStudioCLI",
            dependencies: ["LMStudio", "LMStudioMockServer"],
            swiftSettings: swiftSettings
        ),
        // Runs the built `lms-swift` as a subprocess (found next to the test bundle in the build
        // products directory, or at $LMS_SWIFT_BINARY), against mock servers started in-process.
        // The dependency on the executable target makes `swift test` relink `lms-swift` first.
        .testTarget(
            name: "LMStudioCLITests",
            dependencies: ["LMStudioMockServer", "LMStudio", "LMStudioCLI"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TransportBenchmarks",
            dependencies: ["LMStudioTransport", "CTransportBench"],
            swiftSettings: swiftSettings
        ),
        // The transport benchmark's reference loop, written directly against libwebsockets.
        .target(
            name: "CTransportBench",
            dependencies: ["CLibWebSockets"],
            path: "Modules/CTransportBench",
            linkerSettings: [.linkedLibrary("websockets")]
        ),
        // libFuzzer targets (scripts/fuzz.sh builds them with -DLIBFUZZER and the fuzzer
        // sanitizer; a plain build gives a replayer that runs the inputs named on its command line).
        .target(name: "FuzzReplay", swiftSettings: swiftSettings),
        .executableTarget(
            name: "FuzzInboundFrames",
            dependencies: ["LMStudio", "LMStudioProtocol", "FuzzReplay"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzServerAddress",
            dependencies: ["LMStudioProtocol", "LMStudioTransport", "FuzzReplay"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzAPIToken",
            dependencies: ["LMStudioProtocol", "FuzzReplay"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
        ),
        // The bounded soak run behind scripts/soak.sh.
        .executableTarget(
            name: "LMStudioSoak",
            dependencies: ["LMStudio", "LMStudioMockServer"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LMStudioBenchmarks",
            dependencies: ["LMStudio", "LMStudioMockServer", "LMStudioTransport", "CLibWebSockets", "CTransportBench"],
            swiftSettings: swiftSettings
        ),
        // Runs the built lmstudio-bench with tiny workloads: every figure is printed (no timings checked).
        .testTarget(
            name: "LMStudioBenchmarksSmokeTests",
            dependencies: ["LMStudioBenchmarks"],
            swiftSettings: swiftSettings
        ),
    ]
)
