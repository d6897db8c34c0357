/* Refresh tokens: encoding, derivation, and how far back a token can be
 * proven genuine. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "auth/refresh.h"

static unsigned char key[32];

static void setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    auth_refresh_key("unit-test-secret-of-more-than-32-bytes!!", key);
}

TestSuite(refresh, .init = setup);

Test(refresh, format_parse_round_trip)
{
    auth_refresh_t rt, back;
    auth_refresh_new(&rt);
    rt.session_id = 9223372036854775807LL;
    rt.generation = 41;
    char text[AUTH_REFRESH_TOKEN_MAX];
    auth_refresh_format(&rt, text);
    cr_assert_eq(strncmp(text, "rt1.9223372036854775807.41.", 27), 0, "%s", text);
    cr_assert_eq(auth_refresh_parse(text, &back), 0);
    cr_expect_eq(back.session_id, rt.session_id);
    cr_expect_eq(back.generation, 41);
    cr_expect_eq(memcmp(back.secret, rt.secret, sizeof(rt.secret)), 0);
}

Test(refresh, malformed_tokens_are_refused)
{
    static const char *const bad[] = {
        "",
        "rt1.",
        "rt1.1.0.",
        "rt2.1.0.AAAA",
        "rt1.0.0.QPX0orzEYs8jbFm4Fulv7uBCiGT5BufJCukcjRISAPQ",
        "rt1.01.0.QPX0orzEYs8jbFm4Fulv7uBCiGT5BufJCukcjRISAPQ",
        "rt1.1.0.QPX0orzEYs8jbFm4Fulv7uBCiGT5BufJCukcjRISAP",
        "rt1.1.0.QPX0orzEYs8jbFm4Fulv7uBCiGT5BufJCukcjRISAPQ=",
        "rt1.1.-1.QPX0orzEYs8jbFm4Fulv7uBCiGT5BufJCukcjRISAPQ",
        "rt1.99999999999999999999.0.QPX0orzEYs8jbFm4Fulv7uBCiGT5BufJCukcjRISAPQ",
    };
    auth_refresh_t rt;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_neq(auth_refresh_parse(bad[i], &rt), 0, "accepted: %s", bad[i]);
}

Test(refresh, derivation_is_deterministic_and_depends_on_the_session)
{
    auth_refresh_t a, a1, a1again, b, b1;
    auth_refresh_new(&a);
    a.session_id = 7;
    b = a;
    b.session_id = 8;
    auth_refresh_next(key, &a, &a1);
    auth_refresh_next(key, &a, &a1again);
    auth_refresh_next(key, &b, &b1);
    cr_expect_eq(a1.generation, 1);
    cr_expect_eq(memcmp(a1.secret, a1again.secret, sizeof(a1.secret)), 0);
    cr_expect_neq(memcmp(a1.secret, b1.secret, sizeof(a1.secret)), 0);
    cr_expect_neq(memcmp(a1.secret, a.secret, sizeof(a1.secret)), 0);
}

/* Walks a chain of n rotations from start; returns the last. */
static auth_refresh_t advance(auth_refresh_t start, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        auth_refresh_t next;
        auth_refresh_next(key, &start, &next);
        start = next;
    }
    return start;
}

Test(refresh, old_tokens_are_provable_only_within_the_reuse_window)
{
    auth_refresh_t first;
    auth_refresh_new(&first);
    first.session_id = 3;
    unsigned char hash[AUTH_REFRESH_HASH_BYTES];

    auth_refresh_t at_window = advance(first, AUTH_REFRESH_REUSE_WINDOW);
    auth_refresh_hash(&at_window, hash);
    cr_expect(auth_refresh_leads_to(key, &first, at_window.generation, hash),
              "a token %d generations back is proven genuine", AUTH_REFRESH_REUSE_WINDOW);

    auth_refresh_t past = advance(at_window, 1);
    auth_refresh_hash(&past, hash);
    cr_expect_not(auth_refresh_leads_to(key, &first, past.generation, hash),
                  "beyond the window the walk is not attempted");

    /* A forged secret never leads anywhere. */
    auth_refresh_t forged = first;
    forged.secret[0] ^= 1;
    auth_refresh_hash(&at_window, hash);
    cr_expect_not(auth_refresh_leads_to(key, &forged, at_window.generation, hash));
}
