import LMStudioMockServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Minimal dispatcher until the full command line lands: `lms-swift mock [options]`.
let arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "mock" {
    exit(await MockServerRunner.run(arguments: Array(arguments.dropFirst(2))))
}
print("lms-swift")
