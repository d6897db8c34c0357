/* The HTTP/1.1 server: accepting, parsing, dispatching, the HTTP timeouts,
 * upgrades, and the drain of a graceful shutdown. A connection's I/O (reads,
 * writes and their backpressure, the timer, the idle list, close and linger)
 * is conn.c's, shared with the protocols a connection is upgraded to; this
 * file is the HTTP protocol on top of it.
 *
 * A connection is in one of these phases:
 *   idle      no request begun; the idle timer runs; no read buffer is held
 *   headers   a request is arriving; the header timer runs (slowloris)
 *   body      the body is arriving; the body timer restarts on each piece
 *   busy      the request is dispatched; input is kept unparsed in pending_in
 *             (pipelining) up to a cap, past which reading stops
 * A response is written at once with uv_try_write; only what the kernel
 * refused is queued, and while more than HTTP_WRITE_HIGH_WATER bytes wait, the
 * connection neither reads nor parses (backpressure).
 *
 * Errors the client caused (431, 414, 413, 408, 400) are answered with
 * Connection: close; the connection then shuts down its write side and
 * discards input for a short while before closing, so the client reads the
 * answer instead of a reset.
 *
 * Early answers. A request with a body stops at the end of its head: the
 * parser pauses there and the connection stops reading, the middleware
 * (rate limit, auth) and the route checks (404, 405, 415) run on the head
 * alone, and only once they pass is the body admitted and read; then the
 * handler runs. An answer given before the body was read closes the
 * connection after it (the unread body cannot be told from the next
 * request). A request without a body goes through the same steps after its
 * head, all at once.
 *
 * Budgets. A connection's header timer starts at the accept (a silent
 * connection is closed when it ends); at most MAX_CONNECTIONS_PER_IP
 * connections per peer address (the proxies of TRUST_PROXY are exempt); at
 * MAX_CONNECTIONS a newcomer closes the connection idle the longest (keep-
 * alive, or accepted and silent), as nginx reuses its "reusable" ones. A
 * body is admitted only while all bodies held stay under MAX_BODY_MEMORY
 * (Content-Length bodies reserve their length, chunked ones the route's
 * limit); others wait in turn, without reading, and get 503 with
 * Retry-After after HTTP_BODY_MEMORY_WAIT_MS. A body must average
 * HTTP_BODY_MIN_RATE bytes/s over each window and never pause longer than
 * HTTP_BODY_TIMEOUT_MS, else 408. The same budget covers what a client can
 * make the server hold besides bodies: input read ahead of the request being
 * handled (pipelining, at most HTTP_PENDING_IN_MAX per connection) and answers
 * queued for a client that reads slowly (at most HTTP_WRITE_HIGH_WATER per
 * connection). When bodies, read-ahead and queued answers together reach
 * MAX_BODY_MEMORY, connections stop reading ahead and a connection with an
 * answer still queued parses no further request until it is written: so
 * 10,000 clients pipelining without reading cost the budget, not 10,000 x
 * (HTTP_PENDING_IN_MAX + HTTP_WRITE_HIGH_WATER). They resume as their own answers
 * are written. */
#include "http/server.h"
#include "core/clock.h"
#include "core/netaddr.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/internal.h"
#include "http/response.h"
#include "http/upgrade.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A connection is one allocation; keep it small, since 10,000 idle ones must
 * cost little (DESIGN.md: about 1.5 KB each for an idle WebSocket). */
_Static_assert(sizeof(http_conn_t) <= 896, "http_conn_t grew: check what an idle connection holds");

static http_parser_settings parser_settings;
static void drive(http_conn_t *conn);
static void settle_eof(http_conn_t *conn);
static void undefer(http_conn_t *conn);
static void defer(http_conn_t *conn);
static bool request_line_protocol_ok(const http_conn_t *conn);
static void memory_release(http_server_t *server, http_request_t *req);
static void memory_unqueue(http_conn_t *conn);

/* Whether conn may parse its next request: not while its answers pile up. */
static bool may_parse(const http_conn_t *conn)
{
    if (conn->write_pending_bytes == 0)
        return true;
    return conn->write_pending_bytes < HTTP_WRITE_HIGH_WATER && !http__buffers_full(conn->server);
}

/* ---- time -------------------------------------------------------------- */

