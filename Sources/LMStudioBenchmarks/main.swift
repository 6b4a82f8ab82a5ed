#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// lmstudio-bench: the SDK's workloads against a server (the in-process mock by default), one
// figure a line (see Options.usage and docs/performance.md).

#if DEBUG
Measure.warn("*** lmstudio-bench is a DEBUG build: the figures mean nothing. Use -c release. ***")
#endif

let options: Options
do {
    options = try Options(arguments: CommandLine.arguments.dropFirst())
} catch {
    Measure.warn(
        "Error: \(error.message)\nUsage: lmstudio-bench [--host <url>] [--workload <name>] [--runs <n>] (see --help)")
    exit(64)
}
if options.showHelp {
    Measure.emit(Options.usage)
    exit(0)
}
exit(Runner.blockingRun { [options] in await Runner.run(options) })
