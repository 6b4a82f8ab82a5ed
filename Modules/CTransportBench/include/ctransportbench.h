/*
 * The reference loop of the transport benchmark: the same client workloads as the Swift
 * transport, written directly against libwebsockets in C, run against the same server.
 */
#ifndef CTRANSPORTBENCH_H
#define CTRANSPORTBENCH_H

typedef struct {
    double roundtrips_per_s;   /* sequential request/echo pairs per second */
    double messages_per_s;     /* one-way messages per second (server streams, client counts) */
    int error;                 /* 0 on success */
} ctb_result;

/* Connects to ws://host:port/path on the calling thread, runs `roundtrips` sequential echo
 * round trips of `size`-byte text messages, then asks the server for `stream_messages`
 * messages of `size` bytes ("stream:N:SIZE") and counts them. */
int ctb_run(const char *host, int port, const char *path, int roundtrips, int stream_messages,
            int size, ctb_result *out);

/* Connects to ws://host:port/llm, authenticates as a guest and makes `calls` sequential
 * getModelInfo calls for `model` (a query by identifier); stores the calls per second. A client
 * with no runtime of its own that polls without ever sleeping: what the server gives when
 * nothing else costs. 0 on success. */
int ctb_rpc_run(const char *host, int port, const char *model, int calls, double *calls_per_s);

#endif
