/* A connection's I/O, whatever protocol it speaks (server.c's HTTP/1.1, or
 * another after an upgrade: http/upgrade.h): the shared read buffer and the
 * read side's budget, writes without copying and their backpressure
 * accounting, the one timer, the idle list and eviction near
 * MAX_CONNECTIONS, close and linger. What the bytes mean is the protocol's:
 * on_read hands them to server.c's parser (http__protocol_input) or to the
 * upgraded protocol's callbacks, and close tells the same one. */
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/internal.h"
#include "http/upgrade.h"

#include <stdlib.h>
#include <string.h>

/* A write the kernel did not take at once: the response head (owned) and
 * the body it refers to, both kept until libuv has written them. */
typedef struct {
    uv_write_t req;
    http_conn_t *conn;
    char *head;
    http__body_ref_t body;
    size_t len; /* bytes handed to uv_write */
} write_req_t;

/* One buffer for every connection of the loop: libuv hands it to on_read and
 * the parser consumes it before the next read. Input that must outlive the
 * callback (pipelined requests) is copied into the connection's pending_in. */
static char shared_read_buffer[HTTP_READ_BUFFER_BYTES];
static bool shared_read_buffer_lent;

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

void http__body_release(const http__body_ref_t *body)
{
    if (body != NULL && body->release != NULL)
        body->release(body->arg);
}

/* Whether bodies, read-ahead and queued answers have reached MAX_BODY_MEMORY. */
bool http__buffers_full(const http_server_t *server)
{
    uint64_t held =
        server->body_memory_bytes + server->pipelined_bytes + server->queued_write_bytes;
    return held >= (uint64_t)server->config->max_body_memory_bytes;
}

/* Whether what conn reads now would wait in pending_in rather than be parsed
 * at once (a request is being handled, input is already waiting, or an answer
 * is still queued). */
bool http__conn_reads_ahead(const http_conn_t *conn)
{
    return conn->busy || conn->pending_in.len > 0 || conn->write_pending_bytes > 0;
}

