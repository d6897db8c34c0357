/* Request accessors: headers, query parameters, percent-decoding. */
#include "http/request.h"
#include "core/utf8.h"
#include "http/internal.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

const char *http_request_header(const http_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *http_percent_decode(arena_t *arena, const char *src, size_t len, bool plus_is_space,
                          size_t *out_len)
{
    char *out = arena_alloc(arena, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (len - i < 3)
                return NULL;
            int hi = hex_value(src[i + 1]);
            int lo = hex_value(src[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    if (out_len != NULL)
        *out_len = o;
    return out;
}

const char *http_request_query(http_request_t *req, const char *name)
{
    if (req->query == NULL)
        return NULL;
    size_t name_len = strlen(name);
    const char *p = req->query;
    while (*p != '\0') {
        const char *end = strchr(p, '&');
        size_t pair_len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', pair_len);
        size_t key_len = eq ? (size_t)(eq - p) : pair_len;
        size_t decoded_len;
        char *key = http_percent_decode(&req->arena, p, key_len, true, &decoded_len);
        if (key != NULL && decoded_len == name_len && memcmp(key, name, name_len) == 0) {
            if (eq == NULL)
                return "";
            return http_percent_decode(&req->arena, eq + 1, pair_len - key_len - 1, true, NULL);
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return NULL;
}

bool http__query_valid(http_request_t *req)
{
    if (req->query == NULL)
        return true;
    const char *p = req->query;
    size_t total = strlen(p);
    const char *stop = p + total;
    while (p < stop) {
        const char *end = memchr(p, '&', (size_t)(stop - p));
        if (end == NULL)
            end = stop;
        size_t decoded_len;
        char *decoded = http_percent_decode(&req->arena, p, (size_t)(end - p), true, &decoded_len);
        if (decoded == NULL || !utf8_valid_no_nul(decoded, decoded_len))
            return false;
        p = end + 1;
    }
    return true;
}

bool http_request_is_aborted(const http_request_t *req)
{
    return req->state->conn == NULL;
}
