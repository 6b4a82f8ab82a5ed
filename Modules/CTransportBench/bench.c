#define _GNU_SOURCE /* memmem */
#include "ctransportbench.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum phase { PHASE_CONNECTING, PHASE_ROUNDTRIP, PHASE_STREAM, PHASE_DONE, PHASE_FAILED };

struct bench {
    enum phase phase;
    int roundtrips, stream_messages, size;
    int sent, received;
    int want_write;
    double t_start, t_roundtrips, t_stream;
    unsigned char buffer[LWS_PRE + 65536];
    size_t reassembled;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_text(struct lws *wsi, struct bench *b, const char *text, size_t len) {
    memcpy(b->buffer + LWS_PRE, text, len);
    return lws_write(wsi, b->buffer + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct bench *b = (struct bench *)lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        b->phase = PHASE_ROUNDTRIP;
        b->t_start = now_s();
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (b->phase == PHASE_ROUNDTRIP) {
            char payload[65536];
            memset(payload, 'r', (size_t)b->size);
            b->sent++;
            return write_text(wsi, b, payload, (size_t)b->size);
        }
        if (b->phase == PHASE_STREAM) {
            char command[64];
            int n = snprintf(command, sizeof command, "stream:%d:%d", b->stream_messages, b->size);
            b->t_roundtrips = now_s();
            return write_text(wsi, b, command, (size_t)n);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        b->reassembled += len;
        if (!lws_is_final_fragment(wsi))
            return 0;
        b->reassembled = 0;
        b->received++;
        if (b->phase == PHASE_ROUNDTRIP) {
            if (b->received == b->roundtrips) {
                b->phase = PHASE_STREAM;
                b->received = 0;
            }
            lws_callback_on_writable(wsi);
        } else if (b->phase == PHASE_STREAM && b->received == b->stream_messages) {
            b->t_stream = now_s();
            b->phase = PHASE_DONE;
            return -1;
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        fprintf(stderr, "ctransportbench: connection error: %s\n", in ? (const char *)in : "(none)");
        b->phase = PHASE_FAILED;
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (b->phase != PHASE_DONE)
            b->phase = PHASE_FAILED;
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* Creates a client context whose user pointer is `user`, with one protocol whose callback is
 * `callback`, and connects it to ws://host:port/path. NULL if either step fails. */
static struct lws_context *connect_client(const char *host, int port, const char *path,
                                          const struct lws_protocols *protocols, void *user) {
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = user;
    struct lws_context *context = lws_create_context(&info);
    if (!context)
        return NULL;

    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = context;
    ci.address = host;
    ci.port = port;
    ci.path = path;
    ci.host = host;
    ci.origin = host;
    ci.ietf_version_or_minus_one = -1;
    if (!lws_client_connect_via_info(&ci)) {
        lws_context_destroy(context);
        return NULL;
    }
    return context;
}

int ctb_run(const char *host, int port, const char *path, int roundtrips, int stream_messages,
            int size, ctb_result *out) {
    static struct lws_protocols protocols[] = {
        {"ctransportbench", callback, 0, 32 * 1024, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    struct bench b;
    memset(&b, 0, sizeof b);
    b.roundtrips = roundtrips;
    b.stream_messages = stream_messages;
    b.size = size < 1 ? 1 : (size > 65536 ? 65536 : size);

    struct lws_context *context = connect_client(host, port, path, protocols, &b);
    if (!context)
        return out->error = 2;
    while (b.phase != PHASE_DONE && b.phase != PHASE_FAILED)
        lws_service(context, 0);
    lws_context_destroy(context);

    if (b.phase != PHASE_DONE)
        return out->error = 3;
    out->roundtrips_per_s = (double)roundtrips / (b.t_roundtrips - b.t_start);
    out->messages_per_s = (double)stream_messages / (b.t_stream - b.t_roundtrips);
    out->error = 0;
    return 0;
}

/* ---- Sequential LM Studio RPCs ---- */

struct rpc_client {
    const char *model;
    int calls, sent, answered, authenticated, done, failed;
    double t_start, t_end;
    unsigned char buffer[LWS_PRE + 1024];
};

static int rpc_send(struct lws *wsi, struct rpc_client *c, const char *text, size_t len) {
    if (len > sizeof c->buffer - LWS_PRE)
        return -1;
    memcpy(c->buffer + LWS_PRE, text, len);
    return lws_write(wsi, c->buffer + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len ? -1 : 0;
}

static int rpc_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct rpc_client *c = (struct rpc_client *)lws_context_user(lws_get_context(wsi));
    char message[512];
    int n;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!c->authenticated)
            n = snprintf(message, sizeof message, "{\"authVersion\":1,\"clientIdentifier\":"
                         "\"guest:ctransportbench\",\"clientPasskey\":\"ctransportbench\"}");
        else
            n = snprintf(message, sizeof message,
                         "{\"type\":\"rpcCall\",\"endpoint\":\"getModelInfo\",\"callId\":%d,"
                         "\"parameter\":{\"specifier\":{\"type\":\"query\",\"query\":"
                         "{\"identifier\":\"%s\"}},\"throwIfNotFound\":true}}",
                         c->sent++, c->model);
        return n < 0 ? -1 : rpc_send(wsi, c, message, (size_t)n);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!lws_is_final_fragment(wsi))
            return 0;
        /* Only whole replies count; the first frame is the authentication result. */
        if (!c->authenticated) {
            if (!in || !memmem(in, len, "\"success\":true", 14)) {
                c->failed = 1;
                return -1;
            }
            c->authenticated = 1;
            c->t_start = now_s();
        } else {
            if (!in || !memmem(in, len, "\"rpcResult\"", 11)) {
                c->failed = 1;
                return -1;
            }
            if (++c->answered == c->calls) {
                c->t_end = now_s();
                c->done = 1;
                return -1;
            }
        }
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        c->failed = 1;
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!c->done)
            c->failed = 1;
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int ctb_rpc_run(const char *host, int port, const char *model, int calls, double *calls_per_s) {
    static struct lws_protocols protocols[] = {
        {"ctransportbench-rpc", rpc_callback, 0, 32 * 1024, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    struct rpc_client c;
    memset(&c, 0, sizeof c);
    c.model = model;
    c.calls = calls < 1 ? 1 : calls;
    struct lws_context *context = connect_client(host, port, "/llm", protocols, &c);
    if (!context)
        return 2;
    /* Never sleeps: polls with a zero timeout, so no reply waits for a thread to wake up. */
    while (!c.done && !c.failed)
        lws_service(context, -1);
    lws_context_destroy(context);
    if (!c.done)
        return 3;
    *calls_per_s = (double)c.calls / (c.t_end - c.t_start);
    return 0;
}
