/* Response serialization: status line, the handler's headers, the standard
 * ones, Content-Length and Connection, then the body, in one buffer handed
 * to the connection. */
#include "http/response.h"
#include "http/upgrade.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/internal.h"

#include <stdlib.h>
#include <string.h>

const char *http_status_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

void http_response_header(http_request_t *req, const char *name, const char *value)
{
    struct http__request_state_s *st = req->state;
    if (st->resp_header_count == st->resp_header_capacity) {
        size_t cap = st->resp_header_capacity ? st->resp_header_capacity * 2 : 8;
        http__resp_header_t *grown = arena_alloc(&req->arena, cap * sizeof(*grown));
        if (st->resp_header_count > 0)
            memcpy(grown, st->resp_headers, st->resp_header_count * sizeof(*grown));
        st->resp_headers = grown;
        st->resp_header_capacity = cap;
    }
    st->resp_headers[st->resp_header_count].name = arena_strndup(&req->arena, name, strlen(name));
    st->resp_headers[st->resp_header_count].value =
        arena_strndup(&req->arena, value, strlen(value));
    st->resp_header_count++;
}

/* A header value must not smuggle a line break into the response. */
static bool header_safe(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\r' || *s == '\n')
            return false;
    }
    return true;
}

/* Bodies up to this size are copied next to the head (one buffer, one
 * write); larger ones are written from where they lie. */
enum { BODY_COPY_MAX = 4096 };

/* Appends the status line, Date, the standard headers (security, request id,
 * CORS) and the handler's own headers. Returns buf_append's error bits. */
static int append_head(buf_t *out, http_request_t *req, int status)
{
    struct http__request_state_s *st = req->state;
    char line[64];
    int n = snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
    int rc = buf_append(out, line, (size_t)n);
    rc |= buf_append_str(out, http_status_reason(status));
    rc |= buf_append(out, "\r\n", 2);
    if (req->server != NULL) {
        rc |= buf_append(out, "Date: ", 6);
        rc |= buf_append_str(out, http__date(req->server));
        rc |= buf_append(out, "\r\n", 2);
    }
    rc |= http__append_standard_headers(out, req);
    for (size_t i = 0; i < st->resp_header_count; i++) {
        const http__resp_header_t *h = &st->resp_headers[i];
        if (!header_safe(h->name) || !header_safe(h->value))
            continue;
        rc |= buf_append_str(out, h->name);
        rc |= buf_append(out, ": ", 2);
        rc |= buf_append_str(out, h->value);
        rc |= buf_append(out, "\r\n", 2);
    }
    return rc;
}

/* Builds the response head and hands it over with the body: copied into the
 * head when small, else by reference. body_ref (may be NULL) is released
 * here or once written. */
static void send_response(http_request_t *req, int status, const char *content_type,
                          const void *body, size_t len, const http__body_ref_t *body_ref)
{
    /* Exactly one answer per request: the request is freed once this one is
     * handed over, so a second call is a use-after-free (ASan reports it). */
    struct http__request_state_s *st = req->state;
    bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    bool head = req->method == HTTP_METHOD_HEAD;
    bool copy_body = !no_body && !head && len > 0 && (body_ref == NULL || len <= BODY_COPY_MAX);

    buf_t out;
    buf_init(&out, (size_t)1 << 40);
    int rc = buf_reserve(&out, 512 + (copy_body ? len : 0));
    rc |= append_head(&out, req, status);
    char line[64];
    int n;
    if (content_type != NULL && !no_body) {
        rc |= buf_append(&out, "Content-Type: ", 14);
        rc |= buf_append_str(&out, content_type);
        rc |= buf_append(&out, "\r\n", 2);
    }
    if (!no_body) {
        n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n", len);
        rc |= buf_append(&out, line, (size_t)n);
    }
    /* The connection decides keep-alive; it patches nothing afterwards, so ask
     * it now. */
    http_conn_t *conn = st->conn;
    bool keep = conn != NULL && st->keep_alive && !conn->close_after_write &&
                !conn->server->draining && conn->error_status == 0 && !st->body_unread;
    rc |=
        buf_append_str(&out, keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    if (conn != NULL && !keep)
        conn->close_after_write = true;
    size_t body_bytes = no_body || head ? 0 : len;
    const http__body_ref_t *send_ref = NULL;
    if (copy_body)
        rc |= buf_append(&out, body, len);
    else if (body_ref != NULL && body_bytes > 0)
        send_ref = body_ref;
    if (body_ref != NULL && send_ref == NULL && body_ref->release != NULL)
        body_ref->release(body_ref->arg);
    (void)rc; /* the cap is unreachable: a response is bounded by what built it */
    size_t total;
    char *data = buf_steal(&out, &total);
    http__conn_send_response(req, status, data, total, send_ref, body_bytes);
}

void http_respond(http_request_t *req, int status, const char *content_type, const void *body,
                  size_t len)
{
    send_response(req, status, content_type, body, len, NULL);
}

void http_respond_ref(http_request_t *req, int status, const char *content_type, const void *body,
                      size_t len, http_body_release_fn release, void *release_arg)
{
    http__body_ref_t ref = {.data = body, .len = len, .release = release, .arg = release_arg};
    send_response(req, status, content_type, body, len, &ref);
}

void http_respond_owned(http_request_t *req, int status, const char *content_type, char *body,
                        size_t len)
{
    http_respond_ref(req, status, content_type, body, len, free, body);
}

void http_respond_json(http_request_t *req, int status, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(json);
    if (text == NULL) {
        /* jansson fails only on out-of-memory or a broken value: ours. */
        static const char internal[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}";
        send_response(req, 500, "application/json; charset=utf-8", internal, sizeof(internal) - 1,
                      NULL);
        return;
    }
    http_respond_owned(req, status, "application/json; charset=utf-8", text, strlen(text));
}

void http_respond_empty(http_request_t *req, int status)
{
    send_response(req, status, NULL, NULL, 0, NULL);
}

void http_respond_error(http_request_t *req, api_error_t err, const char *message, json_t *fields)
{
    json_t *error = json_object();
    json_object_set_new(error, "code", json_string(api_error_code(err)));
    json_object_set_new(error, "message", json_string(message ? message : api_error_message(err)));
    if (fields != NULL)
        json_object_set_new(error, "fields", fields);
    json_t *body = json_object();
    json_object_set_new(body, "error", error);
    http_respond_json(req, api_error_status(err), body);
}

http_stream_t *http_respond_upgrade(http_request_t *req, const http_upgrade_ops_t *ops,
                                    void *user_data)
{
    buf_t out;
    buf_init(&out, (size_t)1 << 40);
    int rc = append_head(&out, req, 101);
    rc |= buf_append(&out, "\r\n", 2);
    (void)rc; /* bounded by the request's own headers */
    size_t total;
    char *head = buf_steal(&out, &total);
    return http__conn_upgrade(req, head, total, ops, user_data);
}
