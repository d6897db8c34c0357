/* The authentication middleware: reads "Authorization: Bearer <token>",
 * authenticates it through the session manager (auth/sessions.h) and sets
 * req->user_id, for routes whose http_route_opts_t.auth is not NONE.
 *
 *   HTTP_AUTH_NONE      the header is not read (health, login, register...).
 *   HTTP_AUTH_OPTIONAL  anonymous requests pass; a token, if sent, must be good.
 *   HTTP_AUTH_REQUIRED  401 unauthorized without a token.
 *   HTTP_AUTH_ADMIN     as REQUIRED, then 403 forbidden unless the user's role
 *                       (read from the database, so a promotion or demotion
 *                       counts at once) is admin.
 * A bad token is 401 unauthorized, an expired one 401 token_expired, one whose
 * session was revoked 401 token_revoked, each with WWW-Authenticate: Bearer.
 * Install it before the rate-limit middleware, which keys by user. */
#ifndef RURAL24_API_MIDDLEWARE_AUTH_H
#define RURAL24_API_MIDDLEWARE_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"

#include "http/request.h"

void api_auth_middleware(http_request_t *req);

/* The session id of an authenticated request (0 when anonymous or stateless). */
int64_t api_auth_session_id(const http_request_t *req);

/* On a route with auth_soft: true when a token was sent and did not
 * authenticate, with the error it would have had in *err. */
bool api_auth_failed(const http_request_t *req, api_error_t *err);

#endif
