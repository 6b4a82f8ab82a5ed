internal import CLibWebSockets

/// A libwebsockets connection (`struct lws *`). Only the loop thread may use it.
typealias WSI = OpaquePointer

/// Every call into libwebsockets goes through this namespace, so the C surface the transport
/// depends on is visible in one file. Unless a comment says otherwise, each function must be
/// called on the loop thread that services the context.
enum LWS {
    /// Bytes of headroom lws needs in front of every websocket payload (`LWS_PRE`).
    static let pre = Int(CLibWebSockets_LWS_PRE())

    // MARK: Process-wide

    /// Routes lws logging (errors and warnings only) to `emit`. Process-wide; call before the
    /// first context is created. Corresponding C function: `lws_set_log_level`.
    static func setLogLevel(verbose: Bool, _ emit: @escaping @convention(c) (Int32, UnsafePointer<CChar>?) -> Void) {
        let all = LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO | LLL_DEBUG | LLL_PARSER | LLL_HEADER | LLL_CLIENT
        lws_set_log_level(Int32(verbose ? all : LLL_ERR | LLL_WARN), emit)
    }

    // MARK: Context

    /// Creates a context. Corresponding C function: `lws_create_context`.
    static func createContext(_ info: inout lws_context_creation_info) -> OpaquePointer? {
        lws_create_context(&info)
    }

    /// Runs one service iteration; blocks until an fd event, a cancel or a timer.
    /// Corresponding C function: `lws_service`.
    @discardableResult
    static func service(_ context: OpaquePointer) -> Int32 {
        lws_service(context, 0)
    }

    /// Services whatever is ready without waiting (a poll with a zero timeout).
    /// Corresponding C function: `lws_service` with a negative timeout.
    @discardableResult
    static func serviceWithoutWaiting(_ context: OpaquePointer) -> Int32 {
        lws_service(context, -1)
    }

    /// Wakes `lws_service`; the only call allowed from any thread while the context exists.
    /// Corresponding C function: `lws_cancel_service`.
    static func cancelService(_ context: OpaquePointer) {
        lws_cancel_service(context)
    }

    /// Destroys the context, running CLOSED/WSI_DESTROY callbacks for live connections.
    /// Corresponding C function: `lws_context_destroy`.
    static func destroyContext(_ context: OpaquePointer) {
        lws_context_destroy(context)
    }

    /// The port the default vhost listens on (after binding port 0).
    /// Corresponding C functions: `lws_get_vhost_by_name`, `lws_get_vhost_listen_port`.
    static func listenPort(_ context: OpaquePointer) -> Int {
        guard let vhost = lws_get_vhost_by_name(context, "default") else { return -1 }
        return Int(lws_get_vhost_listen_port(vhost))
    }

    /// The `user` pointer given at context creation. Corresponding C functions:
    /// `lws_get_context`, `lws_context_user`.
    static func contextUser(_ wsi: WSI) -> UnsafeMutableRawPointer? {
        guard let context = lws_get_context(wsi) else { return nil }
        return lws_context_user(context)
    }

    /// Server option bit that initialises OpenSSL for the context.
    static var optionSSLGlobalInit: UInt64 { UInt64(CLibWebSockets_option_ssl_global_init()) }
    /// Option bit that skips loading the system CA store (parsing it dominates context creation).
    static var optionDisableOSCACerts: UInt64 { UInt64(CLibWebSockets_option_disable_os_ca_certs()) }
    /// Server option bit that drops text frames that are not valid UTF-8.
    static var optionValidateUTF8: UInt64 { UInt64(CLibWebSockets_option_validate_utf8()) }
    /// Sentinel port for contexts that do not listen.
    static var noListenPort: Int32 { Int32(CONTEXT_PORT_NO_LISTEN) }

    // MARK: Connections

    /// Starts a client connection. Returns nil when it failed synchronously (for example a DNS
    /// failure); lws may already have reported CONNECTION_ERROR by then.
    /// Corresponding C function: `lws_client_connect_via_info`.
    static func connect(_ info: inout lws_client_connect_info) -> WSI? {
        lws_client_connect_via_info(&info)
    }

    /// Per-connection pointer set through `opaque_user_data` or `setOpaqueUserData`.
    /// Corresponding C function: `lws_get_opaque_user_data`.
    static func opaqueUserData(_ wsi: WSI) -> UnsafeMutableRawPointer? {
        lws_get_opaque_user_data(wsi)
    }

    /// Corresponding C function: `lws_set_opaque_user_data`.
    static func setOpaqueUserData(_ wsi: WSI, _ data: UnsafeMutableRawPointer?) {
        lws_set_opaque_user_data(wsi, data)
    }

    /// Asks for a WRITEABLE callback. Corresponding C function: `lws_callback_on_writable`.
    static func requestWritable(_ wsi: WSI) {
        lws_callback_on_writable(wsi)
    }

    /// Writes one websocket frame. `payload` must have `pre` writable bytes in front of it
    /// (the client role also masks the payload in place).
    /// Corresponding C functions: `lws_write_ws_flags`, `lws_write`.
    static func writeFrame(
        _ wsi: WSI, payload: UnsafeMutablePointer<UInt8>, count: Int, text: Bool, first: Bool = true, final: Bool = true
    ) -> Int32 {
        CLibWebSockets_write_ws(wsi, payload, count, text ? 1 : 0, first ? 1 : 0, final ? 1 : 0)
    }

