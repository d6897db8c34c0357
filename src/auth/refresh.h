/* Refresh tokens of the db and redis session stores.
 *
 * A token reads "rt1.<session id>.<generation>.<secret>", the secret being 32
 * bytes in unpadded base64url. The server stores only SHA-256(secret). Each
 * rotation derives the next secret from the current one,
 *
 *     secret[g+1] = HMAC-SHA256(K, secret[g] || session id || g+1)
 *
 * with K derived from JWT_SECRET. Derivation, rather than fresh randomness,
 * gives two properties the session manager relies on:
 *   - within the grace window the just-rotated token yields the very same new
 *     token again (two tabs refreshing at once both get one pair), with nothing
 *     stored but hashes;
 *   - a token from any earlier generation can be proven genuine (derive it
 *     forward to the current generation and compare hashes), so presenting it
 *     is reuse and revokes the login, while a forged "rt1.<sid>.0.garbage"
 *     cannot revoke someone else's session.
 * The session id and generation in the token are only hints to find the row;
 * the secret is what authenticates. */
#ifndef RURAL24_AUTH_REFRESH_H
#define RURAL24_AUTH_REFRESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    AUTH_REFRESH_SECRET_BYTES = 32,
    AUTH_REFRESH_HASH_BYTES = 32,
    AUTH_REFRESH_TOKEN_MAX = 128, /* formatted length bound, NUL included */
    AUTH_REFRESH_MAX_GENERATIONS = 100000,
    /* How far back a token may be proven genuine (reuse detection): each step
     * is an HMAC on the loop thread, and a forged token makes the server walk
     * the whole window, so it stays small (64 steps: about 0.1 ms). A token
     * older than that is simply invalid. */
    AUTH_REFRESH_REUSE_WINDOW = 64,
};

typedef struct {
    int64_t session_id;
    uint32_t generation;
    unsigned char secret[AUTH_REFRESH_SECRET_BYTES];
} auth_refresh_t;

/* The derivation key for JWT_SECRET (HMAC-SHA256 of a fixed label). */
void auth_refresh_key(const char *jwt_secret, unsigned char key[32]);

/* A new generation-0 token with a random secret (session_id may be 0 until the
 * session row exists: the hash does not cover it). */
void auth_refresh_new(auth_refresh_t *out);

/* The next generation of cur. */
void auth_refresh_next(const unsigned char key[32], const auth_refresh_t *cur,
                       auth_refresh_t *next);

/* SHA-256 of the secret: what the sessions table stores. */
void auth_refresh_hash(const auth_refresh_t *rt, unsigned char out[AUTH_REFRESH_HASH_BYTES]);

/* Formats the token into out (AUTH_REFRESH_TOKEN_MAX bytes). */
void auth_refresh_format(const auth_refresh_t *rt, char out[AUTH_REFRESH_TOKEN_MAX]);

/* Parses a token. 0, or -1 when it is not of this shape. */
int auth_refresh_parse(const char *token, auth_refresh_t *out);

/* True when deriving `from` forward to `target_generation` gives a secret whose
 * hash is target_hash (from->generation <= target_generation, at most
 * AUTH_REFRESH_REUSE_WINDOW steps: false beyond). */
bool auth_refresh_leads_to(const unsigned char key[32], const auth_refresh_t *from,
                           uint32_t target_generation,
                           const unsigned char target_hash[AUTH_REFRESH_HASH_BYTES]);

#endif
