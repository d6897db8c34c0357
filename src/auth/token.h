/* Access tokens (and stateless refresh tokens): JWTs signed with HS256 and
 * JWT_SECRET, through libjwt.
 *
 * Claims: sub (the user id, as a string per RFC 7519), sid (the session id; 0
 * in stateless mode), iat, exp, iss ("rural24") and typ ("access" or
 * "refresh", so one kind can never be used as the other). Verification
 * accepts only HS256 — "none" and every other algorithm are refused — checks
 * the signature, the issuer, the type and the expiry with a small clock skew. */
#ifndef RURAL24_AUTH_TOKEN_H
#define RURAL24_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

typedef enum { AUTH_TOKEN_ACCESS = 0, AUTH_TOKEN_REFRESH } auth_token_type_t;

typedef struct {
    int64_t user_id;
    int64_t session_id;
    int64_t issued_at_s;
    int64_t expires_at_s;
    auth_token_type_t type;
    char token_id[33]; /* "jti": 128 random bits in hex; unique per token */
} auth_claims_t;

enum {
    AUTH_TOKEN_OK = 0,
    AUTH_TOKEN_INVALID = -1, /* malformed, bad signature, wrong alg/iss/typ */
    AUTH_TOKEN_EXPIRED = -2, /* well signed but past exp (+ skew) */
    AUTH_TOKEN_MAX_BYTES = 4096,
    AUTH_TOKEN_SKEW_S = 30,
};

#define AUTH_TOKEN_ISSUER "rural24"

/* Signs claims into a compact JWT. On success *out is a NUL-terminated token
 * the caller frees with free(). A missing token_id is filled in. 0 or -1. */
int auth_token_sign(const char *secret, auth_claims_t *claims, char **out);

/* Verifies token (at most AUTH_TOKEN_MAX_BYTES) at time now_s and fills out.
 * Returns AUTH_TOKEN_OK, AUTH_TOKEN_INVALID or AUTH_TOKEN_EXPIRED. A token of
 * the wrong type is AUTH_TOKEN_INVALID. */
int auth_token_verify(const char *secret, const char *token, auth_token_type_t expected,
                      int64_t now_s, auth_claims_t *out);

#endif
