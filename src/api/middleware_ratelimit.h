/* The rate-limit middleware and the helpers handlers use to apply a limit of
 * their own (login and register per email, WebSocket messages).
 *
 * Which class a request counts against comes from its route
 * (http_route_opts_t.rate_class): HTTP_RATE_NONE is never limited (health,
 * readiness, metrics); HTTP_RATE_AUTH counts against auth_ip; HTTP_RATE_DEFAULT
 * means read for GET and HEAD, write otherwise, for every path under /api —
 * including paths that match no route (404, 405), so probing for routes costs
 * quota too. Paths outside /api without a class are not limited.
 *
 * The key is "u:<id>" when the request is authenticated (req->user_id set by an
 * auth middleware installed before this one), else the client address
 * (req->client_ip, already resolved through TRUST_PROXY): "ip:<IPv4>", or
 * "ip6:<first 64 bits>" so that a host cannot rotate through its /64 to get a
 * fresh limit per address. The auth class always keys by address.
 *
 * Every limited answer carries RateLimit-Limit, RateLimit-Remaining and
 * RateLimit-Reset; a refusal is 429 rate_limited with Retry-After (seconds,
 * rounded up). With RATE_LIMIT_DRY_RUN=true refusals are logged and the
 * request goes on.
 *
 * One set of headers per response: routes of HTTP_RATE_AUTH apply a second
 * limit in their handler (per email), so for them the middleware adds the
 * headers only when it refuses; the handler adds those of its own decision,
 * most simply through api_ratelimit_apply(). (The http layer has no way to
 * replace a header once added.) */
#ifndef RURAL24_API_MIDDLEWARE_RATELIMIT_H
#define RURAL24_API_MIDDLEWARE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"
#include "store/ratelimit.h"

/* The middleware; install with http_server_use(server, api_ratelimit_middleware)
 * after the auth middleware, if any. Uses app_t.ratelimit; passes everything
 * through when it is NULL. */
void api_ratelimit_middleware(http_request_t *req);

enum { API_RATELIMIT_KEY_MAX = 64 };

/* Writes the key of req's client into out (at least API_RATELIMIT_KEY_MAX
 * bytes): "u:<id>" when authenticated, else the address key. Returns its
 * length. */
size_t api_ratelimit_client_key(const http_request_t *req, char *out, size_t size);

/* Writes the address key of client_ip into out: "ip:<IPv4>" or
 * "ip6:<16 hex digits>" (the /64). An unparsable address is kept as given
 * ("ip:" + text). Returns its length. */
size_t api_ratelimit_address_key(const char *client_ip, char *out, size_t size);

/* Adds the RateLimit-Limit, -Remaining and -Reset headers for result. */
void api_ratelimit_headers(http_request_t *req, const ratelimit_result_t *result);

/* Ends req with 429 rate_limited: the RateLimit headers (Remaining 0) and
 * Retry-After. */
void api_ratelimit_refuse(http_request_t *req, const ratelimit_result_t *result);

/* Continues a request once api_ratelimit_apply() let it through. */
typedef void (*api_ratelimit_next_fn)(http_request_t *req, void *user_data);

/* For a handler's own limit (login and register per email): counts key
 * against cls; a refusal (unless RATE_LIMIT_DRY_RUN) ends req with 429 and
 * next never runs; otherwise the RateLimit headers of this decision are added
 * and next(req, user_data) runs — at once with the memory store, after a round
 * trip with Redis. Returns 0, or RATELIMIT_E_INVALID (bad key; nothing done,
 * next not called). */
int api_ratelimit_apply(http_request_t *req, ratelimit_class_t cls, const char *key, size_t key_len,
                        api_ratelimit_next_fn next, void *user_data);

/* api_ratelimit_apply() with another operation: RATELIMIT_PEEK decides as a
 * count would without counting (limits of failures, counted afterwards with
 * ratelimit_apply()). */
int api_ratelimit_apply_op(http_request_t *req, ratelimit_class_t cls, ratelimit_op_t op,
                           const char *key, size_t key_len, api_ratelimit_next_fn next,
                           void *user_data);

/* Applies RATE_LIMIT_DRY_RUN to a refusal: when dry run is on, logs it (with
 * the class and key) and returns false — let the request through; otherwise
 * returns true — refuse it. */
bool api_ratelimit_should_refuse(const http_request_t *req, ratelimit_class_t cls, const char *key,
                                 size_t key_len);

#endif
