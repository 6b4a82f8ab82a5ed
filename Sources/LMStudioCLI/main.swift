import LMStudio
import LMStudioMockServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `lms-swift`: parses the command line, then runs the command against a server (or the
/// in-process mock with `--mock`) and exits with the documented status.
func runTool(_ arguments: [String]) async -> Int32 {
    let line: ParsedCommandLine
    do {
        line = try ArgumentParser.parse(arguments)
    } catch {
        CLIFailure(error).report()
        return ExitStatus.usage.rawValue
    }

    // Help.
    if line.command == .help {
        if let name = line.positionals.first {
            guard let command = Command(rawValue: name) else {
                CLIFailure(UsageError(message: "unknown command '\(name)'", command: nil)).report()
                return ExitStatus.usage.rawValue
            }
            Console.out(command.helpText)
        } else {
            Console.out(Help.tool)
        }
        return ExitStatus.success.rawValue
    }
    guard let command = line.command else {
        if line.help {
            Console.out(Help.tool)
            return ExitStatus.success.rawValue
        }
        Console.err(Help.tool)
        CLIFailure(UsageError(message: "missing command", command: nil)).report()
        return ExitStatus.usage.rawValue
    }
    if line.help {
        Console.out(command.helpText)
        return ExitStatus.success.rawValue
    }

    if command == .mock {
        return await runMock(line.passthrough)
    }

    let runner = CommandRunner(line: line)
    do {
        try runner.validate()
    } catch {
        cliFailure(error).report()
        return cliFailure(error).status.rawValue
    }
    return await Interrupt.run {
        let connection: Connection
        do {
            connection = try await Connection.open(line.global, command: command)
        } catch {
            cliFailure(error).report()
            return cliFailure(error).status.rawValue
        }
        var status = ExitStatus.success
        do {
            try await runner.run(connection)
        } catch {
            var failure = cliFailure(error)
            if Interrupt.wasInterrupted { failure = CLIFailure(.interrupted, "interrupted") }
            failure.report()
            status = failure.status
        }
        await connection.close()
        return status.rawValue
    }
}

/// `lms-swift mock`: the mock server runner, with `--require-token` as the name of its
/// API-token option.
func runMock(_ arguments: [String]) async -> Int32 {
    if arguments.contains("--help") || arguments.contains("-h") {
        Console.out(Command.mock.helpText)
        return ExitStatus.success.rawValue
    }
    let translated = arguments.map { argument -> String in
        if argument == "--require-token" { return "--api-token" }
        if argument.hasPrefix("--require-token=") {
            return "--api-token=" + argument.dropFirst("--require-token=".count)
        }
        return argument
    }
    let status = await MockServerRunner.run(arguments: translated)
    return status == 64 ? ExitStatus.usage.rawValue : status
}

exit(await runTool(Array(CommandLine.arguments.dropFirst())))
