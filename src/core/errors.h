/* The API's error codes: one table (libuv's UV_ERRNO_MAP X-macro), so a code's
 * HTTP status and its default message cannot drift apart. API.md lists them. */
#ifndef RURAL24_CORE_ERRORS_H
#define RURAL24_CORE_ERRORS_H

/* X(enum name, HTTP status, machine code, default message) */
#define API_ERROR_MAP(X)                                                                           \
    X(INVALID_JSON, 400, "invalid_json", "the request body is not valid JSON")                     \
    X(VALIDATION_FAILED, 400, "validation_failed", "the request is not valid")                     \
    X(INVALID_CURSOR, 400, "invalid_cursor", "the cursor is not valid")                            \
    X(INVALID_PARAMETER, 400, "invalid_parameter", "a query parameter is not valid")               \
    X(BAD_REQUEST, 400, "bad_request", "the request is malformed")                                 \
    X(UNAUTHORIZED, 401, "unauthorized", "authentication is required")                             \
    X(INVALID_CREDENTIALS, 401, "invalid_credentials", "wrong email or password")                  \
    X(TOKEN_EXPIRED, 401, "token_expired", "the token has expired")                                \
    X(TOKEN_REVOKED, 401, "token_revoked", "the session has been revoked")                         \
    X(FORBIDDEN, 403, "forbidden", "you may not do this")                                          \
    X(NOT_FOUND, 404, "not_found", "not found")                                                    \
    X(METHOD_NOT_ALLOWED, 405, "method_not_allowed", "method not allowed")                         \
    X(REQUEST_TIMEOUT, 408, "request_timeout", "the request took too long to arrive")              \
    X(EMAIL_TAKEN, 409, "email_taken", "that email is already registered")                         \
    X(CONFLICT, 409, "conflict", "the request conflicts with the current state")                   \
    X(PAYLOAD_TOO_LARGE, 413, "payload_too_large", "the request body is too large")                \
    X(URI_TOO_LONG, 414, "uri_too_long", "the URL is too long")                                    \
    X(UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type", "unsupported content type")           \
    X(RATE_LIMITED, 429, "rate_limited", "too many requests")                                      \
    X(HEADERS_TOO_LARGE, 431, "headers_too_large", "the request headers are too large")            \
    X(INTERNAL, 500, "internal", "internal error")                                                 \
    X(NOT_SUPPORTED, 501, "not_supported", "not supported in this configuration")                  \
    X(UNAVAILABLE, 503, "unavailable", "the service is temporarily unavailable")

typedef enum {
#define X(name, status, code, message) API_ERR_##name,
    API_ERROR_MAP(X)
#undef X
        API_ERR_COUNT
} api_error_t;

int api_error_status(api_error_t err);
const char *api_error_code(api_error_t err);
const char *api_error_message(api_error_t err);

#endif