const char *http__date(http_server_t *server)
{
    time_t now = time(NULL);
    if ((uint64_t)now != server->date_second) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(server->date, sizeof(server->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        server->date_second = (uint64_t)now;
    }
    return server->date;
}

/* ---- requests ---------------------------------------------------------- */

static http_request_t *request_new(http_conn_t *conn)
{
    http_request_t *req = xcalloc(1, sizeof(*req));
    arena_init(&req->arena);
    req->server = conn->server;
    req->app = conn->server->app;
    req->start_us = clock_now_us();
    req->state = arena_calloc(&req->arena, 1, sizeof(*req->state));
    req->state->conn = conn;
    buf_init(&req->state->url, HTTP_MAX_URL_BYTES);
    buf_init(&req->state->field, HTTP_MAX_HEADER_BYTES);
    buf_init(&req->state->value, HTTP_MAX_HEADER_BYTES);
    buf_init(&req->body, HTTP_DEFAULT_BODY_LIMIT);
    req->method_name = "GET";
    snprintf(req->client_ip, sizeof(req->client_ip), "%s", conn->peer_ip);
    conn->server->stats.requests_in_flight++;
    return req;
}

static void request_free(http_request_t *req)
{
    if (req->server != NULL) {
        req->server->stats.requests_in_flight--;
        memory_release(req->server, req);
    }
    buf_free(&req->state->url);
    buf_free(&req->state->field);
    buf_free(&req->state->value);
    buf_free(&req->body);
    arena_free(&req->arena);
    free(req);
}

/* ---- timers ------------------------------------------------------------ */

/* The header timer, unless it already runs: for a connection's first request
 * it started at the accept, and a first byte does not restart it. */
static void arm_header_timer(http_conn_t *conn)
{
    if (conn->timer_kind != TIMER_HEADER)
        http__conn_arm_timer(conn, TIMER_HEADER,
                             (uint64_t)conn->server->config->http_header_timeout_ms);
}

/* ---- idle connections, oldest first ------------------------------------ */

/* ---- writing ----------------------------------------------------------- */

void http__conn_send_response(http_request_t *req, int status, char *data, size_t len,
                              const http__body_ref_t *body, size_t body_bytes)
{
    http_conn_t *conn = req->state->conn;
    http_server_t *server = req->server;
    double duration_ms = (double)(clock_now_us() - req->start_us) / 1000.0;
    if (server != NULL) {
        server->stats.requests_total++;
        http__run_access_hooks(server, req, status, body_bytes, duration_ms);
    }
    if (conn == NULL) {
        /* The client left while the handler worked: drop the answer. */
        free(data);
        http__body_release(body);
        request_free(req);
        return;
    }
    bool was_busy = conn->busy;
    conn->busy = false;
    conn->req = NULL;
    request_free(req);
    if (http__conn_write(conn, data, len, body) != 0)
        return; /* closed */
    if (conn->close_after_write) {
        http__conn_stop_reading(conn);
        if (conn->write_pending_bytes == 0)
            http__conn_finish(conn);
        return;
    }
    /* Keep-alive: wait for the next request. */
    http__conn_enter_idle(conn);
    if (was_busy && !conn->in_drive && conn->write_pending_bytes < HTTP_WRITE_HIGH_WATER)
        drive(conn);
}

static int commit_header(http_conn_t *conn);

/* Answers an error the client caused and closes afterwards. Used by the
 * parsing steps, where no handler is involved. The answer carries what the
 * head said so far: its request id, and CORS for an allowed Origin. */
static void respond_client_error(http_conn_t *conn, api_error_t err)
{
    if (conn->req == NULL)
        conn->req = request_new(conn);
    http_request_t *req = conn->req;
    struct http__request_state_s *st = req->state;
    if (st->last_was_value && st->field.len > 0) {
        /* The last header seen is whole only if the error came after it; a
         * header cut short is still a name and a value, and a harmless one
         * to read for CORS. */
        (void)commit_header(conn);
        st->last_was_value = false;
    }
    if (st->origin == NULL)
        http__cors_check(req, conn->server->config);
    if (req->request_id[0] == '\0')
        http__assign_request_id(req);
    if (req->path == NULL)
        req->path = arena_strndup(&req->arena, "", 0);
    conn->close_after_write = true;
    conn->busy = true;
    conn->error_status = api_error_status(err);
    http_respond_error(req, err, NULL, NULL);
}

/* ---- parser callbacks -------------------------------------------------- */

static http_conn_t *conn_of(http_parser *parser)
{
    return parser->data;
}

/* Fails the parse with err; the caller answers it after the parser stops. */
static int fail_parse(http_conn_t *conn, api_error_t err)
{
    if (conn->error_status == 0) {
        conn->error_status = api_error_status(err);
        conn->error_code = err;
    }
    return -1;
}

static int count_header_bytes(http_conn_t *conn, size_t len)
{
    conn->header_bytes += len;
    if (conn->header_bytes > HTTP_MAX_HEADER_BYTES)
        return fail_parse(conn, API_ERR_HEADERS_TOO_LARGE);
    return 0;
}

static int on_message_begin(http_parser *parser)
{
    http_conn_t *conn = conn_of(parser);
    if (conn->req == NULL)
        conn->req = request_new(conn);
    conn->header_bytes = 0;
    http__conn_idle_unlink(conn);
    arm_header_timer(conn);
    return 0;
}

static int on_url(http_parser *parser, const char *at, size_t len)
{
    http_conn_t *conn = conn_of(parser);
    if (buf_append(&conn->req->state->url, at, len) != 0)
        return fail_parse(conn, API_ERR_URI_TOO_LONG);
    return count_header_bytes(conn, len);
}

/* RFC 9110 token characters, the only ones a field name may hold. Debian's
 * http-parser is lenient and accepts "Content-Length :" or "X A", which a
 * proxy in front of us may read differently (request smuggling), so the
 * server checks names itself and answers 400. */
static bool is_token(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("!#$%&'*+-.^_`|~", c) != NULL;
        if (!ok || c == '\0')
            return false;
    }
    return true;
}

