/* The rate-limit middleware of middleware_ratelimit.h: picks the class and the
 * key, asks the limiter (memory answers at once, Redis a round trip later),
 * and either continues the request with the RateLimit headers or answers 429. */
#include "api/middleware_ratelimit.h"

#include "api/app.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "http/response.h"
#include "http/server.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* What the middleware keeps across the limiter's callback (in the request's
 * arena). */
typedef struct {
    http_request_t *req;
    ratelimit_class_t cls;
    size_t key_len;
    char key[API_RATELIMIT_KEY_MAX];
} pending_check_t;

static bool under_api(const char *path)
{
    return path && strncmp(path, "/api", 4) == 0 && (path[4] == '\0' || path[4] == '/');
}

/* The class req counts against; false when it is not limited. */
static bool pick_class(const http_request_t *req, ratelimit_class_t *out)
{
    http_rate_class_t rate_class = req->route ? req->route->opts.rate_class : HTTP_RATE_DEFAULT;
    switch (rate_class) {
    case HTTP_RATE_NONE:
        return false;
    case HTTP_RATE_READ:
        *out = RATE_CLASS_READ;
        return true;
    case HTTP_RATE_WRITE:
        *out = RATE_CLASS_WRITE;
        return true;
    case HTTP_RATE_AUTH:
        *out = RATE_CLASS_AUTH_IP;
        return true;
    case HTTP_RATE_MESSAGE:
        *out = RATE_CLASS_WS_MESSAGE;
        return true;
    case HTTP_RATE_DEFAULT:
        break;
    }
    if (!under_api(req->path))
        return false;
    bool reads = req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD;
    *out = reads ? RATE_CLASS_READ : RATE_CLASS_WRITE;
    return true;
}

size_t api_ratelimit_address_key(const char *client_ip, char *out, size_t size)
{
    netaddr_t addr;
    int len;
    if (netaddr_parse(client_ip, strlen(client_ip), &addr) != 0) {
        len = snprintf(out, size, "ip:%s", client_ip);
    } else if (addr.is_v4) {
        char text[48];
        netaddr_format(&addr, text, sizeof(text));
        len = snprintf(out, size, "ip:%s", text);
    } else {
        /* One key per /64: the network half of the address. */
        len = snprintf(out, size, "ip6:%02x%02x%02x%02x%02x%02x%02x%02x", addr.bytes[0],
                       addr.bytes[1], addr.bytes[2], addr.bytes[3], addr.bytes[4], addr.bytes[5],
                       addr.bytes[6], addr.bytes[7]);
    }
    if (len < 0)
        return 0;
    return (size_t)len < size ? (size_t)len : size - 1;
}

size_t api_ratelimit_client_key(const http_request_t *req, char *out, size_t size)
{
    if (req->user_id != 0) {
        int len = snprintf(out, size, "u:%" PRId64, req->user_id);
        if (len < 0)
            return 0;
        return (size_t)len < size ? (size_t)len : size - 1;
    }
    return api_ratelimit_address_key(req->client_ip, out, size);
}

void api_ratelimit_headers(http_request_t *req, const ratelimit_result_t *result)
{
    char value[16];
    snprintf(value, sizeof(value), "%" PRIu32, result->limit);
    http_response_header(req, "RateLimit-Limit", value);
    snprintf(value, sizeof(value), "%" PRIu32, result->allowed ? result->remaining : 0);
    http_response_header(req, "RateLimit-Remaining", value);
    snprintf(value, sizeof(value), "%" PRIu32, result->reset_s);
    http_response_header(req, "RateLimit-Reset", value);
}

void api_ratelimit_refuse(http_request_t *req, const ratelimit_result_t *result)
{
    char value[16];
    api_ratelimit_headers(req, result);
    snprintf(value, sizeof(value), "%" PRIu32,
             result->retry_after_s > 0 ? result->retry_after_s : 1);
    http_response_header(req, "Retry-After", value);
    http_respond_error(req, API_ERR_RATE_LIMITED, NULL, NULL);
}