/* Brings the server's read-ahead total up to date with conn's pending_in. */
void http__conn_count_pending_in(http_conn_t *conn)
{
    http_server_t *server = conn->server;
    size_t now = conn->pending_in.capacity;
    server->pipelined_bytes = server->pipelined_bytes - conn->pending_in_counted + now;
    conn->pending_in_counted = now;
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    http_conn_t *conn = handle->data;
    bool full =
        conn != NULL && !conn->lingering && !conn->upgraded && http__buffers_full(conn->server);
    if (full && http__conn_reads_ahead(conn)) {
        /* Over the budget: this read would only wait in memory. on_read gets
         * UV_ENOBUFS and stops reading until the connection catches up. */
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    if (shared_read_buffer_lent) {
        /* Cannot happen on one loop thread; refuse rather than share. */
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    shared_read_buffer_lent = true;
    buf->base = shared_read_buffer;
    /* A free connection parses what it reads at once, but only
     * HTTP_MAX_REQUESTS_PER_TURN requests a turn; the rest waits in
     * pending_in. Over the budget it reads little, so that rest stays small. */
    buf->len = full ? HTTP_READ_WHEN_FULL_BYTES : sizeof(shared_read_buffer);
}

void http__conn_arm_timer(http_conn_t *conn, uint8_t kind, uint64_t timeout_ms)
{
    conn->timer_kind = kind;
    if (conn->fake_out != NULL)
        return;
    uv_timer_start(&conn->timer, http__on_timer, timeout_ms, 0);
}

void http__conn_disarm_timer(http_conn_t *conn)
{
    conn->timer_kind = TIMER_NONE;
    if (conn->fake_out == NULL)
        uv_timer_stop(&conn->timer);
}

uint64_t http__conn_now_ms(const http_conn_t *conn)
{
    return uv_now(conn->server->loop);
}

void http__conn_idle_link(http_conn_t *conn)
{
    http_server_t *server = conn->server;
    if (conn->in_idle_list || conn->fake_out != NULL)
        return;
    conn->in_idle_list = true;
    conn->idle_next = NULL;
    conn->idle_prev = server->idle_tail;
    if (server->idle_tail != NULL)
        server->idle_tail->idle_next = conn;
    else
        server->idle_head = conn;
    server->idle_tail = conn;
}

void http__conn_idle_unlink(http_conn_t *conn)
{
    http_server_t *server = conn->server;
    if (!conn->in_idle_list)
        return;
    if (conn->idle_prev != NULL)
        conn->idle_prev->idle_next = conn->idle_next;
    else
        server->idle_head = conn->idle_next;
    if (conn->idle_next != NULL)
        conn->idle_next->idle_prev = conn->idle_prev;
    else
        server->idle_tail = conn->idle_prev;
    conn->idle_prev = conn->idle_next = NULL;
    conn->in_idle_list = false;
}

/* Between requests: the idle timer runs and the connection may be evicted. */
void http__conn_enter_idle(http_conn_t *conn)
{
    http__conn_arm_timer(conn, TIMER_IDLE, (uint64_t)conn->server->config->http_idle_timeout_ms);
    http__conn_idle_link(conn);
}

/* Closes the connection idle the longest that has nothing left to write, to
 * make room for a newcomer. True when one was closed. */
bool http__evict_idle(http_server_t *server)
{
    for (http_conn_t *c = server->idle_head; c != NULL; c = c->idle_next) {
        if (c->req == NULL && !c->busy && c->write_pending_bytes == 0 && !c->closing) {
            server->stats.connections_evicted++;
            http__conn_close(c);
            return true;
        }
    }
    return false;
}

static void after_close_handle(uv_handle_t *handle)
{
    http_conn_t *conn = handle->data;
    if (--conn->close_handles > 0)
        return;
    http_server_t *server = conn->server;
    buf_free(&conn->pending_in);
    http__conn_count_pending_in(conn);
    free(conn);
    if (server->draining && server->conns == NULL && server->on_drained != NULL) {
        void (*cb)(http_server_t *) = server->on_drained;
        server->on_drained = NULL;
        cb(server);
    }
}

static void unlink_conn(http_conn_t *conn)
{
    http_server_t *server = conn->server;
    if (conn->prev != NULL)
        conn->prev->next = conn->next;
    else if (server->conns == conn)
        server->conns = conn->next;
    if (conn->next != NULL)
        conn->next->prev = conn->prev;
    conn->prev = conn->next = NULL;
}

/* Closes the connection; it is freed once libuv has closed its handles. A
 * request still being handled is detached and finishes on its own. */
void http__conn_close(http_conn_t *conn)
{
    if (conn->closing)
        return;
    conn->closing = true;
    if (conn->upgraded) {
        if (conn->upgrade_ops != NULL) {
            const http_upgrade_ops_t *ops = conn->upgrade_ops;
            conn->upgrade_ops = NULL; /* exactly once */
            ops->on_close(conn, conn->upgrade_data);
        }
    } else {
        http__protocol_detach(conn);
    }
    conn->server->stats.connections_open--;
    unlink_conn(conn);
    http__conn_idle_unlink(conn);
    if (conn->peer != NULL) {
        http__peers_release(&conn->server->peers, conn->peer);
        conn->peer = NULL;
    }
    if (conn->fake_out != NULL) {
        buf_free(&conn->pending_in);
        http__conn_count_pending_in(conn);
        return; /* fake connections are freed by their owner */
    }
    conn->close_handles = 2;
    uv_close((uv_handle_t *)&conn->tcp, after_close_handle);
    uv_close((uv_handle_t *)&conn->timer, after_close_handle);
}

static void on_linger_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    shared_read_buffer_lent = false;
    http_conn_t *conn = stream->data;
    if (nread < 0)
        http__conn_close(conn);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    http_conn_t *conn = req->data;
    free(req);
    if (conn->closing)
        return;
    /* Keep discarding what the client still sends until it closes or the
     * linger time ends, so it reads our answer rather than a reset. */
    uv_read_stop((uv_stream_t *)&conn->tcp);
    if (uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_linger_read) != 0)
        http__conn_close(conn);
}

