/*
 * A minimal libwebsockets client in C that authenticates as a guest on /llm and makes N
 * sequential getModelInfo calls: what a client with no runtime of its own gets from a server.
 *
 *   cc -O2 scripts/bench/c_rpc_client.c -o /tmp/c_rpc_client -lwebsockets
 *   /tmp/c_rpc_client PORT [CALLS] [MODEL]     (defaults: 5000 calls, qwen2.5-0.5b-instruct)
 */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int calls = 5000, sent, answered, authenticated, done, failed;
static const char *model = "qwen2.5-0.5b-instruct";
static double started, finished;
static unsigned char frame[LWS_PRE + 1024];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_text(struct lws *wsi, const char *text) {
    size_t length = strlen(text);
    memcpy(frame + LWS_PRE, text, length);
    return lws_write(wsi, frame + LWS_PRE, length, LWS_WRITE_TEXT) < (int)length ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    char message[512];
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!authenticated)
            return send_text(wsi, "{\"authVersion\":1,\"clientIdentifier\":\"guest:c-rpc-client\","
                                  "\"clientPasskey\":\"c-rpc-client\"}");
        snprintf(message, sizeof message,
                 "{\"type\":\"rpcCall\",\"endpoint\":\"getModelInfo\",\"callId\":%d,\"parameter\":"
                 "{\"specifier\":{\"type\":\"query\",\"query\":{\"identifier\":\"%s\"}},"
                 "\"throwIfNotFound\":true}}",
                 sent++, model);
        return send_text(wsi, message);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!lws_is_final_fragment(wsi))
            return 0;
        if (!authenticated) {
            if (!strstr((const char *)in, "\"success\":true")) {
                failed = 1;
                return -1;
            }
            authenticated = 1;
            started = now();
        } else {
            if (!strstr((const char *)in, "\"rpcResult\"")) {
                fprintf(stderr, "unexpected reply: %.*s\n", (int)(len > 300 ? 300 : len), (const char *)in);
                failed = 1;
                return -1;
            }
            if (++answered == calls) {
                finished = now();
                done = 1;
                return -1;
            }
        }
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        failed = 1;
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!done)
            failed = 1;
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [CALLS] [MODEL]\n", argv[0]);
        return 2;
    }
    if (argc > 2)
        calls = atoi(argv[2]);
    if (argc > 3)
        model = argv[3];
    lws_set_log_level(0, NULL);
    static struct lws_protocols protocols[] = {
        {"c-rpc-client", callback, 0, 32 * 1024, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
    };
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    struct lws_context *context = lws_create_context(&info);
    struct lws_client_connect_info connect;
    memset(&connect, 0, sizeof connect);
    connect.context = context;
    connect.address = "127.0.0.1";
    connect.port = atoi(argv[1]);
    connect.path = "/llm";
    connect.host = "127.0.0.1";
    connect.origin = "127.0.0.1";
    connect.ietf_version_or_minus_one = -1;
    if (!lws_client_connect_via_info(&connect))
        failed = 1;
    while (!done && !failed)
        lws_service(context, 0);
    lws_context_destroy(context);
    if (failed) {
        fprintf(stderr, "failed after %d calls\n", answered);
        return 1;
    }
    printf("rpc_roundtrips_per_s: %.0f calls/s\n", calls / (finished - started));
    return 0;
}
