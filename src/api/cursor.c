/* Signed page cursors; see cursor.h.
 *
 * The payload is "v1|BINDING|PHASE|ID|SORT", where BINDING is 8 bytes of a
 * BLAKE2b hash of the query's canonical text in hex. The sort value goes last
 * and may hold any byte but NUL. */
#include "api/cursor.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAC_BYTES = 16, BINDING_BYTES = 8, PAYLOAD_MAX = 160 };

void api_cursor_key_derive(api_cursor_key_t *key, const char *secret)
{
    static const char context[] = "rural24 page cursor v1";
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(key->bytes));
    crypto_generichash_update(&st, (const unsigned char *)context, sizeof(context));
    crypto_generichash_update(&st, (const unsigned char *)secret, strlen(secret));
    crypto_generichash_final(&st, key->bytes, sizeof(key->bytes));
}

static void binding_hex(const char *binding, char out[2 * BINDING_BYTES + 1])
{
    unsigned char h[BINDING_BYTES];
    crypto_generichash(h, sizeof(h), (const unsigned char *)binding, strlen(binding), NULL, 0);
    sodium_bin2hex(out, 2 * BINDING_BYTES + 1, h, sizeof(h));
}

static void mac(const api_cursor_key_t *key, const unsigned char *payload, size_t len,
                unsigned char out[MAC_BYTES])
{
    unsigned char full[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key->bytes, sizeof(key->bytes));
    crypto_auth_hmacsha256_update(&st, payload, len);
    crypto_auth_hmacsha256_final(&st, full);
    memcpy(out, full, MAC_BYTES);
}

char *api_cursor_encode(arena_t *arena, const api_cursor_key_t *key, const char *binding,
                        const api_cursor_t *c)
{
    if (strlen(c->sort) > API_CURSOR_SORT_MAX || c->phase < 0 || c->phase > 9)
        return NULL;
    char bind[2 * BINDING_BYTES + 1];
    binding_hex(binding, bind);
    unsigned char raw[PAYLOAD_MAX + MAC_BYTES];
    int n = snprintf((char *)raw, PAYLOAD_MAX, "v1|%s|%d|%" PRId64 "|%s", bind, c->phase, c->id,
                     c->sort);
    if (n < 0 || n >= PAYLOAD_MAX)
        return NULL;
    mac(key, raw, (size_t)n, raw + n);
    size_t total = (size_t)n + MAC_BYTES;
    size_t out_len = sodium_base64_encoded_len(total, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(arena, out_len);
    sodium_bin2base64(out, out_len, raw, total, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

int api_cursor_decode(const api_cursor_key_t *key, const char *binding, const char *text,
                      api_cursor_t *c)
{
    size_t text_len = strlen(text);
    if (text_len == 0 || text_len > API_CURSOR_MAX_CHARS)
        return -1;
    unsigned char raw[API_CURSOR_MAX_CHARS];
    size_t len = 0;
    const char *end = NULL;
    if (sodium_base642bin(raw, sizeof(raw), text, text_len, NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != text + text_len || len <= MAC_BYTES || len - MAC_BYTES >= PAYLOAD_MAX)
        return -1;
    size_t payload_len = len - MAC_BYTES;
    unsigned char expect[MAC_BYTES];
    mac(key, raw, payload_len, expect);
    if (sodium_memcmp(expect, raw + payload_len, MAC_BYTES) != 0)
        return -1;
    /* Genuine: ours, so well-formed; still parsed defensively. */
    char payload[PAYLOAD_MAX];
    memcpy(payload, raw, payload_len);
    payload[payload_len] = '\0';
    if (strlen(payload) != payload_len)
        return -1;
    char bind[2 * BINDING_BYTES + 1];
    binding_hex(binding, bind);
    const char *p = payload;
    if (strncmp(p, "v1|", 3) != 0)
        return -1;
    p += 3;
    if (strncmp(p, bind, 2 * BINDING_BYTES) != 0 || p[2 * BINDING_BYTES] != '|')
        return -1;
    p += 2 * BINDING_BYTES + 1;
    if (p[0] < '0' || p[0] > '9' || p[1] != '|')
        return -1;
    c->phase = p[0] - '0';
    p += 2;
    errno = 0;
    char *after = NULL;
    long long id = strtoll(p, &after, 10);
    if (errno != 0 || after == p || *after != '|' || id <= 0)
        return -1;
    c->id = id;
    p = after + 1;
    if (strlen(p) > API_CURSOR_SORT_MAX)
        return -1;
    memcpy(c->sort, p, strlen(p) + 1);
    return 0;
}
