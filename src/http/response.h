/* Answering a request. Every request gets exactly one of the http_respond*()
 * calls; it may come at once or later (after a database callback). The
 * security headers, X-Request-Id, CORS and Connection handling are added by the
 * server; handlers add only what is theirs with http_response_header().
 *
 * For HEAD the body is left out but Content-Length is kept. */
#ifndef RURAL24_HTTP_RESPONSE_H
#define RURAL24_HTTP_RESPONSE_H

#include <jansson.h>
#include <stddef.h>

#include "core/errors.h"
#include "http/request.h"

/* Adds a response header; name and value are copied into the request arena.
 * Must come before the http_respond*() call. */
void http_response_header(http_request_t *req, const char *name, const char *value);

/* Sends status with body[0..len) (copied) and the given Content-Type (NULL for
 * none). */
void http_respond(http_request_t *req, int status, const char *content_type, const void *body,
                  size_t len);

/* Releases a body sent by reference once it has been written (or dropped). */
typedef void (*http_body_release_fn)(void *release_arg);

/* Sends body[0..len) by reference: a large body is written from where it
 * lies, never copied (a cached page, an image); release(release_arg) is called
 * exactly once when it is no longer needed (release may be NULL for static
 * data). body must stay valid until then. */
void http_respond_ref(http_request_t *req, int status, const char *content_type, const void *body,
                      size_t len, http_body_release_fn release, void *release_arg);

/* Sends a body the caller allocated with malloc; the response takes ownership
 * and frees it once written (by reference: no copy). */
void http_respond_owned(http_request_t *req, int status, const char *content_type, char *body,
                        size_t len);

/* Sends JSON (application/json; charset=utf-8); takes ownership of json. */
void http_respond_json(http_request_t *req, int status, json_t *json);

/* Sends an answer without a body (204, 304). */
void http_respond_empty(http_request_t *req, int status);

/* Sends API.md's error shape:
 *   {"error":{"code":...,"message":...,"fields":{...}}}
 * message may be NULL for the code's default text; fields may be NULL and is
 * stolen otherwise. */
void http_respond_error(http_request_t *req, api_error_t err, const char *message, json_t *fields);

/* The reason phrase for a status code ("Not Found"). */
const char *http_status_reason(int status);

#endif
