/* The HTTP/1.1 server on a libuv loop.
 *
 * Connections are read into one per-loop buffer (an idle connection holds no
 * read buffer), parsed incrementally, and answered in order: a connection
 * processes one request at a time, so pipelined requests queue up as unread
 * bytes and responses go out in request order. While a response is still
 * waiting for the kernel past HTTP_WRITE_HIGH_WATER bytes, the connection stops
 * reading: a client that never reads cannot make the server buffer without
 * bound.
 *
 * Each request goes through: limits and timeouts (431/414/413/408/400) →
 * request id → security headers → CORS (preflight answered here) → the
 * application's middleware chain (rate limit, auth) → the router's handler or
 * 404/405. */
#ifndef RURAL24_HTTP_SERVER_H
#define RURAL24_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "core/config.h"
#include "http/request.h"
#include "http/router.h"

enum {
    HTTP_MAX_HEADER_BYTES = 16 * 1024, /* request line + headers: over it, 431 */
    HTTP_MAX_URL_BYTES = 8 * 1024,     /* over it, 414 */
    HTTP_MAX_HEADERS = 100,
    HTTP_WRITE_HIGH_WATER = 256 * 1024,
    HTTP_MAX_MIDDLEWARE = 8,
    /* Pipelined requests answered per connection per loop turn; the rest
     * wait for the next turn, so one client cannot starve the others. */
    HTTP_MAX_REQUESTS_PER_TURN = 16,
    /* How long a body waits for room under MAX_BODY_MEMORY before 503. */
    HTTP_BODY_MEMORY_WAIT_MS = 5000,
};

/* A middleware step. It either answers the request (http_respond*) or calls
 * http_request_next(req) to continue, now or from a callback. */
typedef void (*http_middleware_fn)(http_request_t *req);

/* Continues a request with the next middleware, then the handler. */
void http_request_next(http_request_t *req);

/* Called once for each finished request, after its response was handed to the
 * socket (for the access log and metrics). */
typedef void (*http_access_fn)(const http_request_t *req, int status, size_t body_bytes,
                               double duration_ms, void *user_data);

enum { HTTP_MAX_ACCESS_HOOKS = 4 };

/* Adds an access hook (the access log, the metrics, the capacity advisor:
 * each layer registers its own, none reaches into another). 0, or -1 when
 * HTTP_MAX_ACCESS_HOOKS are taken (a programming error). */
int http_server_on_access(http_server_t *server, http_access_fn fn, void *user_data);

typedef struct {
    const config_t *config;   /* limits, timeouts, CORS origin, TRUST_PROXY */
    http_router_t *router;    /* borrowed */
    void *app;                /* handed to handlers as req->app */
    http_access_fn on_access; /* may be NULL: the first access hook */
    void *access_user_data;
} http_server_opts_t;

typedef struct {
    uint64_t connections_open;
    uint64_t connections_total;
    uint64_t connections_refused;        /* over MAX_CONNECTIONS */
    uint64_t connections_refused_per_ip; /* over MAX_CONNECTIONS_PER_IP */
    uint64_t connections_evicted;        /* idle ones closed for a newcomer */
    uint64_t body_memory_bytes;          /* request bodies held now */
    uint64_t body_memory_waits;          /* bodies that waited for room */
    uint64_t body_memory_refused;        /* 503 after waiting */
    uint64_t pipelined_bytes;            /* input read ahead of the requests handled */
    uint64_t queued_write_bytes;         /* answers waiting for slow readers */
    uint64_t read_ahead_stops;           /* reads put off because MAX_BODY_MEMORY was full */
    uint64_t bodies_too_slow;            /* 408 under HTTP_BODY_MIN_RATE */
    uint64_t strict_refused;             /* 400 under the strict HTTP rules */
    uint64_t requests_total;
    uint64_t requests_in_flight;
} http_server_stats_t;

/* Creates a server on loop; it does not listen yet. Never NULL. */
http_server_t *http_server_new(uv_loop_t *loop, const http_server_opts_t *opts);

/* Appends a middleware step (in order). */
void http_server_use(http_server_t *server, http_middleware_fn middleware);

/* Binds and listens on host:port. 0 or a negative libuv error. */
int http_server_listen(http_server_t *server, const char *host, int port);

/* Listens on an already-open socket or an in-process transport is not needed:
 * fuzzing goes through http_server_feed_fake(). */

/* The drain of a graceful shutdown: stops accepting, answers every further
 * request with Connection: close, closes idle connections at once and busy
 * ones when their response is written. on_drained fires once when no
 * connection is left (possibly at once). */
void http_server_drain(http_server_t *server, void (*on_drained)(http_server_t *server));

/* Closes every connection now, busy or not (the drain's timeout). */
void http_server_close_all(http_server_t *server);

/* Releases the server once every handle is closed. Call after the drain, then
 * run the loop until it has no handles. */
void http_server_free(http_server_t *server);

void http_server_get_stats(const http_server_t *server, http_server_stats_t *out);

/* For the fuzz target and unit tests: runs bytes through the same connection
 * code without a socket. Returns the bytes the server would have written, which
 * the caller frees with free(); *out_len receives their length. Handlers that
 * answer from a callback are answered only if the loop runs. */
char *http_server_feed_fake(http_server_t *server, const void *data, size_t len, size_t *out_len);

#endif