static int commit_header(http_conn_t *conn)
{
    struct http__request_state_s *st = conn->req->state;
    http_request_t *req = conn->req;
    if (st->field.len == 0)
        return 0;
    if (!is_token(st->field.data, st->field.len))
        return fail_parse(conn, API_ERR_BAD_REQUEST);
    if (req->header_count == HTTP_MAX_HEADERS)
        return fail_parse(conn, API_ERR_HEADERS_TOO_LARGE);
    if (req->header_count == st->header_capacity) {
        size_t cap = st->header_capacity ? st->header_capacity * 2 : 16;
        http_header_t *grown = arena_alloc(&req->arena, cap * sizeof(*grown));
        if (req->header_count > 0)
            memcpy(grown, req->headers, req->header_count * sizeof(*grown));
        req->headers = grown;
        st->header_capacity = cap;
    }
    const char *v = st->value.data ? st->value.data : "";
    size_t vlen = st->value.len;
    while (vlen > 0 && (v[0] == ' ' || v[0] == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    req->headers[req->header_count].name =
        arena_strndup(&req->arena, st->field.data, st->field.len);
    req->headers[req->header_count].value = arena_strndup(&req->arena, v, vlen);
    req->header_count++;
    buf_clear(&st->field);
    buf_clear(&st->value);
    return 0;
}

/* Whether the parser is in a chunked body's trailer section. Trailer fields
 * are checked by the strict scanner, counted against the header budget and
 * then dropped: nothing here uses them (RFC 9112 7.1.2 lets a recipient
 * discard them), and merged into the head they would arrive after the
 * middleware had judged it. */
static bool in_trailers(const http_parser *parser)
{
    return (parser->flags & F_TRAILING) != 0;
}

static int on_header_field(http_parser *parser, const char *at, size_t len)
{
    http_conn_t *conn = conn_of(parser);
    if (in_trailers(parser))
        return count_header_bytes(conn, len + 4);
    struct http__request_state_s *st = conn->req->state;
    if (st->last_was_value) {
        if (commit_header(conn) != 0)
            return -1;
        st->last_was_value = false;
    }
    if (count_header_bytes(conn, len + 4) != 0 || buf_append(&st->field, at, len) != 0)
        return fail_parse(conn, API_ERR_HEADERS_TOO_LARGE);
    return 0;
}

static int on_header_value(http_parser *parser, const char *at, size_t len)
{
    http_conn_t *conn = conn_of(parser);
    if (in_trailers(parser))
        return count_header_bytes(conn, len);
    struct http__request_state_s *st = conn->req->state;
    st->last_was_value = true;
    if (count_header_bytes(conn, len) != 0 || buf_append(&st->value, at, len) != 0)
        return fail_parse(conn, API_ERR_HEADERS_TOO_LARGE);
    return 0;
}

static http_method_t method_of(unsigned parser_method, const char **name)
{
    *name = http_method_str((enum http_method)parser_method);
    switch (parser_method) {
    case HTTP_GET:
        return HTTP_METHOD_GET;
    case HTTP_HEAD:
        return HTTP_METHOD_HEAD;
    case HTTP_POST:
        return HTTP_METHOD_POST;
    case HTTP_PUT:
        return HTTP_METHOD_PUT;
    case HTTP_PATCH:
        return HTTP_METHOD_PATCH;
    case HTTP_DELETE:
        return HTTP_METHOD_DELETE;
    case HTTP_OPTIONS:
        return HTTP_METHOD_OPTIONS;
    default:
        return HTTP_METHOD_OTHER;
    }
}

/* Writes "100 Continue" for a client waiting on Expect before sending. */
static void send_continue(http_conn_t *conn)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    http__conn_write(conn, xstrndup(line, sizeof(line) - 1), sizeof(line) - 1, NULL);
}

static int on_headers_complete(http_parser *parser)
{
    http_conn_t *conn = conn_of(parser);
    http_request_t *req = conn->req;
    struct http__request_state_s *st = req->state;
    if (st->last_was_value && commit_header(conn) != 0)
        return -1;
    http_server_t *server = conn->server;

    if (!request_line_protocol_ok(conn))
        return fail_parse(conn, API_ERR_BAD_REQUEST);
    http_strict_error_t strict = http__strict_fields(req, parser->http_minor);
    if (strict != HTTP_STRICT_OK) {
        server->stats.strict_refused++;
        return fail_parse(conn, API_ERR_BAD_REQUEST);
    }
    req->method = method_of(parser->method, &req->method_name);
    st->keep_alive = http_should_keep_alive(parser) != 0;

    /* Split the target into path and query. Absolute-form targets
     * ("http://host/path") keep only their path. */
    const char *url = st->url.data ? st->url.data : "";
    size_t url_len = st->url.len;
    if (url_len > 0 && url[0] != '/' && url[0] != '*') {
        struct http_parser_url u;
        http_parser_url_init(&u);
        if (http_parser_parse_url(url, url_len, 0, &u) != 0 || !(u.field_set & (1 << UF_PATH)))
            return fail_parse(conn, API_ERR_BAD_REQUEST);
        url += u.field_data[UF_PATH].off;
        url_len -= u.field_data[UF_PATH].off;
    }
    /* A fragment is never sent by browsers; drop one if a client does, and
     * everything after it (a '?' behind a '#' belongs to the fragment). */
    const char *fragment = memchr(url, '#', url_len);
    if (fragment != NULL)
        url_len = (size_t)(fragment - url);
    const char *q = memchr(url, '?', url_len);
    size_t path_len = q ? (size_t)(q - url) : url_len;
    req->path = arena_strndup(&req->arena, url, path_len);
    if (q != NULL)
        req->query = arena_strndup(&req->arena, q + 1, url_len - path_len - 1);

    http__assign_request_id(req);
    http__resolve_client_ip(req, conn->peer_ip, server->config);
    http__cors_check(req, server->config);

    http_router_match(server->router, req->method, req->path, path_len, &st->match);
    if (st->match.result == HTTP_ROUTE_FOUND) {
        req->route = st->match.route;
        memcpy(req->path_params, st->match.params, sizeof(req->path_params));
        req->path_param_count = st->match.param_count;
        if (st->match.prefix)
            req->path_rest = req->path + st->match.rest_offset;
    }
    size_t limit = req->route ? req->route->opts.body_limit_bytes : HTTP_DEFAULT_BODY_LIMIT;
    req->body.max_bytes = limit;

    /* Only "chunked" is a transfer coding we understand (RFC 9112 6.1: 501
     * for the others). */
    const char *te = http_request_header(req, "Transfer-Encoding");
    if (te != NULL && strcasecmp(te, "chunked") != 0)
        return fail_parse(conn, API_ERR_NOT_SUPPORTED);
    bool chunked = (parser->flags & F_CHUNKED) != 0;
    bool has_length = parser->content_length != ULLONG_MAX && parser->content_length > 0;
    st->body_expected = chunked || has_length;
    if (has_length && parser->content_length > limit)
        return fail_parse(conn, API_ERR_PAYLOAD_TOO_LARGE);
    if (!st->body_expected) {
        http__conn_disarm_timer(conn);
        return 0;
    }
    /* The body waits until the head has passed the middleware and the route
     * checks (dispatch_head); a Content-Length body will need exactly its
     * length, so the buffer is capped there. */
    if (has_length)
        req->body.max_bytes = (size_t)parser->content_length;
    if (chunked)
        http__strict_begin_chunked(&conn->strict);
    else
        http__strict_off(&conn->strict);
    st->body_unread = true;
    conn->head_ready = true;
    http__conn_disarm_timer(conn);
    http_parser_pause(parser, 1);
    return 0;
}

static int on_body(http_parser *parser, const char *at, size_t len)
{
    http_conn_t *conn = conn_of(parser);
    if (buf_append(&conn->req->body, at, len) != 0)
        return fail_parse(conn, API_ERR_PAYLOAD_TOO_LARGE);
    conn->window_bytes += len;
    conn->last_body_ms = http__conn_now_ms(conn);
    return 0;
}

static int on_message_complete(http_parser *parser)
{
    http_conn_t *conn = conn_of(parser);
    conn->req->state->body_unread = false;
    http__strict_begin_head(&conn->strict);
    conn->message_ready = true;
    conn->line_seen = false;
    conn->line_tail_len = 0;
    http__conn_disarm_timer(conn);
    /* Stop here: the next pipelined request is parsed only after this one is
     * answered, which keeps responses in order. */
    http_parser_pause(parser, 1);
    return 0;
}

/* ---- dispatch ---------------------------------------------------------- */

static void start_body(http_request_t *req);

/* The end of the middleware chain: the route checks that need no body, then
 * the body (when there is one to read) or the handler. */
static void final_step(http_request_t *req)
{
    struct http__request_state_s *st = req->state;
    switch (st->match.result) {
    case HTTP_ROUTE_NOT_FOUND:
        http_respond_error(req, API_ERR_NOT_FOUND, NULL, NULL);
        return;
    case HTTP_ROUTE_METHOD_NOT_ALLOWED:
        http_response_header(req, "Allow", st->match.allow);
        if (req->method == HTTP_METHOD_OPTIONS) {
            http_respond_empty(req, 204);
            return;
        }
        http_respond_error(req, API_ERR_METHOD_NOT_ALLOWED, NULL, NULL);
        return;
    case HTTP_ROUTE_FOUND:
        break;
    }
    if (!http__query_valid(req)) {
        http_respond_error(req, API_ERR_INVALID_PARAMETER,
                           "the query string is malformed (bad %-escape, NUL or invalid UTF-8)",
                           NULL);
        return;
    }
    if (req->route->opts.body_kind == HTTP_BODY_JSON && st->body_expected) {
        const char *ct = http_request_header(req, "Content-Type");
        size_t n = strlen("application/json");
        if (ct == NULL || strncasecmp(ct, "application/json", n) != 0 ||
            (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ')) {
            http_respond_error(req, API_ERR_UNSUPPORTED_MEDIA_TYPE,
                               "the body must be sent as application/json", NULL);
            return;
        }
    }
    st->head_done = true;
    if (st->body_unread) {
        start_body(req);
        return;
    }
    req->route->handler(req);
}

void http_request_next(http_request_t *req)
{
    struct http__request_state_s *st = req->state;
    http_server_t *server = req->server;
    if (server != NULL && st->middleware_index < server->middleware_count) {
        http_middleware_fn mw = server->middleware[st->middleware_index++];
        mw(req);
        return;
    }
    final_step(req);
}

/* A complete message: its handler when the head went through already (a
 * request with a body), else the whole pipeline. */
static void dispatch(http_conn_t *conn)
{
    http_request_t *req = conn->req;
    conn->message_ready = false;
    conn->busy = true;
    if (req->state->head_done) {
        req->route->handler(req);
        return;
    }
    if (http__cors_preflight(req))
        return;
    http_request_next(req);
}

/* The head of a request whose body is not read yet: reading stops and the
 * pipeline runs on the head; final_step admits the body if all passes. */
static void dispatch_head(http_conn_t *conn)
{
    http_request_t *req = conn->req;
    conn->head_ready = false;
    conn->busy = true;
    http__conn_stop_reading(conn);
    if (http__cors_preflight(req))
        return;
    http_request_next(req);
}

/* ---- the body: memory, admission, progress ----------------------------- */

static bool memory_fits(const http_server_t *server, size_t need)
{
    uint64_t budget = (uint64_t)server->config->max_body_memory_bytes;
    /* Alone, a body is admitted even over the budget (a budget set below a
     * route's limit must not block that route forever). */
    return server->body_memory_bytes == 0 || server->body_memory_bytes + need <= budget;
}

static void memory_reserve(http_server_t *server, http_request_t *req, size_t need)
{
    req->state->body_reserved = need;
    server->body_memory_bytes += need;
}

static void memory_unqueue(http_conn_t *conn)
{
    if (!conn->waiting_for_memory)
        return;
    http_server_t *server = conn->server;
    http_conn_t **link = &server->memory_wait_head;
    http_conn_t *prev = NULL;
    while (*link != NULL && *link != conn) {
        prev = *link;
        link = &(*link)->memory_next;
    }
    if (*link == conn) {
        *link = conn->memory_next;
        if (server->memory_wait_tail == conn)
            server->memory_wait_tail = prev;
    }
    conn->memory_next = NULL;
    conn->waiting_for_memory = false;
}

static void arm_body_timer(http_conn_t *conn)
{
    const config_t *cfg = conn->server->config;
    uint64_t now = http__conn_now_ms(conn);
    uint64_t pause_due = conn->last_body_ms + (uint64_t)cfg->http_body_timeout_ms;
    uint64_t due = pause_due;
    if (cfg->http_body_min_rate > 0) {
        uint64_t window_due = conn->window_start_ms + (uint64_t)cfg->http_body_rate_window_ms;
        if (window_due < due)
            due = window_due;
    }
    http__conn_arm_timer(conn, TIMER_BODY, due > now ? due - now : 0);
}

/* Lets the admitted body in: 100 Continue if the client waits for it, the
 * body timer, and parsing again (now, or on the next loop turn when admitted
 * from another request's release). */
static void begin_body(http_conn_t *conn, bool from_release)
{
    http_request_t *req = conn->req;
    struct http__request_state_s *st = req->state;
    if (st->body_reserved > 0 && req->body.max_bytes == st->body_reserved)
        (void)buf_reserve(&req->body, st->body_reserved); /* a known length: one allocation */
    const char *expect = http_request_header(req, "Expect");
    if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
        send_continue(conn);
    if (conn->closing)
        return;
    conn->window_start_ms = conn->last_body_ms = http__conn_now_ms(conn);
    conn->window_bytes = 0;
    arm_body_timer(conn);
    conn->busy = false;
    if (from_release)
        defer(conn);
    else if (!conn->in_drive)
        drive(conn);
}

static void start_body(http_request_t *req)
{
    http_conn_t *conn = req->state->conn;
    if (conn == NULL) {
        /* The client left while the head was checked: answering frees it. */
        http_respond_error(req, API_ERR_UNAVAILABLE, NULL, NULL);
        return;
    }
    http_server_t *server = conn->server;
    size_t need = req->body.max_bytes;
    if (server->memory_wait_head == NULL && memory_fits(server, need)) {
        memory_reserve(server, req, need);
        begin_body(conn, false);
        return;
    }
    /* Wait in turn for room, without reading. */
    server->stats.body_memory_waits++;
    conn->waiting_for_memory = true;
    conn->memory_next = NULL;
    if (server->memory_wait_tail != NULL)
        server->memory_wait_tail->memory_next = conn;
    else
        server->memory_wait_head = conn;
    server->memory_wait_tail = conn;
    http__conn_arm_timer(conn, TIMER_MEMORY_WAIT, HTTP_BODY_MEMORY_WAIT_MS);
}

/* A body's memory is back: admit the waiting bodies that now fit, in turn. */
static void memory_release(http_server_t *server, http_request_t *req)
{
    size_t held = req->state->body_reserved;
    if (held == 0)
        return;
    req->state->body_reserved = 0;
    server->body_memory_bytes -= held;
    while (server->memory_wait_head != NULL) {
        http_conn_t *next = server->memory_wait_head;
        size_t need = next->req->body.max_bytes;
        if (!memory_fits(server, need))
            break;
        memory_unqueue(next);
        memory_reserve(server, next->req, need);
        begin_body(next, true);
    }
}

static void answer_parse_error(http_conn_t *conn);

/* The body timer: a pause longer than HTTP_BODY_TIMEOUT_MS, or a window that
 * brought less than HTTP_BODY_MIN_RATE on average, is 408. */
static void check_body_progress(http_conn_t *conn)
{
    const config_t *cfg = conn->server->config;
    uint64_t now = http__conn_now_ms(conn);
    bool too_slow = false;
    if (now >= conn->last_body_ms + (uint64_t)cfg->http_body_timeout_ms)
        too_slow = true;
    uint64_t window_ms = (uint64_t)cfg->http_body_rate_window_ms;
    if (!too_slow && cfg->http_body_min_rate > 0 && now >= conn->window_start_ms + window_ms) {
        uint64_t elapsed = now - conn->window_start_ms;
        if (conn->window_bytes * 1000 < (uint64_t)cfg->http_body_min_rate * elapsed) {
            too_slow = true;
            conn->server->stats.bodies_too_slow++;
        }
        conn->window_start_ms = now;
        conn->window_bytes = 0;
    }
    if (!too_slow) {
        arm_body_timer(conn);
        return;
    }
    conn->error_status = api_error_status(API_ERR_REQUEST_TIMEOUT);
    conn->error_code = API_ERR_REQUEST_TIMEOUT;
    answer_parse_error(conn);
}

/* Waited HTTP_BODY_MEMORY_WAIT_MS for room: 503, try again later. */
static void refuse_for_memory(http_conn_t *conn)
{
    memory_unqueue(conn);
    conn->server->stats.body_memory_refused++;
    http_request_t *req = conn->req;
    http_response_header(req, "Retry-After", "2");
    conn->close_after_write = true;
    conn->busy = false; /* respond_client_error takes the request over */
    http__conn_stop_reading(conn);
    buf_clear(&conn->pending_in);
    respond_client_error(conn, API_ERR_UNAVAILABLE);
}

/* ---- reading and the parse loop ---------------------------------------- */

static void answer_parse_error(http_conn_t *conn)
{
    api_error_t err;
    if (conn->error_status != 0) {
        err = conn->error_code;
        conn->error_status = 0; /* respond_client_error sets it again */
    } else {
        err = API_ERR_BAD_REQUEST;
    }
    http__conn_stop_reading(conn);
    buf_clear(&conn->pending_in);
    respond_client_error(conn, err);
}

/* Records the tail of the request line until its LF. Leading empty lines,
 * which RFC 9112 lets a server skip before a request, are skipped too. */
static void capture_request_line(http_conn_t *conn, const char *data, size_t len)
{
    for (size_t i = 0; i < len && !conn->line_seen; i++) {
        char c = data[i];
        if (c == '\n') {
            if (conn->line_tail_len > 0)
                conn->line_seen = true;
            continue;
        }
        if (c == '\r' && conn->line_tail_len == 0)
            continue;
        if (conn->line_tail_len == sizeof(conn->line_tail)) {
            memmove(conn->line_tail, conn->line_tail + 1, sizeof(conn->line_tail) - 1);
            conn->line_tail_len--;
        }
        conn->line_tail[conn->line_tail_len++] = c;
    }
}

/* True when the captured request line ends in " HTTP/1.0" or " HTTP/1.1". */
static bool request_line_protocol_ok(const http_conn_t *conn)
{
    size_t n = conn->line_tail_len;
    const char *t = conn->line_tail;
    if (n > 0 && t[n - 1] == '\r')
        n--;
    if (n < 9)
        return false;
    const char *p = t + n - 9;
    return memcmp(p, " HTTP/1.", 8) == 0 && (p[8] == '0' || p[8] == '1');
}

/* Feeds data to the parser. Returns how much it consumed, or -1 after
 * answering an error. Dispatches a completed message. */
/* The strict rules' byte scan (strict.h) refused data at bad_at: the part
 * of the head before it is parsed first, so that the 400 carries the request
 * id and CORS headers it asked for. */
static void refuse_strict(http_conn_t *conn, const char *data, size_t bad_at)
{
    conn->server->stats.strict_refused++;
    bool in_head = conn->req == NULL || !conn->req->state->head_done;
    if (in_head && bad_at > 0 && !conn->closing)
        (void)http_parser_execute(&conn->parser, &parser_settings, data, bad_at);
    if (conn->closing)
        return;
    if (conn->error_status == 0) {
        conn->error_status = api_error_status(API_ERR_BAD_REQUEST);
        conn->error_code = API_ERR_BAD_REQUEST;
    }
    answer_parse_error(conn);
}

static ssize_t feed(http_conn_t *conn, const char *data, size_t len)
{
    if (conn->req == NULL && len > 0) {
        http__conn_idle_unlink(conn);
        if (conn->fake_out == NULL)
            arm_header_timer(conn);
    }
    size_t bad_at;
    if (http__strict_scan(&conn->strict, data, len, &bad_at) != HTTP_STRICT_OK) {
        refuse_strict(conn, data, bad_at);
        return -1;
    }
    if (!conn->line_seen)
        capture_request_line(conn, data, len);
    size_t n = http_parser_execute(&conn->parser, &parser_settings, data, len);
    if (conn->closing)
        return -1;
    enum http_errno err = HTTP_PARSER_ERRNO(&conn->parser);
    if (err == HPE_PAUSED) {
        http_parser_pause(&conn->parser, 0);
        /* http-parser stops just after the byte that completed the message,
         * or just before the LF that ends a head with a body. */
    } else if (err != HPE_OK || (n != len && !conn->message_ready && !conn->head_ready)) {
        answer_parse_error(conn);
        return -1;
    }
    if (conn->head_ready)
        dispatch_head(conn);
    else if (conn->message_ready)
        dispatch(conn);
    return (ssize_t)n;
}

/* After the client half-closed, once every complete request it sent has been
 * answered: close when the answers are written. A request left incomplete
 * can never finish, so it is dropped with the connection. */
static void settle_eof(http_conn_t *conn)
{
    if (conn->req != NULL || conn->pending_in.len > 0 || conn->write_pending_bytes == 0) {
        http__conn_close(conn);
        return;
    }
    conn->close_after_write = true; /* on_write finishes the connection */
}

/* ---- fairness between connections ------------------------------------- */

static void on_turn(uv_idle_t *idle)
{
    http_server_t *server = container_of(idle, http_server_t, turn_idle);
    http_conn_t *list = server->deferred;
    server->deferred = NULL;
    uv_idle_stop(idle);
    while (list != NULL) {
        http_conn_t *conn = list;
        list = conn->next_deferred;
        conn->deferred = false;
        conn->next_deferred = NULL;
        if (!conn->closing)
            drive(conn); /* may defer it again, onto server->deferred */
    }
}

/* Leaves the rest of conn's pipelined requests to the next loop turn. */
static void defer(http_conn_t *conn)
{
    http_server_t *server = conn->server;
    if (conn->deferred)
        return;
    if (!server->turn_idle_ready) {
        uv_idle_init(server->loop, &server->turn_idle);
        server->turn_idle_ready = true;
    }
    conn->deferred = true;
    conn->next_deferred = server->deferred;
    server->deferred = conn;
    uv_idle_start(&server->turn_idle, on_turn);
}

/* Takes conn off the deferred list (it is closing). */
static void undefer(http_conn_t *conn)
{
    if (!conn->deferred)
        return;
    http_conn_t **link = &conn->server->deferred;
    while (*link != NULL && *link != conn)
        link = &(*link)->next_deferred;
    if (*link == conn)
        *link = conn->next_deferred;
    conn->deferred = false;
    conn->next_deferred = NULL;
}

/* Parses what is pending, one request at a time, while the connection is
 * free to take the next one, at most HTTP_MAX_REQUESTS_PER_TURN per call on
 * a real connection. The parser reads pending_in in place: nothing appends to
 * it or moves it while a request is parsed and dispatched (input arrives only
 * through on_read, which cannot run meanwhile). */
static void drive(http_conn_t *conn)
{
    if (conn->in_drive || conn->upgraded)
        return;
    conn->in_drive = true;
    int budget = HTTP_MAX_REQUESTS_PER_TURN;
    while (!conn->closing && !conn->busy && !conn->close_after_write && may_parse(conn) &&
           conn->pending_in.len > 0) {
        if (budget-- == 0 && conn->fake_out == NULL) {
            defer(conn);
            break;
        }
        ssize_t n = feed(conn, conn->pending_in.data, conn->pending_in.len);
        if (n < 0 || conn->closing)
            break;
        buf_consume(&conn->pending_in, (size_t)n);
        if (n == 0)
            break;
    }
    /* A body not admitted yet is not read (early answers, MAX_BODY_MEMORY). */
    bool body_held = conn->busy && conn->req != NULL && conn->req->state->body_unread;
    bool can_read = !conn->closing && !conn->close_after_write && !conn->lingering &&
                    !conn->read_eof && conn->pending_in.len < HTTP_PENDING_IN_MAX &&
                    conn->write_pending_bytes < HTTP_WRITE_HIGH_WATER && !body_held &&
                    !(http__conn_reads_ahead(conn) && http__buffers_full(conn->server));
    if (can_read)
        http__conn_start_reading(conn);
    else if (!conn->closing)
        http__conn_stop_reading(conn);
    if (conn->pending_in.len == 0 && conn->pending_in.data != NULL && !conn->busy)
        buf_free(&conn->pending_in); /* an idle connection holds no buffer */
    http__conn_count_pending_in(conn);
    conn->in_drive = false;
    if (conn->read_eof && !conn->closing && !conn->busy && !conn->deferred &&
        conn->write_pending_bytes < HTTP_WRITE_HIGH_WATER)
        settle_eof(conn);
}

static void handle_input(http_conn_t *conn, const char *data, size_t len)
{
    if (conn->busy || conn->pending_in.len > 0 || conn->in_drive) {
        if (buf_append(&conn->pending_in, data, len) != 0) {
            /* Cannot happen: reading stops before the cap. */
            http__conn_close(conn);
            return;
        }
        http__conn_count_pending_in(conn);
        if (conn->pending_in.len >= HTTP_PENDING_IN_MAX)
            http__conn_stop_reading(conn);
        /* A deferred connection waits for its next turn. */
        if (!conn->busy && !conn->deferred)
            drive(conn);
        return;
    }
    conn->in_drive = true;
    ssize_t n = feed(conn, data, len);
    conn->in_drive = false;
    if (n < 0 || conn->closing)
        return;
    if ((size_t)n < len && !conn->close_after_write)
        (void)buf_append(&conn->pending_in, data + n, len - (size_t)n);
    drive(conn);
}

/* ---- what the connection layer (conn.c) tells the HTTP protocol ---------- */

void http__protocol_input(http_conn_t *conn, const char *data, size_t len)
{
    handle_input(conn, data, len);
}

void http__protocol_eof(http_conn_t *conn)
{
    /* The requests it pipelined before are answered (drive() settles the
     * connection once they are), then the connection closes. */
    if (!conn->busy && !conn->in_drive)
        drive(conn);
}

void http__protocol_writable(http_conn_t *conn)
{
    drive(conn);
}

void http__protocol_detach(http_conn_t *conn)
{
    if (conn->waiting_for_memory) {
        /* No handler holds a request waiting for memory: free it here. */
        memory_unqueue(conn);
        conn->busy = false;
    }
    if (conn->req != NULL) {
        if (conn->busy) {
            conn->req->state->conn = NULL; /* the handler will free it */
        } else {
            request_free(conn->req);
        }
        conn->req = NULL;
    }
    undefer(conn);
    memory_unqueue(conn);
}

void http__on_timer(uv_timer_t *timer)
{
    http_conn_t *conn = container_of(timer, http_conn_t, timer);
    uint8_t kind = conn->timer_kind;
    conn->timer_kind = TIMER_NONE;
    if (conn->lingering || conn->closing) {
        http__conn_close(conn);
        return;
    }
    if (conn->upgraded) {
        /* The protocol keeps its own time; this timer only bounds a close
         * whose last writes the client does not read (http_stream_end). */
        if (conn->close_after_write)
            http__conn_close(conn);
        return;
    }
    if (kind == TIMER_MEMORY_WAIT) {
        if (conn->waiting_for_memory)
            refuse_for_memory(conn);
        return;
    }
    if (conn->write_pending_bytes > 0 && !conn->busy) {
        /* A client that does not read its answers. */
        http__conn_close(conn);
        return;
    }
    if (kind == TIMER_BODY && conn->req != NULL && !conn->busy) {
        check_body_progress(conn);
        return;
    }
    if (conn->req != NULL && !conn->busy) {
        /* Headers did not arrive in time (slowloris). */
        http__conn_stop_reading(conn);
        buf_clear(&conn->pending_in);
        respond_client_error(conn, API_ERR_REQUEST_TIMEOUT);
        return;
    }
    if (!conn->busy)
        http__conn_close(conn); /* idle keep-alive, or silent since the accept */
}

/* ---- access hooks ------------------------------------------------------- */

int http_server_on_access(http_server_t *server, http_access_fn fn, void *user_data)
{
    if (server->access_hook_count == HTTP_MAX_ACCESS_HOOKS || fn == NULL)
        return -1;
    server->access_hooks[server->access_hook_count].fn = fn;
    server->access_hooks[server->access_hook_count].user_data = user_data;
    server->access_hook_count++;
    return 0;
}

void http__run_access_hooks(http_server_t *server, const http_request_t *req, int status,
                            size_t body_bytes, double duration_ms)
{
    for (size_t i = 0; i < server->access_hook_count; i++)
        server->access_hooks[i].fn(req, status, body_bytes, duration_ms,
                                   server->access_hooks[i].user_data);
}

/* ---- upgrades (http/upgrade.h) ------------------------------------------ */

http_stream_t *http__conn_upgrade(http_request_t *req, char *head, size_t head_len,
                                  const http_upgrade_ops_t *ops, void *user_data)
{
    http_conn_t *conn = req->state->conn;
    http_server_t *server = req->server;
    if (server != NULL) {
        server->stats.requests_total++;
        http__run_access_hooks(server, req, 101, 0,
                               (double)(clock_now_us() - req->start_us) / 1000.0);
    }
    if (conn == NULL || conn->closing || conn->fake_out != NULL) {
        free(head);
        if (conn != NULL && conn->req == req) {
            conn->busy = false;
            conn->req = NULL;
        }
        request_free(req);
        return NULL;
    }
    conn->busy = false;
    conn->req = NULL;
    request_free(req);
    undefer(conn);
    http__conn_idle_unlink(conn);
    http__conn_disarm_timer(conn);
    http__conn_stop_reading(conn);
    /* The head first: if the client is gone already, the connection closes
     * as an HTTP one and the protocol never hears of it. */
    if (http__conn_write(conn, head, head_len, NULL) != 0)
        return NULL;
    /* From here the connection is I/O only: no parser state, no idle timer,
     * never evicted as idle. Reading waits for http_stream_start(). */
    conn->upgraded = true;
    conn->upgrade_ops = ops;
    conn->upgrade_data = user_data;
    return conn;
}

/* ---- accepting --------------------------------------------------------- */

static void conn_init_common(http_conn_t *conn, http_server_t *server)
{
    conn->server = server;
    http_parser_init(&conn->parser, HTTP_REQUEST);
    conn->parser.data = conn;
    buf_init(&conn->pending_in, HTTP_PENDING_IN_MAX + HTTP_READ_BUFFER_BYTES);
    conn->next = server->conns;
    if (server->conns != NULL)
        server->conns->prev = conn;
    server->conns = conn;
    server->stats.connections_open++;
    server->stats.connections_total++;
}

/* MAX_CONNECTIONS_PER_IP: counts conn against its peer address, unless the
 * peer is a trusted proxy (with TRUST_PROXY=true or a hop count every peer
 * is one: the balancer). False when the address has its share open. */
static bool peer_admitted(http_conn_t *conn)
{
    http_server_t *server = conn->server;
    const trust_proxy_t *tp = &server->config->trust_proxy;
    if (tp->mode == TRUST_PROXY_ALL || tp->mode == TRUST_PROXY_HOPS)
        return true;
    netaddr_t addr;
    if (netaddr_parse(conn->peer_ip, strlen(conn->peer_ip), &addr) != 0)
        return true; /* no address to count (cannot happen on TCP) */
    for (size_t i = 0; i < tp->range_count; i++) {
        if (netaddr_cidr_contains(&tp->ranges[i], &addr))
            return true;
    }
    conn->peer = http__peers_acquire(&server->peers, &addr,
                                     (uint32_t)server->config->max_connections_per_ip);
    return conn->peer != NULL;
}

static void on_refused_close(uv_handle_t *handle)
{
    free(handle);
}

static void on_connection(uv_stream_t *listener, int status)
{
    http_server_t *server = listener->data;
    if (status < 0) {
        log_warn("accept failed", "error", json_string(uv_strerror(status)), NULL);
        return;
    }
    /* At the limit a newcomer takes the place of the connection idle the
     * longest; only when none is idle is it turned away. */
    if (server->stats.connections_open >= (uint64_t)server->config->max_connections &&
        !server->draining)
        (void)http__evict_idle(server);
    if (server->stats.connections_open >= (uint64_t)server->config->max_connections ||
        server->draining) {
        /* Accept and close at once: leaving it in the backlog would make the
         * client wait instead of failing over. */
        uv_tcp_t *refused = xmalloc(sizeof(*refused));
        uv_tcp_init(server->loop, refused);
        if (uv_accept(listener, (uv_stream_t *)refused) == 0)
            server->stats.connections_refused++;
        uv_close((uv_handle_t *)refused, on_refused_close);
        return;
    }
    http_conn_t *conn = xcalloc(1, sizeof(*conn));
    uv_tcp_init(server->loop, &conn->tcp);
    uv_timer_init(server->loop, &conn->timer);
    conn->tcp.data = conn;
    conn->timer.data = conn;
    conn_init_common(conn, server);
    if (uv_accept(listener, (uv_stream_t *)&conn->tcp) != 0) {
        http__conn_close(conn);
        return;
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    struct sockaddr_storage peer;
    int peer_len = sizeof(peer);
    snprintf(conn->peer_ip, sizeof(conn->peer_ip), "0.0.0.0");
    if (uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)&peer, &peer_len) == 0) {
        if (peer.ss_family == AF_INET)
            uv_ip4_name((struct sockaddr_in *)&peer, conn->peer_ip, sizeof(conn->peer_ip));
        else if (peer.ss_family == AF_INET6)
            uv_ip6_name((struct sockaddr_in6 *)&peer, conn->peer_ip, sizeof(conn->peer_ip));
        /* An IPv4 client on a dual-stack socket appears as ::ffff:a.b.c.d. */
        if (strncmp(conn->peer_ip, "::ffff:", 7) == 0 && strchr(conn->peer_ip, '.') != NULL)
            memmove(conn->peer_ip, conn->peer_ip + 7, strlen(conn->peer_ip + 7) + 1);
    }
    if (!peer_admitted(conn)) {
        server->stats.connections_refused_per_ip++;
        http__conn_close(conn);
        return;
    }
    /* The header timer starts now: a connection that stays silent is closed
     * when it ends, not after the idle timeout. */
    http__conn_arm_timer(conn, TIMER_HEADER, (uint64_t)server->config->http_header_timeout_ms);
    http__conn_idle_link(conn);
    http__conn_start_reading(conn);
}

/* ---- the server -------------------------------------------------------- */

static void init_parser_settings(void)
{
    memset(&parser_settings, 0, sizeof(parser_settings));
    parser_settings.on_message_begin = on_message_begin;
    parser_settings.on_url = on_url;
    parser_settings.on_header_field = on_header_field;
    parser_settings.on_header_value = on_header_value;
    parser_settings.on_headers_complete = on_headers_complete;
    parser_settings.on_body = on_body;
    parser_settings.on_message_complete = on_message_complete;
    /* Our own 16 KiB limit answers 431; http-parser's must sit above it. */
    http_parser_set_max_header_size(4 * HTTP_MAX_HEADER_BYTES);
}

http_server_t *http_server_new(uv_loop_t *loop, const http_server_opts_t *opts)
{
    init_parser_settings();
    http_server_t *server = xcalloc(1, sizeof(*server));
    server->loop = loop;
    server->config = opts->config;
    server->router = opts->router;
    server->app = opts->app;
    if (opts->on_access != NULL)
        (void)http_server_on_access(server, opts->on_access, opts->access_user_data);
    http__peers_init(&server->peers, (size_t)opts->config->max_connections);
    return server;
}

void http_server_use(http_server_t *server, http_middleware_fn middleware)
{
    if (server->middleware_count == HTTP_MAX_MIDDLEWARE)
        abort(); /* a programming error: raise HTTP_MAX_MIDDLEWARE */
    server->middleware[server->middleware_count++] = middleware;
}

int http_server_listen(http_server_t *server, const char *host, int port)
{
    struct sockaddr_storage addr;
    int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc != 0)
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr);
    if (rc != 0)
        return rc;
    uv_tcp_init(server->loop, &server->listener);
    server->listener.data = server;
    server->listening = true;
    rc = uv_tcp_bind(&server->listener, (struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&server->listener, 1024, on_connection);
    return rc;
}

