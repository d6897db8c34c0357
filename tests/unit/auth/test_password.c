/* Password hashing on the thread pool: results, the unknown-user path, and
 * that the loop stays free while a hash runs. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>
#include <uv.h>

#include "auth/password.h"
#include "core/clock.h"

typedef struct {
    char hash[AUTH_PASSWORD_HASH_BYTES];
    int hashes;
    int verifies;
    bool matched;
} results_t;

static void on_hash(const char *hash, void *user_data)
{
    results_t *r = user_data;
    cr_assert_not_null(hash);
    snprintf(r->hash, sizeof(r->hash), "%s", hash);
    r->hashes++;
}

static void on_verify(bool matches, void *user_data)
{
    results_t *r = user_data;
    r->matched = matches;
    r->verifies++;
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
}

TestSuite(password, .init = setup, .timeout = 60);

static void run_loop_clean(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(loop), 0, "every handle closed");
}

Test(password, hash_then_verify_right_and_wrong)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    results_t r = {0};
    cr_assert_eq(auth_password_hash(&loop, "correct horse", 13, on_hash, &r), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(r.hashes, 1);
    cr_assert(strncmp(r.hash, "$argon2id$", 10) == 0, "an Argon2id hash: %s", r.hash);

    cr_assert_eq(auth_password_verify(&loop, "correct horse", 13, r.hash, on_verify, &r), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(r.verifies, 1);
    cr_assert(r.matched);

    cr_assert_eq(auth_password_verify(&loop, "correct horsf", 13, r.hash, on_verify, &r), 0);
    run_loop_clean(&loop);
    cr_assert_eq(r.verifies, 2);
    cr_assert_not(r.matched);
}

Test(password, unknown_user_spends_a_hash_and_never_matches)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    results_t r = {.matched = true};
    /* Warm the dummy hash once, then time a dummy verification against a real
     * one: they must cost about the same. */
    cr_assert_eq(auth_password_verify(&loop, "x", 1, NULL, on_verify, &r), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    char real[AUTH_PASSWORD_HASH_BYTES];
    cr_assert_eq(auth_password_hash_sync("secret-password", 15, real), 0);

    uint64_t t0 = clock_now_us();
    cr_assert_eq(auth_password_verify(&loop, "guess", 5, NULL, on_verify, &r), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t dummy_us = clock_now_us() - t0;
    cr_assert_not(r.matched);

    t0 = clock_now_us();
    cr_assert_eq(auth_password_verify(&loop, "guess", 5, real, on_verify, &r), 0);
    run_loop_clean(&loop);
    uint64_t real_us = clock_now_us() - t0;
    cr_assert_not(r.matched);
    cr_assert(dummy_us * 3 > real_us && real_us * 3 > dummy_us, "dummy %llu us vs real %llu us",
              (unsigned long long)dummy_us, (unsigned long long)real_us);
}

static int ticks;
static void on_tick(uv_timer_t *t)
{
    ticks++;
    (void)t;
}

Test(password, the_loop_keeps_running_while_hashing)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    uv_timer_start(&timer, on_tick, 1, 1);
    results_t r = {0};
    ticks = 0;
    for (int i = 0; i < 4; i++)
        cr_assert_eq(auth_password_hash(&loop, "password!", 9, on_hash, &r), 0);
    while (r.hashes < 4)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    run_loop_clean(&loop);
    cr_assert(ticks >= 5, "the 1 ms timer fired %d times during four hashes", ticks);
}