/* After the last response of a Connection: close exchange. */
void http__conn_finish(http_conn_t *conn)
{
    if (conn->fake_out != NULL) {
        http__conn_close(conn);
        return;
    }
    conn->lingering = true;
    http__conn_stop_reading(conn);
    http__conn_arm_timer(conn, TIMER_LINGER, HTTP_LINGER_MS);
    uv_shutdown_t *sreq = xmalloc(sizeof(*sreq));
    sreq->data = conn;
    if (uv_shutdown(sreq, (uv_stream_t *)&conn->tcp, on_shutdown) != 0) {
        free(sreq);
        http__conn_close(conn);
    }
}

static void on_write(uv_write_t *wreq, int status)
{
    write_req_t *w = container_of(wreq, write_req_t, req);
    http_conn_t *conn = w->conn;
    conn->write_pending_bytes -= w->len;
    conn->server->queued_write_bytes -= w->len;
    free(w->head);
    http__body_release(&w->body);
    free(w);
    if (conn->closing)
        return;
    if (status < 0) {
        http__conn_close(conn);
        return;
    }
    if (conn->write_pending_bytes == 0 && conn->close_after_write && !conn->busy &&
        conn->req == NULL) {
        http__conn_finish(conn);
        return;
    }
    if (conn->write_pending_bytes < HTTP_WRITE_HIGH_WATER && !conn->busy)
        http__protocol_writable(conn);
}

/* Writes head (taking ownership) followed by body (NULL for none; released
 * once written, or at once on failure): what the kernel takes now is done,
 * the rest is queued without copying. Returns 0 or a negative libuv error
 * (the connection is closed). */
int http__conn_write(http_conn_t *conn, char *head, size_t head_len, const http__body_ref_t *body)
{
    size_t body_len = body != NULL ? body->len : 0;
    size_t total = head_len + body_len;
    if (conn->fake_out != NULL) {
        (void)buf_append(conn->fake_out, head, head_len);
        if (body_len > 0)
            (void)buf_append(conn->fake_out, body->data, body_len);
        free(head);
        http__body_release(body);
        return 0;
    }
    size_t offset = 0;
    if (conn->write_pending_bytes == 0) {
        uv_buf_t bufs[2] = {
            uv_buf_init(head, (unsigned int)head_len),
            uv_buf_init((char *)(body_len > 0 ? body->data : NULL), (unsigned int)body_len)};
        int n = uv_try_write((uv_stream_t *)&conn->tcp, bufs, body_len > 0 ? 2 : 1);
        if (n > 0)
            offset = (size_t)n;
        else if (n < 0 && n != UV_EAGAIN) {
            free(head);
            http__body_release(body);
            http__conn_close(conn);
            return n;
        }
    }
    if (offset == total) {
        free(head);
        http__body_release(body);
        return 0;
    }
    write_req_t *w = xcalloc(1, sizeof(*w));
    w->conn = conn;
    w->len = total - offset;
    w->head = head;
    if (body != NULL)
        w->body = *body;
    uv_buf_t bufs[2];
    unsigned nbufs = 0;
    if (offset < head_len)
        bufs[nbufs++] = uv_buf_init(head + offset, (unsigned int)(head_len - offset));
    if (body_len > 0) {
        size_t skip = offset > head_len ? offset - head_len : 0;
        bufs[nbufs++] = uv_buf_init((char *)body->data + skip, (unsigned int)(body_len - skip));
    }
    int rc = uv_write(&w->req, (uv_stream_t *)&conn->tcp, bufs, nbufs, on_write);
    if (rc != 0) {
        free(w->head);
        http__body_release(&w->body);
        free(w);
        http__conn_close(conn);
        return rc;
    }
    conn->write_pending_bytes += w->len;
    conn->server->queued_write_bytes += w->len;
    return 0;
}