static void on_listener_closed(uv_handle_t *handle)
{
    (void)handle;
}

void http_server_drain(http_server_t *server, void (*on_drained)(http_server_t *server))
{
    server->draining = true;
    server->on_drained = on_drained;
    if (server->listening) {
        server->listening = false;
        uv_close((uv_handle_t *)&server->listener, on_listener_closed);
    }
    /* Idle connections go now; busy ones after their answer, which carries
     * Connection: close because the server is draining; one still writing
     * its last answer closes when the write completes. */
    http_conn_t *conn = server->conns;
    while (conn != NULL) {
        http_conn_t *next = conn->next;
        if (conn->upgraded) {
            if (conn->upgrade_ops != NULL && conn->upgrade_ops->on_shutdown != NULL)
                conn->upgrade_ops->on_shutdown(conn, conn->upgrade_data);
            else
                http__conn_close(conn);
        } else if (!conn->busy && conn->req == NULL) {
            if (conn->write_pending_bytes == 0)
                http__conn_close(conn);
            else
                conn->close_after_write = true;
        }
        conn = next;
    }
    /* With nothing left open, no close callback will report the end. */
    if (server->conns == NULL && server->on_drained != NULL) {
        void (*cb)(http_server_t *) = server->on_drained;
        server->on_drained = NULL;
        cb(server);
    }
}

