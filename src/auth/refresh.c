/* Refresh-token derivation and encoding over libsodium's HMAC-SHA256 and
 * SHA-256. */
#include "auth/refresh.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char label[] = "rural24 refresh-token derivation v1";

void auth_refresh_key(const char *jwt_secret, unsigned char key[32])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)jwt_secret, strlen(jwt_secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof(label) - 1);
    crypto_auth_hmacsha256_final(&st, key);
}

void auth_refresh_new(auth_refresh_t *out)
{
    /* The session id is filled in once the row exists, before the first
     * rotation mixes it into the next secret. */
    out->session_id = 0;
    out->generation = 0;
    randombytes_buf(out->secret, sizeof(out->secret));
}

void auth_refresh_next(const unsigned char key[32], const auth_refresh_t *cur, auth_refresh_t *next)
{
    unsigned char msg[AUTH_REFRESH_SECRET_BYTES + 12];
    uint32_t gen = cur->generation + 1;
    memcpy(msg, cur->secret, AUTH_REFRESH_SECRET_BYTES);
    for (int i = 0; i < 8; i++)
        msg[AUTH_REFRESH_SECRET_BYTES + i] =
            (unsigned char)((uint64_t)cur->session_id >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        msg[AUTH_REFRESH_SECRET_BYTES + 8 + i] = (unsigned char)(gen >> (24 - 8 * i));
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, msg, sizeof(msg));
    crypto_auth_hmacsha256_final(&st, mac);
    next->session_id = cur->session_id;
    next->generation = gen;
    memcpy(next->secret, mac, AUTH_REFRESH_SECRET_BYTES);
    sodium_memzero(msg, sizeof(msg));
}

void auth_refresh_hash(const auth_refresh_t *rt, unsigned char out[AUTH_REFRESH_HASH_BYTES])
{
    crypto_hash_sha256(out, rt->secret, AUTH_REFRESH_SECRET_BYTES);
}

void auth_refresh_format(const auth_refresh_t *rt, char out[AUTH_REFRESH_TOKEN_MAX])
{
    char b64[sodium_base64_ENCODED_LEN(AUTH_REFRESH_SECRET_BYTES,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof(b64), rt->secret, AUTH_REFRESH_SECRET_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, AUTH_REFRESH_TOKEN_MAX, "rt1.%lld.%u.%s", (long long)rt->session_id,
             (unsigned)rt->generation, b64);
}

/* Parses a decimal field ending at '.'; advances *p past the dot. */
static int parse_field(const char **p, uint64_t max, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (digits == 19)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        digits++;
        s++;
    }
    if (digits == 0 || *s != '.' || v > max || (digits > 1 && (*p)[0] == '0'))
        return -1;
    *out = v;
    *p = s + 1;
    return 0;
}

int auth_refresh_parse(const char *token, auth_refresh_t *out)
{
    if (strnlen(token, AUTH_REFRESH_TOKEN_MAX) >= AUTH_REFRESH_TOKEN_MAX ||
        strncmp(token, "rt1.", 4) != 0)
        return -1;
    const char *p = token + 4;
    uint64_t sid, gen;
    if (parse_field(&p, INT64_MAX, &sid) != 0 || sid == 0 ||
        parse_field(&p, AUTH_REFRESH_MAX_GENERATIONS, &gen) != 0)
        return -1;
    size_t secret_len = 0;
    const char *end = NULL;
    if (sodium_base642bin(out->secret, sizeof(out->secret), p, strlen(p), NULL, &secret_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        secret_len != AUTH_REFRESH_SECRET_BYTES || end == NULL || *end != '\0')
        return -1;
    out->session_id = (int64_t)sid;
    out->generation = (uint32_t)gen;
    return 0;
}

bool auth_refresh_leads_to(const unsigned char key[32], const auth_refresh_t *from,
                           uint32_t target_generation,
                           const unsigned char target_hash[AUTH_REFRESH_HASH_BYTES])
{
    if (from->generation > target_generation ||
        target_generation - from->generation > AUTH_REFRESH_REUSE_WINDOW)
        return false;
    auth_refresh_t cur = *from;
    while (cur.generation < target_generation) {
        auth_refresh_t next;
        auth_refresh_next(key, &cur, &next);
        cur = next;
    }
    unsigned char hash[AUTH_REFRESH_HASH_BYTES];
    auth_refresh_hash(&cur, hash);
    sodium_memzero(&cur, sizeof(cur));
    return sodium_memcmp(hash, target_hash, AUTH_REFRESH_HASH_BYTES) == 0;
}