void http__conn_start_reading(http_conn_t *conn)
{
    if (conn->reading || conn->fake_out != NULL || conn->closing)
        return;
    if (uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read) == 0)
        conn->reading = true;
}

void http__conn_stop_reading(http_conn_t *conn)
{
    if (!conn->reading || conn->fake_out != NULL)
        return;
    uv_read_stop((uv_stream_t *)&conn->tcp);
    conn->reading = false;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    http_conn_t *conn = stream->data;
    if (conn->upgraded) {
        if (nread > 0 && conn->upgrade_ops != NULL)
            conn->upgrade_ops->on_data(conn, buf->base, (size_t)nread, conn->upgrade_data);
        else if (nread < 0)
            http__conn_close(conn); /* EOF or an error: the protocol hears on_close */
        if (buf->base == shared_read_buffer)
            shared_read_buffer_lent = false;
        return;
    }
    if (nread > 0) {
        /* The read buffer is shared: everything is consumed or copied before
         * this returns. */
        http__protocol_input(conn, buf->base, (size_t)nread);
    } else if (nread == UV_ENOBUFS) {
        /* on_alloc refused: the buffers are full. The protocol reads again
         * once this connection's answer is written or its input parsed. */
        http__conn_stop_reading(conn);
        conn->server->stats.read_ahead_stops++;
        return;
    } else if (nread == UV_EOF) {
        /* A half-close: the client sent all it will send but may still read.
         * What it sent before is answered, then the connection closes. */
        conn->read_eof = true;
        http__conn_stop_reading(conn);
        http__protocol_eof(conn);
    } else if (nread < 0) {
        http__conn_close(conn); /* a reset client is gone */
    }
    if (buf->base == shared_read_buffer)
        shared_read_buffer_lent = false;
}

void http_stream_start(http_stream_t *stream)
{
    http_conn_t *conn = stream;
    if (conn->closing)
        return;
    /* Frames the client sent right behind its request. */
    if (conn->pending_in.len > 0) {
        buf_t early = conn->pending_in;
        buf_init(&conn->pending_in, 0);
        http__conn_count_pending_in(conn);
        conn->upgrade_ops->on_data(conn, early.data, early.len, conn->upgrade_data);
        buf_free(&early);
        if (conn->closing)
            return;
    } else {
        buf_free(&conn->pending_in);
        http__conn_count_pending_in(conn);
    }
    if (!conn->lingering && !conn->close_after_write)
        http__conn_start_reading(conn);
}

int http_stream_write(http_stream_t *stream, char *data, size_t len)
{
    if (stream->closing || stream->close_after_write || stream->lingering) {
        free(data);
        return -1;
    }
    return http__conn_write(stream, data, len, NULL) == 0 ? 0 : -1;
}

size_t http_stream_queued(const http_stream_t *stream)
{
    return stream->write_pending_bytes;
}

void http_stream_pause(http_stream_t *stream)
{
    http__conn_stop_reading(stream);
}

void http_stream_resume(http_stream_t *stream)
{
    if (!stream->closing && !stream->lingering)
        http__conn_start_reading(stream);
}

void http_stream_end(http_stream_t *stream)
{
    if (stream->closing || stream->lingering || stream->close_after_write)
        return;
    stream->close_after_write = true;
    http__conn_stop_reading(stream);
    if (stream->write_pending_bytes == 0)
        http__conn_finish(stream);
    else
        http__conn_arm_timer(stream, TIMER_LINGER,
                             HTTP_LINGER_MS); /* a client not reading cannot hold it */
}

void http_stream_abort(http_stream_t *stream)
{
    http__conn_close(stream);
}

const char *http_stream_peer(const http_stream_t *stream)
{
    return stream->peer_ip;
}
