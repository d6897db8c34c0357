/* Handing a connection over to another protocol (RFC 9110 7.8: Upgrade).
 *
 * A handler that accepts an upgrade (the WebSocket route) answers with
 * http_respond_upgrade(): the server writes the 101 head (with the security
 * headers, X-Request-Id and the handler's own headers), frees the request and
 * everything of the HTTP parser, and from then on passes the connection's
 * bytes to the new protocol's callbacks. What the connection keeps is its
 * I/O: the socket, the write queue and its backpressure accounting, the
 * MAX_CONNECTIONS and per-address budgets, close and linger. An upgraded
 * connection is never evicted as idle.
 *
 * The protocol writes with http_stream_write() and ends the connection with
 * http_stream_end() (after what is queued) or http_stream_abort(). on_close
 * fires exactly once, whoever closed; the stream must not be used after it. */
#ifndef RURAL24_HTTP_UPGRADE_H
#define RURAL24_HTTP_UPGRADE_H

#include <stddef.h>

#include "http/request.h"

/* An upgraded connection (the server's connection, seen through this API). */
typedef struct http_conn_s http_stream_t;

typedef struct http_upgrade_ops_s {
    /* Bytes from the client (valid only during the call). Bytes the client
     * sent right after its upgrade request come first, from inside
     * http_stream_start(). */
    void (*on_data)(http_stream_t *stream, const char *data, size_t len, void *user_data);
    /* The client closed, the socket failed, or the server aborted it. */
    void (*on_close)(http_stream_t *stream, void *user_data);
    /* The server is draining (graceful shutdown): say goodbye, then
     * http_stream_end(). */
    void (*on_shutdown)(http_stream_t *stream, void *user_data);
} http_upgrade_ops_t;

/* Answers req with 101 Switching Protocols plus the headers the handler added
 * (Upgrade, Connection, Sec-WebSocket-Accept...) and hands the connection to
 * ops with user_data. Returns the stream, or NULL when the client is already
 * gone (the request is freed either way; ops are never called then). No
 * callback runs before http_stream_start(). */
http_stream_t *http_respond_upgrade(http_request_t *req, const http_upgrade_ops_t *ops,
                                    void *user_data);

/* Starts reading: the bytes the client sent behind its upgrade request are
 * delivered first (on_data may run from inside this call). Until then the
 * connection reads nothing, so the protocol can set itself up. */
void http_stream_start(http_stream_t *stream);

/* Queues data (malloc'd; the stream takes ownership and frees it once
 * written). Returns 0, or -1 when the connection is closed or closing (data
 * is freed). */
int http_stream_write(http_stream_t *stream, char *data, size_t len);

/* Bytes queued and not yet taken by the kernel: a protocol bounds it. */
size_t http_stream_queued(const http_stream_t *stream);

/* Stops or resumes reading (a protocol's own backpressure). */
void http_stream_pause(http_stream_t *stream);
void http_stream_resume(http_stream_t *stream);

/* Closes after what is queued is written (the close handshake's end). */
void http_stream_end(http_stream_t *stream);

/* Closes now, dropping what is queued. */
void http_stream_abort(http_stream_t *stream);

/* The peer's address as text (for logs). */
const char *http_stream_peer(const http_stream_t *stream);

#endif
