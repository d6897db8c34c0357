/* A WebSocket connection over wslay's event API; see conn.h. */
#include "ws/conn.h"

#include "core/buf.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "http/response.h"
#include "ws/frame_scan.h"

#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

struct ws_conn_s {
    http_stream_t *stream;
    wslay_event_context_ptr ctx; /* NULL while idle (see conn.h "Memory") */
    const ws_conn_handler_t *handler;
    void *user_data;
    ws_frame_scan_t scan;
    /* The input wslay reads during on_data (its recv callback). */
    const uint8_t *input;
    size_t input_len;
    /* What wslay writes during one flush, handed to the stream in one piece. */
    buf_t output;
    uint8_t missed_pongs;
    uint8_t depth; /* calls into this connection under way: it is freed at 0 */
    bool closing;  /* our close frame is queued or sent: no more sends */
    bool in_recv;  /* inside wslay_event_recv: queue only, flush afterwards */
    bool gone;     /* the stream has closed: free at depth 0 */
};

/* Every entry point brackets its work with enter()/leave(): a stream call
 * may close the connection under it (a failed write), and the memory must
 * outlive the call. leave() returns false when it freed the connection. */
static void free_conn(ws_conn_t *conn);

static void enter(ws_conn_t *conn)
{
    conn->depth++;
}

static bool leave(ws_conn_t *conn)
{
    if (--conn->depth == 0 && conn->gone) {
        free_conn(conn);
        return false;
    }
    return true;
}

/* ---- wslay's callbacks ---------------------------------------------------- */