    /// Whether lws kept part of the last write to send later (the socket was full). Another
    /// write before lws flushed it breaks the connection in 4.1.6; lws calls WRITEABLE again
    /// once it is flushed. Corresponding C function: `lws_partial_buffered`.
    static func hasPartialWrite(_ wsi: WSI) -> Bool { lws_partial_buffered(wsi) != 0 }

    /// Whether the frame being received starts a message. Corresponding C function:
    /// `lws_is_first_fragment`.
    static func isFirstFragment(_ wsi: WSI) -> Bool { lws_is_first_fragment(wsi) != 0 }

    /// Whether the data being received completes the message.
    /// Corresponding C function: `lws_is_final_fragment`.
    static func isFinalFragment(_ wsi: WSI) -> Bool { lws_is_final_fragment(wsi) != 0 }

    /// Stops reading from the socket. Corresponding C function: `lws_rx_flow_control`.
    static func pauseReceive(_ wsi: WSI) { _ = CLibWebSockets_rx_pause(wsi) }

    /// Resumes reading and processes anything lws held back.
    /// Corresponding C function: `lws_rx_flow_control`.
    static func resumeReceive(_ wsi: WSI) { _ = CLibWebSockets_rx_resume(wsi) }

    /// Sets the close code and reason sent when the callback then returns -1.
    /// Corresponding C function: `lws_close_reason`.
    static func setCloseReason(_ wsi: WSI, code: UInt16, reason: String) {
        var bytes = Array(reason.utf8.prefix(123))
        bytes.withUnsafeMutableBufferPointer { buffer in
            CLibWebSockets_close_reason(wsi, code, buffer.baseAddress, buffer.count)
        }
    }

    /// Closes the connection on the next service iteration without a close frame.
    /// Corresponding C function: `lws_set_timeout` with `LWS_TO_KILL_ASYNC`.
    static func killAsync(_ wsi: WSI) { CLibWebSockets_kill_async(wsi) }

    /// The HTTP status of a client connection's response (0 if none yet).
    /// Corresponding C function: `lws_http_client_http_response`.
    static func httpResponseStatus(_ wsi: WSI) -> Int { Int(lws_http_client_http_response(wsi)) }

    /// Adds one request header while the client builds its handshake.
    /// Corresponding C function: `lws_add_http_header_by_name`.
    static func appendHandshakeHeader(
        _ wsi: WSI, cursor: UnsafeMutableRawPointer, space: Int, name: String, value: String
    ) -> Bool {
        CLibWebSockets_append_handshake_header(wsi, cursor, space, name + ":", value) == 0
    }

    /// Adds every header of `headers` (APPEND_HANDSHAKE_HEADER); false if one did not fit.
    static func appendHandshakeHeaders(
        _ wsi: WSI, cursor: UnsafeMutableRawPointer?, space: Int, headers: [(String, String)]
    ) -> Bool {
        guard let cursor else { return true }
        for (name, value) in headers {
            if !appendHandshakeHeader(wsi, cursor: cursor, space: space, name: name, value: value) { return false }
        }
        return true
    }

    /// The request path of a server-side connection (GET URI), if any.
    /// Corresponding C functions (for every header getter): `lws_hdr_total_length`, `lws_hdr_copy`.
    static func requestPath(_ wsi: WSI) -> String? {
        header(wsi, WSI_TOKEN_GET_URI)
    }

    /// The `Authorization` request header of a server-side connection, if any.
    static func authorizationHeader(_ wsi: WSI) -> String? {
        header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION)
    }

    private static func header(_ wsi: WSI, _ token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        let copied = buffer.withUnsafeMutableBufferPointer { pointer in
            lws_hdr_copy(wsi, pointer.baseAddress, Int32(pointer.count), token)
        }
        guard copied >= 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Sends a complete HTTP response and finishes the transaction. Returns false when the
    /// connection must be closed. Corresponding C functions: `lws_add_http_common_headers`,
    /// `lws_finalize_write_http_header`, `lws_write`, `lws_http_transaction_completed`.
    static func respondHTTP(_ wsi: WSI, status: Int, contentType: String, body: [UInt8]) -> Bool {
        body.withUnsafeBufferPointer { buffer in
            CLibWebSockets_http_respond(wsi, UInt32(status), contentType, buffer.baseAddress, buffer.count) == 0
        }
    }

    /// Answers the request with an HTTP error status (used to refuse a websocket upgrade).
    /// Corresponding C function: `lws_return_http_status`.
    static func respondStatus(_ wsi: WSI, status: Int) {
        _ = lws_return_http_status(wsi, UInt32(status), nil)
    }

    /// Pulls pending HTTP client body data; it arrives as RECEIVE_CLIENT_HTTP_READ.
    /// Corresponding C function: `lws_http_client_read`.
    static func drainHTTPClient(_ wsi: WSI) -> Bool { CLibWebSockets_http_client_drain(wsi) >= 0 }

    /// The default handling for any callback reason the transport does not handle.
    /// Corresponding C function: `lws_callback_http_dummy`.
    static func defaultCallback(
        _ wsi: WSI?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
        _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        lws_callback_http_dummy(wsi, reason, user, input, length)
    }
}

/// Names the calling thread (visible in `top -H`, gdb and crash logs).
func nameCurrentThread(_ name: String) {
    CLibWebSockets_name_thread(name)
}
