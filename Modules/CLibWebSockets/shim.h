/*
 * Header-only shim over Debian's libwebsockets 4.1.6 for Swift.
 * Each wrapper says why it exists; remove it when Swift can import the original.
 */
#ifndef CLIBWEBSOCKETS_SHIM_H
#define CLIBWEBSOCKETS_SHIM_H

#include <libwebsockets.h>
#include <sys/prctl.h>
#include <pthread.h>

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
static inline unsigned long long CLibWebSockets_option_validate_utf8(void) {
    return LWS_SERVER_OPTION_VALIDATE_UTF8;
}

#endif
