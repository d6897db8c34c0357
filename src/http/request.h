/* The project's own request type: what a handler sees of an HTTP request.
 * http-parser stays behind this layer.
 *
 * A request and everything hanging off it (headers, path, query, params) live
 * in req->arena and die together when the response has been written, or when
 * the handler finishes after the client went away. A handler must end every
 * request with exactly one http_respond*() call (response.h), now or later from
 * a callback; until then the request stays valid even if the client
 * disconnects (http_request_is_aborted() tells). */
#ifndef RURAL24_HTTP_REQUEST_H
#define RURAL24_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"

typedef enum {
    HTTP_METHOD_GET,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_POST,
    HTTP_METHOD_PUT,
    HTTP_METHOD_PATCH,
    HTTP_METHOD_DELETE,
    HTTP_METHOD_OPTIONS,
    HTTP_METHOD_OTHER,
    HTTP_METHOD_COUNT
} http_method_t;

typedef struct {
    char *name;  /* as received; compare with strcasecmp */
    char *value; /* leading and trailing blanks removed */
} http_header_t;

enum { HTTP_MAX_PATH_PARAMS = 4, HTTP_REQUEST_ID_MAX = 64 };

typedef struct http_request_s http_request_t;
typedef struct http_route_s http_route_t;
typedef struct http_server_s http_server_t;

struct http_request_s {
    arena_t arena; /* request scratch: freed when the response is done */
    http_server_t *server;
    void *app; /* the server's user data (the application) */

    http_method_t method;
    const char *method_name; /* "GET", ... */
    char *path;              /* the URL path as sent, without the query string */
    char *query;             /* the raw query string without '?', or NULL */
    http_header_t *headers;
    size_t header_count;
    buf_t body; /* capped at the route's body limit */

    char request_id[HTTP_REQUEST_ID_MAX + 1];
    char client_ip[48]; /* after TRUST_PROXY; the peer address otherwise */

    /* Routing: set once the headers are complete. route is NULL for a 404 or
     * 405; path_params holds the route's typed {id} parameters in order. */
    const http_route_t *route;
    int64_t path_params[HTTP_MAX_PATH_PARAMS];
    size_t path_param_count;
    /* A prefix route's rest of the path, as sent ("/assets/\*" and
     * "/assets/app.js": "app.js"; "" for "/assets"); NULL otherwise. */
    const char *path_rest;

    /* Set by the auth middleware (later issues); 0 when anonymous. */
    int64_t user_id;
    void *auth; /* the middleware's own per-request state */

    uint64_t start_us; /* when the request line started arriving */

    /* internal to the http layer */
    struct http__request_state_s *state;
};

/* The value of the first header with this name (case-insensitive), or NULL. */
const char *http_request_header(const http_request_t *req, const char *name);

/* Looks up a query parameter by name and percent-decodes it into the arena.
 * NULL when absent. A parameter given as "?a" (no '=') yields "". */
const char *http_request_query(http_request_t *req, const char *name);

/* True once the client is gone; the handler still has to respond (the answer
 * is dropped), so that the request is released. */
bool http_request_is_aborted(const http_request_t *req);

/* Percent-decodes src[0..len) into the arena ('+' becomes a space when
 * plus_is_space). NULL when a %XX escape is malformed. */
char *http_percent_decode(arena_t *arena, const char *src, size_t len, bool plus_is_space,
                          size_t *out_len);

#endif
