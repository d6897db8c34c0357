/* Routing: method + path templates with typed parameters.
 *
 * A template is a path whose segments are literal or "{name}"; a parameter
 * matches only a positive decimal integer that fits in int64 (API.md: any other
 * id is 404). Literal segments win over parameters at the same depth, so
 * "/api/ads/featured" and "/api/ads/{id}" coexist. A path that matches a
 * template under another method is 405 with an Allow header.
 *
 * A template ending in "/\*" is a prefix route: "/assets/\*" holds "/assets"
 * and every path under "/assets/", at any depth, and hands the handler the
 * rest of the path (req->path_rest); "/\*" holds every path. Prefix routes
 * are consulted only when no full template matches the path (under any
 * method), and the longest prefix wins; 405 works among the routes of that
 * prefix as it does among templates. A reserved prefix ("/api") is never
 * reached by a shorter prefix route, so the web app's catch-all "/\*" leaves
 * "/api/nothing" a 404. */
#ifndef RURAL24_HTTP_ROUTER_H
#define RURAL24_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

typedef void (*http_handler_fn)(http_request_t *req);

/* Which rate-limit class a route counts against (the store layer defines the
 * numbers). RATE_CLASS_DEFAULT means "read for GET/HEAD, write otherwise" for
 * paths under /api. */
typedef enum {
    HTTP_RATE_DEFAULT = 0,
    HTTP_RATE_NONE,
    HTTP_RATE_READ,
    HTTP_RATE_WRITE,
    HTTP_RATE_AUTH,
    HTTP_RATE_MESSAGE, /* chat sends: the ws_message class, shared with WebSocket sends */
} http_rate_class_t;

typedef enum {
    HTTP_AUTH_NONE = 0,
    HTTP_AUTH_OPTIONAL,
    HTTP_AUTH_REQUIRED,
    HTTP_AUTH_ADMIN
} http_auth_t;

typedef enum {
    HTTP_BODY_NONE = 0, /* any body is read and ignored (up to the limit) */
    HTTP_BODY_JSON,     /* a body must be application/json, else 415 */
    HTTP_BODY_RAW,      /* any content type (images) */
} http_body_kind_t;

/* API.md's body limits. A route that does not declare one gets its kind's:
 * NONE 1 KiB (read and ignored), JSON 64 KiB, RAW 5 MiB. */
enum {
    HTTP_BODY_LIMIT_NONE = 1024,
    HTTP_BODY_LIMIT_AUTH = 16 * 1024, /* auth and profile bodies */
    HTTP_BODY_LIMIT_JSON = 64 * 1024,
    HTTP_BODY_LIMIT_IMAGE = 5 * 1024 * 1024,
};

typedef struct {
    size_t body_limit_bytes; /* 0: the limit of body_kind (above) */
    http_body_kind_t body_kind;
    http_rate_class_t rate_class;
    http_auth_t auth;
    /* With HTTP_AUTH_OPTIONAL: a token that fails does not end the request;
     * the handler runs anonymous and can read why (logout must still work
     * with an expired access token and a refresh token). */
    bool auth_soft;
} http_route_opts_t;

/* The limit of a path no route matches (answered 404/405 before its body). */
enum { HTTP_DEFAULT_BODY_LIMIT = HTTP_BODY_LIMIT_NONE };

struct http_route_s {
    http_method_t method;
    char *template_path;
    http_handler_fn handler;
    http_route_opts_t opts;
    size_t index; /* 0, 1, 2... in registration order (metrics label their series by it) */
};

typedef struct http_router_s http_router_t;

/* The router owns its routes; free with http_router_free(). */
http_router_t *http_router_new(void);
void http_router_free(http_router_t *router);

/* Registers a route (a template, or a prefix route ending in "/\*"). opts may
 * be NULL. 0, or -1 for a malformed template or a duplicate (a programming
 * error: main aborts on it). */
int http_router_add(http_router_t *router, http_method_t method, const char *template_path,
                    http_handler_fn handler, const http_route_opts_t *opts);

/* Reserves a path prefix ("/api": that path and those under "/api/") for full
 * templates and prefix routes at or under it: a shorter prefix route never
 * answers there. 0, or -1 when malformed or when too many are reserved. */
int http_router_reserve(http_router_t *router, const char *prefix);

typedef enum {
    HTTP_ROUTE_FOUND,
    HTTP_ROUTE_NOT_FOUND,
    HTTP_ROUTE_METHOD_NOT_ALLOWED
} http_route_result_t;

typedef struct {
    http_route_result_t result;
    const http_route_t *route; /* HTTP_ROUTE_FOUND */
    int64_t params[HTTP_MAX_PATH_PARAMS];
    size_t param_count;
    bool prefix;        /* found by a prefix route */
    size_t rest_offset; /* then the rest of the path starts at path + rest_offset */
    char allow[96];     /* HTTP_ROUTE_METHOD_NOT_ALLOWED: "GET, HEAD" */
} http_route_match_t;

/* Matches a path (without query string). HEAD matches GET routes. */
void http_router_match(const http_router_t *router, http_method_t method, const char *path,
                       size_t path_len, http_route_match_t *out);

/* Parses a path id: a positive decimal integer fitting in int64, no sign, no
 * leading zeros beyond "0" (which is not positive). 0 or -1. */
int http_parse_id(const char *text, size_t len, int64_t *out);

const char *http_method_name(http_method_t method);

/* How many routes, and route i (0 <= i < count), for those who label by
 * route (metrics). */
size_t http_router_count(const http_router_t *router);
const http_route_t *http_router_route(const http_router_t *router, size_t i);

#endif
