import LMStudioProtocol

/// libFuzzer entry point: API-token resolution from the argument and from the environment.
///
/// Invariants besides "no crash": the argument and environment paths agree with
/// `isValidAPIToken`; an error's description is the same whatever the token was (so no part
/// of it can leak); accepted credentials never show their passkey in `description`,
/// `debugDescription` or `dump`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPIToken(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let token = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let valid = ClientCredentials.isValidAPIToken(token)
    let fromArgument = resolve(token, environment: false)
    let fromEnvironment = resolve(token, environment: true)
    for (result, reference) in [(fromArgument, argumentError), (fromEnvironment, environmentError)] {
        switch result {
        case .success(let credentials):
            if credentials.kind == .apiToken {
                precondition(valid, "accepted a token isValidAPIToken rejects")
                var dumped = ""
                dump(credentials, to: &dumped)
                for text in [credentials.description, credentials.debugDescription, String(reflecting: credentials), dumped] {
                    precondition(!text.contains(credentials.passkey), "the passkey is visible")
                }
            } else {
                precondition(credentials.kind == .guest, "unexpected kind")
            }
        case .failure(let error):
            precondition(!valid, "rejected a token isValidAPIToken accepts")
            precondition(error.description == reference, "the error text depends on the token")
        }
    }
    return 0
}

private func resolve(_ token: String, environment: Bool) -> Result<ClientCredentials, CredentialsError> {
    do throws(CredentialsError) {
        if environment {
            return .success(try ClientCredentials.resolve(apiToken: nil, environment: [ClientCredentials.primaryTokenVariable: token]))
        }
        return .success(try ClientCredentials.resolve(apiToken: token, environment: [:]))
    } catch {
        return .failure(error)
    }
}

private func errorText(_ result: Result<ClientCredentials, CredentialsError>) -> String {
    if case .failure(let error) = result { return error.description }
    return ""
}

private let argumentError = errorText(resolve("x", environment: false))
private let environmentError = errorText(resolve("x", environment: true))

#if !LIBFUZZER
import FuzzReplay

/// Without libFuzzer: replays the inputs named on the command line (see `FuzzReplay`).
@main
struct Replayer {
    static func main() {
        FuzzReplay.run(arguments: Array(CommandLine.arguments.dropFirst()), fuzzAPIToken)
    }
}
#endif
