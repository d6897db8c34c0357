/* The rate limiter's arithmetic (GCRA) and the memory store on a clock the
 * test controls: limits, remaining, reset and Retry-After rounding, refill,
 * bursts around a fixed-window boundary, the bound over any span, the
 * instance share of the fallback, and the key bound. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "store/gcra.h"
#include "store/ratelimit_backend.h"
#include "unit/core/leak_check.h"

TestSuite(gcra, .fini = unit_check_no_leaks);

enum { SECOND = 1000000 };

/* Runs one request for a key whose state is *tat. */
static bool hit(const gcra_t *g, int64_t *tat, int64_t now, gcra_result_t *out)
{
    gcra_result_t r;
    gcra_check(g, *tat, now, &r);
    *tat = r.tat_us;
    if (out)
        *out = r;
    return r.allowed;
}

Test(gcra, burst_of_limit_then_refused)
{
    gcra_t g;
    gcra_init(&g, 5, 60); /* T = 12 s */
    cr_assert_eq(g.interval_us, 12 * (int64_t)SECOND);
    int64_t tat = 0, now = 1000 * (int64_t)SECOND;
    gcra_result_t r;
    for (uint32_t i = 0; i < 5; i++) {
        cr_assert(hit(&g, &tat, now, &r));
        cr_assert_eq(r.remaining, 4 - i);
        cr_assert_eq(r.reset_us, (int64_t)(i + 1) * 12 * SECOND);
    }
    cr_assert_not(hit(&g, &tat, now, &r));
    cr_assert_eq(r.remaining, 0);
    cr_assert_eq(r.retry_after_us, 12 * (int64_t)SECOND);
    cr_assert_eq(r.reset_us, 60 * (int64_t)SECOND);
    /* A refusal does not move the state: the wait does not grow. */
    cr_assert_not(hit(&g, &tat, now + SECOND, &r));
    cr_assert_eq(r.retry_after_us, 11 * (int64_t)SECOND);
    /* One interval later exactly one more passes. */
    cr_assert(hit(&g, &tat, now + 12 * (int64_t)SECOND, &r));
    cr_assert_eq(r.remaining, 0);
    cr_assert_not(hit(&g, &tat, now + 12 * (int64_t)SECOND, NULL));
    /* A quiet minute restores the whole burst. */
    int64_t later = now + 12 * (int64_t)SECOND + 60 * (int64_t)SECOND;
    for (int i = 0; i < 5; i++)
        cr_assert(hit(&g, &tat, later, NULL));
    cr_assert_not(hit(&g, &tat, later, NULL));
}

Test(gcra, seconds_round_up)
{
    cr_assert_eq(gcra_ceil_seconds(0), 0);
    cr_assert_eq(gcra_ceil_seconds(-5), 0);
    cr_assert_eq(gcra_ceil_seconds(1), 1);
    cr_assert_eq(gcra_ceil_seconds(SECOND), 1);
    cr_assert_eq(gcra_ceil_seconds(SECOND + 1), 2);
    gcra_result_t g = {
        .allowed = false, .limit = 3, .remaining = 0, .reset_us = 1500000, .retry_after_us = 1};
    ratelimit_result_t r;
    ratelimit__result_from_gcra(&g, &r);
    cr_assert_eq(r.retry_after_s, 1); /* never 0 on a refusal */
    cr_assert_eq(r.reset_s, 2);
    cr_assert_eq(r.remaining, 0);
}

Test(gcra, uneven_interval_rounds_against_the_client)
{
    gcra_t g;
    gcra_init(&g, 7, 60); /* 60 / 7 s does not divide: T rounds up */
    cr_assert_geq(g.interval_us * 7, 60 * (int64_t)SECOND);
    int64_t tat = 0;
    int passed = 0;
    /* One request per millisecond for a minute: never more than 7 + 60/T. */
    for (int64_t t = 0; t < 60 * (int64_t)SECOND; t += 1000)
        passed += hit(&g, &tat, t, NULL);
    cr_assert_leq(passed, 7 + 7);
}

/* The test a fixed window fails: `limit` requests just before a window
 * boundary and `limit` just after. A fixed window lets all 2 x limit through
 * within 200 ms; GCRA lets through `limit`. */
Test(gcra, burst_straddling_a_window_boundary)
{
    const uint32_t limit = 10;
    const int64_t period = 60 * (int64_t)SECOND;
    gcra_t g;
    gcra_init(&g, limit, 60);

    /* Reference: a fixed-window counter over the same requests. */
    int64_t window_start = 0;
    uint32_t window_count = 0;
    int fixed_passed = 0, gcra_passed = 0;
    int64_t tat = 0;
    for (int i = 0; i < 2 * (int)limit; i++) {
        /* 10 requests at 59.9 s .. 59.99 s, 10 at 60.0 s .. 60.09 s */
        int64_t now = period - 100000 + i * 10000;
        if (now - window_start >= period) {
            window_start = now - now % period;
            window_count = 0;
        }
        if (window_count < limit) {
            window_count++;
            fixed_passed++;
        }
        gcra_passed += hit(&g, &tat, now, NULL);
    }
    cr_assert_eq(fixed_passed, 2 * (int)limit, "the reference fixed window lets 2 x limit through");
    cr_assert_eq(gcra_passed, (int)limit);
}

/* The precise guarantee: over random arrivals, any span of length d lets
 * through at most limit + floor(d / T) requests. */
