/* Access and refresh tokens: what verification accepts and what it refuses. */
#include <criterion/criterion.h>
#include <jwt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"

static const char secret[] = "unit-test-secret-of-more-than-32-bytes!!";
enum { NOW = 1800000000 };

static char *sign(int64_t uid, int64_t sid, int64_t iat, int64_t exp, auth_token_type_t type)
{
    auth_claims_t c = {
        .user_id = uid, .session_id = sid, .issued_at_s = iat, .expires_at_s = exp, .type = type};
    char *token = NULL;
    cr_assert_eq(auth_token_sign(secret, &c, &token), 0);
    cr_assert_not_null(token);
    return token;
}

/* A token made with libjwt directly, to forge what our signer never makes. */
static char *forge(jwt_alg_t alg, const char *key, const char *iss, const char *typ, long exp)
{
    jwt_t *jwt = NULL;
    cr_assert_eq(jwt_new(&jwt), 0);
    jwt_add_grant(jwt, "sub", "7");
    jwt_add_grant_int(jwt, "sid", 3);
    jwt_add_grant_int(jwt, "iat", NOW);
    jwt_add_grant_int(jwt, "exp", exp);
    if (iss)
        jwt_add_grant(jwt, "iss", iss);
    if (typ)
        jwt_add_grant(jwt, "typ", typ);
    cr_assert_eq(
        jwt_set_alg(jwt, alg, key ? (const unsigned char *)key : NULL, key ? (int)strlen(key) : 0),
        0);
    char *token = jwt_encode_str(jwt);
    jwt_free(jwt);
    cr_assert_not_null(token);
    return token;
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
}

TestSuite(token, .init = setup);

Test(token, round_trip_keeps_every_claim)
{
    char *t = sign(42, 9, NOW, NOW + 900, AUTH_TOKEN_ACCESS);
    auth_claims_t c;
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW + 10, &c), AUTH_TOKEN_OK);
    cr_assert_eq(c.user_id, 42);
    cr_assert_eq(c.session_id, 9);
    cr_assert_eq(c.issued_at_s, NOW);
    cr_assert_eq(c.expires_at_s, NOW + 900);
    cr_assert_eq(strlen(c.token_id), 32);
    free(t);
}

Test(token, two_tokens_for_the_same_claims_differ)
{
    char *a = sign(1, 1, NOW, NOW + 900, AUTH_TOKEN_ACCESS);
    char *b = sign(1, 1, NOW, NOW + 900, AUTH_TOKEN_ACCESS);
    cr_assert_str_neq(a, b);
    free(a);
    free(b);
}

Test(token, expired_after_the_skew_only)
{
    char *t = sign(1, 0, NOW - 1000, NOW - 10, AUTH_TOKEN_ACCESS);
    auth_claims_t c;
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW, &c), AUTH_TOKEN_OK,
                 "10 s past exp is inside the skew");
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW + AUTH_TOKEN_SKEW_S, &c),
                 AUTH_TOKEN_EXPIRED);
    free(t);
}

Test(token, refresh_token_is_not_an_access_token)
{
    char *t = sign(1, 0, NOW, NOW + 900, AUTH_TOKEN_REFRESH);
    auth_claims_t c;
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW, &c), AUTH_TOKEN_INVALID);
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_REFRESH, NOW, &c), AUTH_TOKEN_OK);
    free(t);
}

Test(token, wrong_secret_is_refused)
{
    char *t = sign(1, 0, NOW, NOW + 900, AUTH_TOKEN_ACCESS);
    auth_claims_t c;
    cr_assert_eq(
        auth_token_verify("another-secret-of-more-than-32-bytes!!", t, AUTH_TOKEN_ACCESS, NOW, &c),
        AUTH_TOKEN_INVALID);
    free(t);
}

Test(token, flipped_signature_byte_is_refused)
{
    char *t = sign(1, 0, NOW, NOW + 900, AUTH_TOKEN_ACCESS);
    char *sig = strrchr(t, '.') + 1;
    sig[3] = sig[3] == 'A' ? 'B' : 'A';
    auth_claims_t c;
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW, &c), AUTH_TOKEN_INVALID);
    free(t);
}

Test(token, alg_none_is_refused)
{
    char *t = forge(JWT_ALG_NONE, NULL, AUTH_TOKEN_ISSUER, "access", NOW + 900);
    auth_claims_t c;
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW, &c), AUTH_TOKEN_INVALID);
    free(t);
}

Test(token, another_hmac_algorithm_with_the_same_key_is_refused)
{
    char *t = forge(JWT_ALG_HS512, secret, AUTH_TOKEN_ISSUER, "access", NOW + 900);
    auth_claims_t c;
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW, &c), AUTH_TOKEN_INVALID);
    free(t);
}

Test(token, hs256_from_another_issuer_is_refused)
{
    char *t = forge(JWT_ALG_HS256, secret, "someone-else", "access", NOW + 900);
    auth_claims_t c;
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW, &c), AUTH_TOKEN_INVALID);
    free(t);
    t = forge(JWT_ALG_HS256, secret, AUTH_TOKEN_ISSUER, "access", NOW + 900);
    cr_assert_eq(auth_token_verify(secret, t, AUTH_TOKEN_ACCESS, NOW, &c), AUTH_TOKEN_OK,
                 "the same forge with the right claims passes, so the refusals above are real");
    free(t);
}

Test(token, garbage_is_refused)
{
    static const char *const bad[] = {
        "",
        "abc",
        "a.b.c",
        "..",
        "eyJhbGciOiJIUzI1NiJ9..",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        "\xff\xfe.\x01.\x02",
    };
    auth_claims_t c;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(auth_token_verify(secret, bad[i], AUTH_TOKEN_ACCESS, NOW, &c),
                     AUTH_TOKEN_INVALID, "case %zu", i);
    char *huge = malloc(AUTH_TOKEN_MAX_BYTES + 10);
    memset(huge, 'a', AUTH_TOKEN_MAX_BYTES + 9);
    huge[AUTH_TOKEN_MAX_BYTES + 9] = '\0';
    cr_assert_eq(auth_token_verify(secret, huge, AUTH_TOKEN_ACCESS, NOW, &c), AUTH_TOKEN_INVALID);
    free(huge);
}
