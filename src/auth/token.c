/* JWT signing and verification over libjwt. libjwt 1.10 checks the signature
 * for the algorithm named in the token's own header, so this file pins the
 * algorithm to HS256 before trusting anything, and checks the registered
 * claims itself (libjwt 1.10 does not validate exp or iss). */
#include "auth/token.h"

#include <errno.h>
#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(auth_token_type_t type)
{
    return type == AUTH_TOKEN_REFRESH ? "refresh" : "access";
}

int auth_token_sign(const char *secret, auth_claims_t *claims, char **out)
{
    *out = NULL;
    if (claims->token_id[0] == '\0') {
        unsigned char raw[16];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(claims->token_id, sizeof(claims->token_id), raw, sizeof(raw));
    }
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return -1;
    char sub[24];
    snprintf(sub, sizeof(sub), "%lld", (long long)claims->user_id);
    int rc = jwt_add_grant(jwt, "sub", sub);
    rc |= jwt_add_grant_int(jwt, "sid", (long)claims->session_id);
    rc |= jwt_add_grant_int(jwt, "iat", (long)claims->issued_at_s);
    rc |= jwt_add_grant_int(jwt, "exp", (long)claims->expires_at_s);
    rc |= jwt_add_grant(jwt, "iss", AUTH_TOKEN_ISSUER);
    rc |= jwt_add_grant(jwt, "typ", type_name(claims->type));
    rc |= jwt_add_grant(jwt, "jti", claims->token_id);
    rc |= jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret));
    if (rc == 0)
        *out = jwt_encode_str(jwt);
    jwt_free(jwt);
    return *out != NULL ? 0 : -1;
}

/* Reads an integer grant; -1 when it is missing or not an integer. */
static int grant_int(jwt_t *jwt, const char *name, int64_t *out)
{
    errno = 0;
    long v = jwt_get_grant_int(jwt, name);
    if (errno != 0)
        return -1;
    *out = v;
    return 0;
}

/* The header's "alg" read from the raw token, before libjwt acts on it. */
static int header_is_hs256(const char *token)
{
    const char *dot = strchr(token, '.');
    if (dot == NULL || dot == token || (size_t)(dot - token) > 512)
        return 0;
    unsigned char header[400];
    size_t header_len = 0;
    if (sodium_base642bin(header, sizeof(header) - 1, token, (size_t)(dot - token), NULL,
                          &header_len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return 0;
    header[header_len] = '\0';
    /* A strict reading is done by libjwt below; here only refuse early what is
     * surely not HS256, so that "none" never reaches its verifier. */
    return strstr((const char *)header, "\"HS256\"") != NULL;
}

int auth_token_verify(const char *secret, const char *token, auth_token_type_t expected,
                      int64_t now_s, auth_claims_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t len = strnlen(token, AUTH_TOKEN_MAX_BYTES + 1);
    if (len == 0 || len > AUTH_TOKEN_MAX_BYTES || !header_is_hs256(token))
        return AUTH_TOKEN_INVALID;
    jwt_t *jwt = NULL;
    if (jwt_decode(&jwt, token, (const unsigned char *)secret, (int)strlen(secret)) != 0 ||
        jwt == NULL)
        return AUTH_TOKEN_INVALID;
    int rc = AUTH_TOKEN_INVALID;
    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        goto done;
    const char *iss = jwt_get_grant(jwt, "iss");
    const char *typ = jwt_get_grant(jwt, "typ");
    const char *sub = jwt_get_grant(jwt, "sub");
    const char *jti = jwt_get_grant(jwt, "jti");
    if (iss == NULL || strcmp(iss, AUTH_TOKEN_ISSUER) != 0 || typ == NULL ||
        strcmp(typ, type_name(expected)) != 0 || sub == NULL)
        goto done;
    char *end = NULL;
    errno = 0;
    long long uid = strtoll(sub, &end, 10);
    if (errno != 0 || end == sub || *end != '\0' || uid <= 0)
        goto done;
    if (grant_int(jwt, "sid", &out->session_id) != 0 || out->session_id < 0 ||
        grant_int(jwt, "iat", &out->issued_at_s) != 0 ||
        grant_int(jwt, "exp", &out->expires_at_s) != 0)
        goto done;
    if (jti != NULL)
        snprintf(out->token_id, sizeof(out->token_id), "%s", jti);
    out->user_id = uid;
    out->type = expected;
    if (out->issued_at_s > now_s + AUTH_TOKEN_SKEW_S)
        goto done; /* issued in the future: not ours */
    rc = now_s > out->expires_at_s + AUTH_TOKEN_SKEW_S ? AUTH_TOKEN_EXPIRED : AUTH_TOKEN_OK;
done:
    jwt_free(jwt);
    return rc;
}