static ssize_t on_wslay_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                             void *user_data)
{
    (void)flags;
    ws_conn_t *conn = user_data;
    if (conn->input_len == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < conn->input_len ? len : conn->input_len;
    memcpy(buf, conn->input, n);
    conn->input += n;
    conn->input_len -= n;
    return (ssize_t)n;
}

static ssize_t on_wslay_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
                             int flags, void *user_data)
{
    (void)flags;
    ws_conn_t *conn = user_data;
    if (buf_append(&conn->output, data, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

/* UTF-8 as RFC 6455 8.1 wants it: well-formed (NUL is allowed there; the
 * JSON layer refuses it later). */
static bool utf8_well_formed(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

static void on_wslay_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                         void *user_data)
{
    ws_conn_t *conn = user_data;
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
        if (!utf8_well_formed(arg->msg, arg->msg_length)) {
            static const char reason[] = "text must be UTF-8";
            wslay_event_queue_close(ctx, WS_CLOSE_INVALID_DATA, (const uint8_t *)reason,
                                    sizeof(reason) - 1);
            conn->closing = true;
            return;
        }
        if (!conn->closing && !wslay_event_get_close_received(ctx))
            conn->handler->on_text(conn, (const char *)arg->msg, arg->msg_length, conn->user_data);
        return;
    case WSLAY_BINARY_FRAME: {
        static const char reason[] = "frames are JSON text";
        wslay_event_queue_close(ctx, WS_CLOSE_UNSUPPORTED, (const uint8_t *)reason,
                                sizeof(reason) - 1);
        conn->closing = true;
        return;
    }
    case WSLAY_PONG:
        conn->missed_pongs = 0;
        return;
    case WSLAY_CONNECTION_CLOSE:
        /* wslay queues the answering close frame itself. */
        conn->closing = true;
        return;
    default:
        return; /* pings: wslay answers them */
    }
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = on_wslay_recv,
    .send_callback = on_wslay_send,
    .on_msg_recv_callback = on_wslay_msg,
};

/* ---- the context, made and freed on demand ----------------------------------- */

static bool ensure_context(ws_conn_t *conn)
{
    if (conn->ctx != NULL)
        return true;
    if (wslay_event_context_server_init(&conn->ctx, &callbacks, conn) != 0) {
        conn->ctx = NULL;
        return false;
    }
    wslay_event_config_set_max_recv_msg_length(conn->ctx, WS_MAX_MESSAGE_BYTES);
    return true;
}

/* Frees the context when nothing depends on it: a frame boundary outside a
 * fragmented message, nothing queued, no close handshake going on. */
static void release_context_if_idle(ws_conn_t *conn)
{
    if (conn->ctx == NULL || conn->closing || !ws_frame_scan_idle(&conn->scan) ||
        wslay_event_get_queued_msg_count(conn->ctx) > 0 ||
        wslay_event_get_close_received(conn->ctx) || wslay_event_get_close_sent(conn->ctx))
        return;
    wslay_event_context_free(conn->ctx);
    conn->ctx = NULL;
}

/* Writes what wslay has queued; ends the stream once a close frame is out.
 * Call between enter() and leave(). */
static void flush(ws_conn_t *conn)
{
    if (conn->ctx == NULL || conn->gone || conn->in_recv)
        return;
    if (wslay_event_want_write(conn->ctx) && wslay_event_send(conn->ctx) != 0) {
        http_stream_abort(conn->stream);
        return;
    }
    if (conn->output.len > 0) {
        size_t len = 0;
        char *data = buf_steal(&conn->output, &len);
        if (http_stream_write(conn->stream, data, len) != 0 || conn->gone)
            return; /* closed; on_close has run */
    }
    if (wslay_event_get_close_sent(conn->ctx)) {
        conn->closing = true;
        http_stream_end(conn->stream);
        return;
    }
    if (http_stream_queued(conn->stream) > WS_MAX_QUEUED_BYTES && !conn->closing) {
        /* The client stopped reading: stop for it. */
        ws_conn_close(conn, WS_CLOSE_POLICY, "not reading");
        return;
    }
    release_context_if_idle(conn);
}

/* ---- the stream's callbacks ---------------------------------------------- */

static void free_conn(ws_conn_t *conn)
{
    if (conn->ctx != NULL)
        wslay_event_context_free(conn->ctx);
    buf_free(&conn->output);
    free(conn);
}

static void on_stream_data(http_stream_t *stream, const char *data, size_t len, void *user_data)
{
    ws_conn_t *conn = user_data;
    conn->stream = stream;
    enter(conn);
    if (!ensure_context(conn)) {
        http_stream_abort(conn->stream);
        leave(conn);
        return;
    }
    ws_frame_scan(&conn->scan, (const uint8_t *)data, len);
    conn->input = (const uint8_t *)data;
    conn->input_len = len;
    conn->in_recv = true;
    int rc = wslay_event_recv(conn->ctx);
    conn->in_recv = false;
    conn->input = NULL;
    conn->input_len = 0;
    if (!conn->gone) {
        if (rc != 0)
            http_stream_abort(conn->stream);
        else
            flush(conn);
    }
    leave(conn);
}

static void on_stream_close(http_stream_t *stream, void *user_data)
{
    ws_conn_t *conn = user_data;
    conn->stream = stream;
    enter(conn);
    conn->closing = true;
    conn->gone = true;
    conn->handler->on_closed(conn, conn->user_data);
    leave(conn);
}

static void on_stream_shutdown(http_stream_t *stream, void *user_data)
{
    ws_conn_t *conn = user_data;
    conn->stream = stream;
    enter(conn);
    if (conn->handler->on_shutdown != NULL)
        conn->handler->on_shutdown(conn, conn->user_data);
    else
        ws_conn_close(conn, WS_CLOSE_GOING_AWAY, "server shutting down");
    leave(conn);
}

static const http_upgrade_ops_t stream_ops = {
    .on_data = on_stream_data,
    .on_close = on_stream_close,
    .on_shutdown = on_stream_shutdown,
};

/* ---- the API ------------------------------------------------------------- */

ws_conn_t *ws_conn_accept(http_request_t *req, const char *accept, const ws_conn_handler_t *handler,
                          void *user_data)
{
    ws_conn_t *conn = xcalloc(1, sizeof(*conn));
    conn->handler = handler;
    conn->user_data = user_data;
    buf_init(&conn->output, WS_MAX_QUEUED_BYTES + WS_MAX_MESSAGE_BYTES);
    http_response_header(req, "Upgrade", "websocket");
    http_response_header(req, "Connection", "Upgrade");
    http_response_header(req, "Sec-WebSocket-Accept", accept);
    conn->stream = http_respond_upgrade(req, &stream_ops, conn);
    if (conn->stream == NULL) {
        free_conn(conn); /* the client is gone; no callback has run */
        return NULL;
    }
    return conn;
}

void ws_conn_start(ws_conn_t *conn)
{
    http_stream_start(conn->stream);
}

int ws_conn_send_text(ws_conn_t *conn, const char *text, size_t len)
{
    if (conn->closing || conn->gone || !ensure_context(conn))
        return -1;
    struct wslay_event_msg msg = {
        .opcode = WSLAY_TEXT_FRAME,
        .msg = (const uint8_t *)text,
        .msg_length = len,
    };
    if (wslay_event_queue_msg(conn->ctx, &msg) != 0)
        return -1;
    enter(conn);
    flush(conn); /* a no-op inside wslay_event_recv: flushed after it */
    int rc = conn->closing ? -1 : 0;
    return leave(conn) ? rc : -1;
}

void ws_conn_close(ws_conn_t *conn, uint16_t code, const char *reason)
{
    if (conn->gone || (conn->ctx != NULL && wslay_event_get_close_sent(conn->ctx)))
        return;
    enter(conn);
    if (!ensure_context(conn)) {
        http_stream_abort(conn->stream);
        leave(conn);
        return;
    }
    conn->closing = true;
    size_t reason_len = reason != NULL ? strnlen(reason, 123) : 0;
    /* Refused only when a close is queued already: flushing sends that one. */
    (void)wslay_event_queue_close(conn->ctx, code, (const uint8_t *)reason, reason_len);
    flush(conn);
    leave(conn);
}

bool ws_conn_heartbeat(ws_conn_t *conn)
{
    if (conn->closing || conn->gone)
        return true;
    if (conn->missed_pongs >= 2) {
        http_stream_abort(conn->stream); /* gone quiet: no close handshake to wait for */
        return false;
    }
    if (!ensure_context(conn)) {
        http_stream_abort(conn->stream);
        return false;
    }
    struct wslay_event_msg ping = {.opcode = WSLAY_PING, .msg = NULL, .msg_length = 0};
    if (wslay_event_queue_msg(conn->ctx, &ping) != 0)
        return true;
    conn->missed_pongs++;
    enter(conn);
    flush(conn);
    return leave(conn);
}

bool ws_conn_closing(const ws_conn_t *conn)
{
    return conn->closing;
}

bool ws_conn_has_context(const ws_conn_t *conn)
{
    return conn->ctx != NULL;
}