void http_server_close_all(http_server_t *server)
{
    if (server->listening) {
        server->listening = false;
        uv_close((uv_handle_t *)&server->listener, on_listener_closed);
    }
    while (server->conns != NULL)
        http__conn_close(server->conns);
}

void http_server_free(http_server_t *server)
{
    http__peers_free(&server->peers);
    free(server);
}

void http_server_get_stats(const http_server_t *server, http_server_stats_t *out)
{
    *out = server->stats;
    out->body_memory_bytes = server->body_memory_bytes;
    out->pipelined_bytes = server->pipelined_bytes;
    out->queued_write_bytes = server->queued_write_bytes;
}

char *http_server_feed_fake(http_server_t *server, const void *data, size_t len, size_t *out_len)
{
    buf_t out;
    buf_init(&out, 64 * 1024 * 1024);
    http_conn_t *conn = xcalloc(1, sizeof(*conn));
    conn->fake_out = &out;
    conn_init_common(conn, server);
    snprintf(conn->peer_ip, sizeof(conn->peer_ip), "127.0.0.1");
    handle_input(conn, data, len);
    if (!conn->closing) {
        /* End of input: a request still in progress is abandoned. */
        http__conn_close(conn);
    }
    buf_free(&conn->pending_in);
    free(conn);
    return buf_steal(&out, out_len);
}
