/* Internals shared by the files of the http layer (libuv's uv__ rule): the
 * connection, the per-request state, and the steps of the request pipeline.
 * Nothing outside src/http includes this file. */
#ifndef RURAL24_HTTP_INTERNAL_H
#define RURAL24_HTTP_INTERNAL_H

#include <http_parser.h>
#include <uv.h>

#include "core/buf.h"
#include "core/errors.h"
#include "http/request.h"
#include "http/router.h"
#include "http/peers.h"
#include "http/server.h"
#include "http/strict.h"

typedef struct http_conn_s http_conn_t;

enum {
    HTTP_PENDING_IN_MAX = 64 * 1024, /* unparsed pipelined input kept per connection */
    HTTP_READ_BUFFER_BYTES = 64 * 1024,
    HTTP_READ_WHEN_FULL_BYTES = 4 * 1024, /* a read while MAX_BODY_MEMORY is full */
    HTTP_LINGER_MS = 2000,
};

/* What a connection's one timer measures. */
enum {
    TIMER_NONE = 0,
    TIMER_IDLE,        /* keep-alive between requests */
    TIMER_HEADER,      /* request line and headers (from the accept for the first) */
    TIMER_BODY,        /* the body's pauses and rate */
    TIMER_MEMORY_WAIT, /* a body waiting for room under MAX_BODY_MEMORY */
    TIMER_LINGER,      /* discarding input after a closing answer */
};

typedef struct {
    char *name;
    char *value;
} http__resp_header_t;

/* What the http layer keeps per request besides the public fields. Lives in
 * the request's arena. */
struct http__request_state_s {
    http_conn_t *conn; /* NULL once the client is gone */
    http_route_match_t match;
    http__resp_header_t *resp_headers;
    size_t resp_header_count;
    size_t resp_header_capacity;
    size_t middleware_index;
    bool keep_alive;    /* what the client asked for */
    bool body_expected; /* the request had a body (Content-Length > 0 or chunked) */
    /* The body is still unread: the head went through the middleware first
     * (early answers). An answer now closes the connection afterwards. */
    bool body_unread;
    bool head_done;        /* middleware and route checks passed */
    size_t body_reserved;  /* bytes of MAX_BODY_MEMORY held for this body */
    uint64_t body_wait_ms; /* when the body started waiting for memory */
    const char *origin;    /* the Origin header when it is FRONTEND_URL */
    /* Header accumulation while parsing. */
    buf_t url;
    buf_t field;
    buf_t value;
    bool last_was_value;
    size_t header_capacity;
};

/* Every connection of a server is on its list, so drain and close-all can
 * reach them. */
struct http_conn_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    http_parser parser;
    http_server_t *server;
    http_conn_t *prev, *next;

    http_request_t *req;        /* being parsed or handled; NULL between requests */
    buf_t pending_in;           /* received but not yet parsed (pipelining) */
    size_t pending_in_counted;  /* pending_in's capacity as counted in the server's total */
    size_t header_bytes;        /* request line + headers so far */
    size_t write_pending_bytes; /* handed to uv_write, not yet written */
    int close_handles;          /* handles still to close before freeing */
    char peer_ip[48];
    /* The last bytes of the request line, to check its protocol token
     * ourselves: Debian's http-parser is built without strict checks and
     * would take "HTTX/1.1" for "HTTP/1.1". */
    char line_tail[12];
    uint8_t line_tail_len;
    bool line_seen; /* the request line's LF has been fed */

    bool message_ready; /* the parser completed a message: dispatch it */
    bool head_ready;    /* the parser paused after a head with a body: dispatch the head */
    bool deferred;      /* on the server's list of connections to drive next turn */
    http_conn_t *next_deferred;
    bool busy;     /* a request is dispatched and not yet answered */
    bool in_drive; /* inside drive(): do not re-enter */
    bool reading;
    bool read_eof; /* the client half-closed: answer what it sent, then close */
    bool closing;
    bool close_after_write; /* Connection: close was sent */
    bool lingering;         /* error answered; discarding input until close */
    int error_status;       /* set by a parser callback before it fails */
    api_error_t error_code;

    buf_t *fake_out; /* fuzz/unit transport: writes land here */

    /* After http_respond_upgrade(): the bytes go to another protocol. */
    bool upgraded;
    const struct http_upgrade_ops_s *upgrade_ops;
    void *upgrade_data;

    /* The read side's budgets (server.c "Budgets"). */
    http_strict_t strict;    /* the strict-HTTP scanner (strict.h) */
    uint8_t timer_kind;      /* what conn->timer is measuring now */
    bool in_idle_list;       /* evictable: no request, nothing to write */
    bool waiting_for_memory; /* on the server's MAX_BODY_MEMORY queue */
    http_conn_t *idle_prev, *idle_next;
    http_conn_t *memory_next; /* MAX_BODY_MEMORY wait queue */
    http_peer_t *peer;        /* MAX_CONNECTIONS_PER_IP entry, or NULL (exempt) */
    uint64_t window_start_ms; /* HTTP_BODY_MIN_RATE window */
    uint64_t window_bytes;
    uint64_t last_body_ms;
};