Test(gcra, bound_over_any_span)
{
    const uint32_t limit = 5;
    gcra_t g;
    gcra_init(&g, limit, 10); /* T = 2 s */
    enum { N = 3000 };
    int64_t *passed_at = calloc(N, sizeof(*passed_at));
    size_t passed = 0;
    int64_t tat = 0, now = 0;
    srand(12345);
    for (int i = 0; i < N; i++) {
        now += rand() % 700000; /* a request every 0..0.7 s */
        if (hit(&g, &tat, now, NULL))
            passed_at[passed++] = now;
    }
    cr_assert_gt(passed, 100);
    for (size_t i = 0; i < passed; i++) {
        for (size_t j = i; j < passed; j++) {
            int64_t span = passed_at[j] - passed_at[i];
            size_t count = j - i + 1;
            cr_assert_leq(count, limit + (size_t)(span / g.interval_us),
                          "%zu requests passed within %lld us", count, (long long)span);
        }
    }
    free(passed_at);
}

/* ---- the memory store on a controlled clock ---- */

static int64_t fake_now;

static int64_t fake_clock(void *data)
{
    (void)data;
    return fake_now;
}

static ratelimit_t *memory_limiter(uv_loop_t *loop, uint32_t limit, uint32_t period_s,
                                   size_t max_keys)
{
    ratelimit_options_t opts;
    ratelimit_options_init(&opts, NULL);
    for (int i = 0; i < RATE_CLASS_COUNT; i++)
        opts.classes[i] = (rate_spec_t){limit, period_s};
    opts.max_keys = max_keys;
    opts.clock = fake_clock;
    opts.clock_data = NULL;
    return ratelimit_memory_new(loop, &opts);
}

static void close_limiter(uv_loop_t *loop, ratelimit_t *rl)
{
    ratelimit_close(rl);
    uv_run(loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(loop), 0);
}

static ratelimit_result_t last;

static void on_result(const ratelimit_result_t *result, void *user_data)
{
    (void)user_data;
    last = *result;
}

static bool check(ratelimit_t *rl, ratelimit_class_t cls, const char *key)
{
    memset(&last, 0, sizeof(last));
    cr_assert_eq(ratelimit_check(rl, cls, key, strlen(key), on_result, NULL), 0);
    cr_assert_neq(last.limit, 0, "the memory store answers before returning");
    return last.allowed;
}

Test(gcra, memory_store_refills_on_its_clock)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_now = 5 * (int64_t)SECOND;
    ratelimit_t *rl = memory_limiter(&loop, 3, 30, 100); /* T = 10 s */
    for (int i = 0; i < 3; i++)
        cr_assert(check(rl, RATE_CLASS_WRITE, "u:1"));
    cr_assert_not(check(rl, RATE_CLASS_WRITE, "u:1"));
    cr_assert_eq(last.retry_after_s, 10);
    cr_assert_eq(last.reset_s, 30);
    fake_now += 10 * (int64_t)SECOND - 1;
    cr_assert_not(check(rl, RATE_CLASS_WRITE, "u:1"));
    cr_assert_eq(last.retry_after_s, 1); /* 1 us to go rounds up to 1 s */
    fake_now += 1;
    cr_assert(check(rl, RATE_CLASS_WRITE, "u:1"));
    /* Other classes and keys are untouched. */
    cr_assert(check(rl, RATE_CLASS_READ, "u:1"));
    cr_assert(check(rl, RATE_CLASS_WRITE, "u:2"));
    close_limiter(&loop, rl);
}

Test(gcra, memory_store_burst_straddling_a_window_boundary)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    ratelimit_t *rl = memory_limiter(&loop, 30, 60, 100);
    int passed = 0;
    /* 60 requests over the 100 ms around t = 60 s. */
    for (int i = 0; i < 60; i++) {
        fake_now = 60 * (int64_t)SECOND - 50000 + i * 1666;
        passed += check(rl, RATE_CLASS_WRITE, "ip:203.0.113.9");
    }
    cr_assert_eq(passed, 30);
    close_limiter(&loop, rl);
}

Test(gcra, memory_store_share_of_the_limit)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_now = 0;
    ratelimit_t *rl = memory_limiter(&loop, 10, 60, 100);
    ratelimit_result_t r;
    int passed = 0;
    for (int i = 0; i < 10; i++) {
        ratelimit__memory_decide(rl, RATE_CLASS_WRITE, RATELIMIT_COUNT, "k", 1, 2, &r);
        passed += r.allowed;
    }
    cr_assert_eq(passed, 5);
    cr_assert_eq(r.limit, 5);
    passed = 0;
    for (int i = 0; i < 10; i++) {
        ratelimit__memory_decide(rl, RATE_CLASS_READ, RATELIMIT_COUNT, "k", 1, 100, &r);
        passed += r.allowed;
    }
    cr_assert_eq(passed, 1, "a share never drops below one request");
    close_limiter(&loop, rl);
}

Test(gcra, memory_store_key_bound_and_expiry)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_now = 0;
    ratelimit_t *rl = memory_limiter(&loop, 2, 10, 50);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "ip:10.0.%d.%d", i / 256, i % 256);
        cr_assert(check(rl, RATE_CLASS_READ, key));
    }
    ratelimit_stats_t stats;
    ratelimit_get_stats(rl, &stats);
    cr_assert_eq(stats.keys, 50);
    cr_assert_eq(stats.evictions, 950);
    /* After the period every state has expired: a sweep leaves nothing. */
    fake_now = 20 * (int64_t)SECOND;
    ratelimit__memory_clear(rl);
    ratelimit_get_stats(rl, &stats);
    cr_assert_eq(stats.keys, 0);
    cr_assert_eq(stats.checks, 1000);
    cr_assert_eq(ratelimit_check(rl, RATE_CLASS_READ, NULL, 1, on_result, NULL),
                 RATELIMIT_E_INVALID);
    close_limiter(&loop, rl);
}