bool api_ratelimit_should_refuse(const http_request_t *req, ratelimit_class_t cls, const char *key,
                                 size_t key_len)
{
    const app_t *app = req->app;
    if (!app->config->rate_limit_dry_run) {
        log_debug("rate limited", "request_id", json_string(req->request_id), "class",
                  json_string(ratelimit_class_name(cls)), NULL);
        return true;
    }
    log_info("rate limit exceeded (dry run: not refused)", "request_id",
             json_string(req->request_id), "class", json_string(ratelimit_class_name(cls)), "key",
             json_stringn(key, key_len), "path", json_string(req->path ? req->path : ""), NULL);
    return false;
}

static void on_decided(const ratelimit_result_t *result, void *user_data)
{
    pending_check_t *check = user_data;
    http_request_t *req = check->req;
    if (!result->allowed &&
        api_ratelimit_should_refuse(req, check->cls, check->key, check->key_len)) {
        api_ratelimit_refuse(req, result);
        return;
    }
    /* The auth class's handler applies the per-email limit and sends the
     * headers of that decision: one set per response. */
    if (check->cls != RATE_CLASS_AUTH_IP)
        api_ratelimit_headers(req, result);
    http_request_next(req);
}

typedef struct {
    http_request_t *req;
    ratelimit_class_t cls;
    api_ratelimit_next_fn next;
    void *user_data;
    size_t key_len;
    char key[];
} applied_check_t;

static void on_applied(const ratelimit_result_t *result, void *user_data)
{
    applied_check_t *check = user_data;
    http_request_t *req = check->req;
    if (!result->allowed &&
        api_ratelimit_should_refuse(req, check->cls, check->key, check->key_len)) {
        api_ratelimit_refuse(req, result);
        return;
    }
    api_ratelimit_headers(req, result);
    check->next(req, check->user_data);
}

int api_ratelimit_apply(http_request_t *req, ratelimit_class_t cls, const char *key, size_t key_len,
                        api_ratelimit_next_fn next, void *user_data)
{
    return api_ratelimit_apply_op(req, cls, RATELIMIT_COUNT, key, key_len, next, user_data);
}

int api_ratelimit_apply_op(http_request_t *req, ratelimit_class_t cls, ratelimit_op_t op,
                           const char *key, size_t key_len, api_ratelimit_next_fn next,
                           void *user_data)
{
    app_t *app = req->app;
    if (key_len > RATELIMIT_MAX_KEY_BYTES || !next)
        return RATELIMIT_E_INVALID;
    if (!app->ratelimit) {
        next(req, user_data);
        return 0;
    }
    applied_check_t *check = arena_alloc(&req->arena, sizeof(*check) + key_len);
    check->req = req;
    check->cls = cls;
    check->next = next;
    check->user_data = user_data;
    check->key_len = key_len;
    memcpy(check->key, key, key_len);
    return ratelimit_apply(app->ratelimit, cls, op, check->key, key_len, on_applied, check);
}

void api_ratelimit_middleware(http_request_t *req)
{
    app_t *app = req->app;
    ratelimit_class_t cls;
    if (!app || !app->ratelimit || !pick_class(req, &cls)) {
        http_request_next(req);
        return;
    }
    pending_check_t *check = arena_alloc(&req->arena, sizeof(*check));
    check->req = req;
    check->cls = cls;
    if (cls == RATE_CLASS_AUTH_IP)
        check->key_len = api_ratelimit_address_key(req->client_ip, check->key, sizeof(check->key));
    else
        check->key_len = api_ratelimit_client_key(req, check->key, sizeof(check->key));
    if (ratelimit_check(app->ratelimit, cls, check->key, check->key_len, on_decided, check) != 0)
        http_request_next(req); /* cannot happen with a valid class and key */
}
