/*
 * Header-only shim over Debian's libwebsockets 4.1.6 for Swift.
 * Each wrapper says why it exists; remove it when Swift can import the original.
 */
#ifndef CLIBWEBSOCKETS_SHIM_H
#define CLIBWEBSOCKETS_SHIM_H

#include <libwebsockets.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* LWS_PRE expands through the function-like macro _LWS_PAD, which Swift cannot import. */
static inline size_t CLibWebSockets_LWS_PRE(void) { return LWS_PRE; }

/* prctl is variadic and pthread_setname_np needs _GNU_SOURCE: name the calling thread. */
static inline void CLibWebSockets_name_thread(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

/* lws_write_ws_flags returns int while lws_write takes the enum: combine the flags here. */
static inline int CLibWebSockets_write_ws(struct lws *wsi, unsigned char *payload, size_t len,
                                          int is_text, int is_first, int is_final) {
    int flags = lws_write_ws_flags(is_text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY, is_first, is_final);
    return lws_write(wsi, payload, len, (enum lws_write_protocol)flags);
}

/* Ping frames: the write protocol enum is imported as a struct; keep the cast in C. */
static inline int CLibWebSockets_write_ping(struct lws *wsi, unsigned char *payload, size_t len) {
    return lws_write(wsi, payload, len, LWS_WRITE_PING);
}

/* HTTP body writes for the server role's plain GET handler. */
static inline int CLibWebSockets_write_http(struct lws *wsi, unsigned char *payload, size_t len, int is_final) {
    return lws_write(wsi, payload, len, is_final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
}

/* The rx flow-control reason flags are an anonymous enum; give Swift two plain calls. */
static inline int CLibWebSockets_rx_pause(struct lws *wsi) {
    return lws_rx_flow_control(wsi, LWS_RXFLOW_REASON_USER_BOOL | LWS_RXFLOW_REASON_APPLIES_DISABLE);
}
static inline int CLibWebSockets_rx_resume(struct lws *wsi) {
    return lws_rx_flow_control(wsi, LWS_RXFLOW_REASON_USER_BOOL | LWS_RXFLOW_REASON_APPLIES_ENABLE
                                        | LWS_RXFLOW_REASON_FLAG_PROCESS_NOW);
}

/* Option bit masks are declared as (1ll << n) expressions; the context field is unsigned. */
static inline unsigned long long CLibWebSockets_option_ssl_global_init(void) {
    return LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
}
static inline unsigned long long CLibWebSockets_option_disable_ipv6(void) {
    return LWS_SERVER_OPTION_DISABLE_IPV6;
}
static inline unsigned long long CLibWebSockets_option_disable_os_ca_certs(void) {
    return LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
}
static inline unsigned long long CLibWebSockets_option_validate_utf8(void) {
    return LWS_SERVER_OPTION_VALIDATE_UTF8;
}

/* Header appends take `unsigned char **` cursors that Swift would have to juggle by hand.
 * `in`/`len` are the APPEND_HANDSHAKE_HEADER callback arguments; `name` ends with ':'. */
static inline int CLibWebSockets_append_handshake_header(struct lws *wsi, void *in, size_t len,
                                                         const char *name, const char *value) {
    unsigned char **p = (unsigned char **)in, *end = (*p) + len;
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                       (int)strlen(value), p, end);
}

/* A complete small HTTP response from the HTTP callback: headers built in a stack buffer with
 * LWS_PRE headroom (a macro), then the body copied behind its own headroom. Returns nonzero when
 * the connection must be closed. */
static inline int CLibWebSockets_http_respond(struct lws *wsi, unsigned int status, const char *content_type,
                                              const unsigned char *body, size_t body_len) {
    unsigned char headers[LWS_PRE + 1024];
    unsigned char *start = headers + LWS_PRE, *p = start, *end = headers + sizeof(headers) - 1;
    if (lws_add_http_common_headers(wsi, status, content_type, (lws_filepos_t)body_len, &p, end))
        return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    unsigned char *copy = malloc(LWS_PRE + body_len + 1);
    if (!copy)
        return 1;
    if (body_len)
        memcpy(copy + LWS_PRE, body, body_len);
    int written = lws_write(wsi, copy + LWS_PRE, body_len, LWS_WRITE_HTTP_FINAL);
    free(copy);
    if (written < (int)body_len)
        return 1;
    return lws_http_transaction_completed(wsi);
}

/* The HTTP client must pull body data through lws_http_client_read with a char** cursor into a
 * buffer that has LWS_PRE headroom; the data then arrives as RECEIVE_CLIENT_HTTP_READ. */
static inline int CLibWebSockets_http_client_drain(struct lws *wsi) {
    char buffer[LWS_PRE + 4096];
    char *p = buffer + LWS_PRE;
    int len = (int)(sizeof(buffer) - LWS_PRE);
    return lws_http_client_read(wsi, &p, &len);
}

/* LWS_TO_KILL_ASYNC is a negative #define passed where lws_set_timeout takes an int. */
static inline void CLibWebSockets_kill_async(struct lws *wsi) {
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* lws_close_reason takes the close-status enum; Swift holds the code as a plain integer. */
static inline void CLibWebSockets_close_reason(struct lws *wsi, unsigned short code,
                                               const unsigned char *reason, size_t len) {
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason, len);
}

#endif