struct http_server_s {
    uv_loop_t *loop;
    uv_tcp_t listener;
    bool listening;
    const config_t *config;
    http_router_t *router;
    void *app;
    struct {
        http_access_fn fn;
        void *user_data;
    } access_hooks[HTTP_MAX_ACCESS_HOOKS];
    size_t access_hook_count;
    http_middleware_fn middleware[HTTP_MAX_MIDDLEWARE];
    size_t middleware_count;
    http_conn_t *conns; /* list head */
    bool draining;
    void (*on_drained)(http_server_t *server);
    http_server_stats_t stats;
    /* Connections with pipelined requests left over from a turn that hit
     * HTTP_MAX_REQUESTS_PER_TURN; an idle handle drives them next turn
     * (initialised on first use). */
    uv_idle_t turn_idle;
    bool turn_idle_ready;
    http_conn_t *deferred;
    /* Budgets: connections idle longest first (evicted near
     * MAX_CONNECTIONS), connections per address, body bytes in memory and
     * the bodies waiting for room. */
    http_conn_t *idle_head, *idle_tail;
    http_peers_t peers;
    uint64_t body_memory_bytes;
    /* Read ahead (pending_in capacities) and answers queued for slow readers:
     * with the bodies, under MAX_BODY_MEMORY (server.c "Budgets"). */
    uint64_t pipelined_bytes;
    uint64_t queued_write_bytes;
    http_conn_t *memory_wait_head, *memory_wait_tail;
    char date[40]; /* cached Date header value */
    uint64_t date_second;
};

/* middleware.c: the built-in steps. */
void http__assign_request_id(http_request_t *req);
void http__resolve_client_ip(http_request_t *req, const char *peer_ip, const config_t *config);
/* Sets state->origin when the request's Origin is FRONTEND_URL. */
void http__cors_check(http_request_t *req, const config_t *config);
/* Answers a CORS preflight; true when the request was one. */
bool http__cors_preflight(http_request_t *req);
/* Appends the security, request id and CORS headers to a response head. */
int http__append_standard_headers(buf_t *head, const http_request_t *req);

/* request.c: true when every name and value of the query string decodes to
 * valid UTF-8 without NUL. */
bool http__query_valid(http_request_t *req);

/* server.c: hands a finished response to the connection. Takes ownership of
 * data (the malloc'd head, with the body when it was copied in) and of body
 * (a body sent by reference, or NULL), released once written. */
/* A body sent by reference: written from where it lies, then released
 * (release may be NULL for static data). */
typedef struct {
    const char *data;
    size_t len;
    void (*release)(void *arg);
    void *arg;
} http__body_ref_t;

/* ---- conn.c: a connection's I/O, whatever its protocol ---- */

/* Releases a body sent by reference. */
void http__body_release(const http__body_ref_t *body);
/* Bodies, read-ahead and queued answers have reached MAX_BODY_MEMORY. */
bool http__buffers_full(const http_server_t *server);
/* What conn reads now would wait in pending_in rather than be parsed. */
bool http__conn_reads_ahead(const http_conn_t *conn);
/* Brings the server's read-ahead total up to date with conn's pending_in. */
void http__conn_count_pending_in(http_conn_t *conn);
/* The connection's one timer (kind: TIMER_*); it calls http__on_timer. */
void http__conn_arm_timer(http_conn_t *conn, uint8_t kind, uint64_t timeout_ms);
void http__conn_disarm_timer(http_conn_t *conn);
uint64_t http__conn_now_ms(const http_conn_t *conn);
/* The idle list (oldest first): evictable connections near MAX_CONNECTIONS. */
void http__conn_idle_link(http_conn_t *conn);
void http__conn_idle_unlink(http_conn_t *conn);
/* Between requests: the idle timer runs and the connection may be evicted. */
void http__conn_enter_idle(http_conn_t *conn);
/* Closes the connection idle the longest with nothing to write; true when
 * one was. */
bool http__evict_idle(http_server_t *server);
/* Closes now; freed once libuv has closed its handles. */
void http__conn_close(http_conn_t *conn);
/* After the last answer of a Connection: close exchange: shut the write side
 * down and discard input until the client closes or HTTP_LINGER_MS passes. */
void http__conn_finish(http_conn_t *conn);
/* Writes head (owned) then body (by reference, released once written): what
 * the kernel takes now is done, the rest queued. 0 or a libuv error (closed). */
int http__conn_write(http_conn_t *conn, char *head, size_t head_len, const http__body_ref_t *body);
void http__conn_start_reading(http_conn_t *conn);
void http__conn_stop_reading(http_conn_t *conn);

/* ---- server.c: the HTTP protocol, as the connection layer calls it ---- */

/* Bytes read (valid during the call). */
void http__protocol_input(http_conn_t *conn, const char *data, size_t len);
/* The client half-closed. */
void http__protocol_eof(http_conn_t *conn);
/* The write queue fell under HTTP_WRITE_HIGH_WATER. */
void http__protocol_writable(http_conn_t *conn);
/* The connection closes: let go of its request and queues. */
void http__protocol_detach(http_conn_t *conn);
/* The connection's timer fired. */
void http__on_timer(uv_timer_t *timer);

/* server.c: tells every access hook about a finished request. */
void http__run_access_hooks(http_server_t *server, const http_request_t *req, int status,
                            size_t body_bytes, double duration_ms);

/* server.c: hands req's connection to another protocol after writing head
 * (owned); see http/upgrade.h. */
struct http_upgrade_ops_s;
http_conn_t *http__conn_upgrade(http_request_t *req, char *head, size_t head_len,
                                const struct http_upgrade_ops_s *ops, void *user_data);

void http__conn_send_response(http_request_t *req, int status, char *data, size_t len,
                              const http__body_ref_t *body, size_t body_bytes);
/* The Date header value for now. */
const char *http__date(http_server_t *server);

#endif
