/* A WebSocket connection (RFC 6455) on an upgraded HTTP connection
 * (http/upgrade.h), framed by wslay's event API.
 *
 * What it does for its owner: the opening 101 answer; fragmented messages
 * put back together; text messages checked as UTF-8 (else close 1007);
 * binary messages refused (1003: this API speaks JSON text); a message over
 * WS_MAX_MESSAGE_BYTES closes with 1009; pings answered with pongs; the close
 * handshake; a bound on what waits to be written (a client that stops
 * reading is closed with 1008 rather than allowed to grow memory).
 *
 * Memory. wslay's context holds a 4 KiB input buffer, more than an idle
 * connection should cost (10,000 phones on one instance). So the context
 * exists only while the connection is between frame boundaries or has
 * something queued: a small scanner of frame headers (ws/frame_scan.h) says
 * where frames end, and at a boundary, with nothing queued and no fragmented
 * message open, the context is freed; the next byte or send makes a new one.
 * An idle connection costs its ws_conn_t and the HTTP connection under it. */
#ifndef RURAL24_WS_CONN_H
#define RURAL24_WS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"
#include "http/upgrade.h"

enum {
    WS_MAX_MESSAGE_BYTES = 64 * 1024, /* API.md: a frame over 64 KiB closes with 1009 */
    WS_MAX_QUEUED_BYTES = 256 * 1024, /* written but not yet read by the client */
};

/* Close codes this server sends. */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001, /* shutdown */
    WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008, /* the client does not read */
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_UNAUTHORIZED = 4401, /* the session was revoked or the token expired */
};

typedef struct ws_conn_s ws_conn_t;

typedef struct {
    /* A complete text message, valid UTF-8 (not NUL-terminated; valid only
     * during the call). The handler may send or close from here. */
    void (*on_text)(ws_conn_t *conn, const char *text, size_t len, void *user_data);
    /* The connection is gone (any side, any reason): the last call; conn is
     * freed when it returns. */
    void (*on_closed)(ws_conn_t *conn, void *user_data);
    /* The server drains (graceful shutdown): the handler closes with 1001. */
    void (*on_shutdown)(ws_conn_t *conn, void *user_data);
} ws_conn_handler_t;

/* Completes the upgrade of req (the 101 with Sec-WebSocket-Accept: accept)
 * and returns the connection, owned by itself (it frees itself after
 * on_closed); NULL when the client is gone already (no callback runs then).
 * Nothing is read until ws_conn_start(), so that the owner can register the
 * connection and greet it first. */
ws_conn_t *ws_conn_accept(http_request_t *req, const char *accept, const ws_conn_handler_t *handler,
                          void *user_data);

/* Starts reading: the frames the client sent behind its upgrade request
 * first. Callbacks may run from inside this call. */
void ws_conn_start(ws_conn_t *conn);

/* Queues a text message (copied) and writes it. 0; -1 when the connection is
 * closing. Past WS_MAX_QUEUED_BYTES unread by the client, the connection is
 * closed with 1008 instead and -1 returned.
 *
 * Outside on_text, a write that fails closes the connection inside this
 * call: on_closed runs before it returns and conn is freed after. A caller
 * that goes on using conn or its own state afterwards must learn of it from
 * on_closed (api/ws.c's greeting sets a flag there; the hub's walk steps past
 * a member before sending to it). Inside on_text nothing is written until
 * the callback returns, so nothing closes under it. */
int ws_conn_send_text(ws_conn_t *conn, const char *text, size_t len);

/* Starts the close handshake with code and a short reason; the TCP
 * connection closes once the close frame is written. Further sends fail. */
void ws_conn_close(ws_conn_t *conn, uint16_t code, const char *reason);

/* The heartbeat: true after sending a ping; false when two pings went
 * unanswered, after closing the connection (on_closed has run and conn is
 * freed: do not use it). */
bool ws_conn_heartbeat(ws_conn_t *conn);

/* True once closing (no more sends are accepted). */
bool ws_conn_closing(const ws_conn_t *conn);

/* Whether a wslay context is held now (for the memory tests and stats). */
bool ws_conn_has_context(const ws_conn_t *conn);

#endif
