internal import CLibWebSockets

/// The one protocol callback every transport context registers. It finds the loop through the
/// context's user pointer and the endpoint through the connection's opaque user data; neither
/// is retained here (the loop's registry holds the strong references).
func transportCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard let wsi else { return 0 }
    switch reason {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        loop(of: wsi)?.drainRequests()
        return 0
    case LWS_CALLBACK_WSI_DESTROY:
        if let endpoint = endpoint(of: wsi) {
            LWS.setOpaqueUserData(wsi, nil)
            endpoint.releaseTLSGate()
            endpoint.destroyed()
            loop(of: wsi)?.unregister(endpoint)
        }
        return 0
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return loop(of: wsi)?.filterIncoming(wsi) ?? 1
    case LWS_CALLBACK_HTTP:
        return loop(of: wsi)?.serveHTTP(wsi, uri: input) ?? -1
    default:
        if let endpoint = endpoint(of: wsi) {
            switch reason {
            case LWS_CALLBACK_CLIENT_ESTABLISHED, LWS_CALLBACK_CLIENT_CONNECTION_ERROR, LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
                endpoint.releaseTLSGate()
            default:
                break
            }
            return endpoint.handle(reason, wsi: wsi, input: input, length: length)
        }
        return LWS.defaultCallback(wsi, reason, user, input, length)
    }
}

private func loop(of wsi: WSI) -> LWSEventLoop? {
    guard let raw = LWS.contextUser(wsi) else { return nil }
    return Unmanaged<LWSEventLoop>.fromOpaque(raw).takeUnretainedValue()
}

private func endpoint(of wsi: WSI) -> LoopEndpoint? {
    guard let raw = LWS.opaqueUserData(wsi) else { return nil }
    return Unmanaged<LoopEndpoint>.fromOpaque(raw).takeUnretainedValue()
}
