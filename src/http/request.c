/* Request accessors: headers, query parameters, percent-decoding. */
#include "http/request.h"
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

/* Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF) and no
 * NUL. */
static bool utf8_clean(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
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
        if (decoded == NULL || !utf8_clean((const unsigned char *)decoded, decoded_len))
            return false;
        p = end + 1;
    }
    return true;
}

bool http_request_is_aborted(const http_request_t *req)
{
    return req->state->conn == NULL;
}
