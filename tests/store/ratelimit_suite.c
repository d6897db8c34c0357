/* The rate-limiter behaviour suite: written once, run against the memory and
 * redis stores through ratelimit.h only, on a real loop and a real
 * redis-server. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int answered;
    int allowed;
    int refused;
    ratelimit_result_t last;
} tally_t;

static void on_decided(const ratelimit_result_t *result, void *user_data)
{
    tally_t *t = user_data;
    t->answered++;
    if (result->allowed)
        t->allowed++;
    else
        t->refused++;
    t->last = *result;
}

/* One check, waited for (2 s at most). */
static bool check_now(env_t *env, ratelimit_t *rl, ratelimit_class_t cls, const char *key,
                      tally_t *t)
{
    int before = t->answered;
    if (ratelimit_check(rl, cls, key, strlen(key), on_decided, t) != 0)
        return false;
    uint64_t deadline = clock_now_ms() + 2000;
    while (t->answered == before && clock_now_ms() < deadline)
        env_spin(env);
    return t->answered == before + 1;
}

static void options(ratelimit_options_t *opts, uint32_t limit, uint32_t period_s)
{
    ratelimit_options_init(opts, NULL);
    for (int i = 0; i < RATE_CLASS_COUNT; i++)
        opts->classes[i] = (rate_spec_t){limit, period_s};
}

static void test_allows_limit_then_refuses(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 5, 60);
    ratelimit_t *rl = env_limiter(env, &opts, NULL);
    CHECK(env, rl);
    tally_t t = {0};
    for (uint32_t i = 0; i < 5; i++) {
        CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "ip:10.0.0.1", &t));
        CHECK(env, t.last.allowed && t.last.limit == 5 && t.last.remaining == 4 - i);
        CHECK(env, t.last.retry_after_s == 0 && t.last.reset_s >= 1 && t.last.reset_s <= 60);
    }
    CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "ip:10.0.0.1", &t));
    CHECK(env, !t.last.allowed && t.last.remaining == 0 && t.last.limit == 5);
    /* The next request is worth 12 s: Retry-After rounds up, never down. */
    CHECK(env, t.last.retry_after_s >= 11 && t.last.retry_after_s <= 12);
    CHECK(env, t.last.reset_s >= 59 && t.last.reset_s <= 60);

    ratelimit_stats_t stats;
    ratelimit_get_stats(rl, &stats);
    CHECK(env, stats.checks == 6 && stats.allowed == 5 && stats.refused == 1);
    CHECK(env, stats.refused_by_class[RATE_CLASS_WRITE] == 1);
    CHECK(env, strcmp(stats.type, env->store) == 0 && !stats.degraded);
    json_t *json = ratelimit_stats_json(&stats);
    CHECK(env, json && json_integer_value(json_object_get(json, "refused")) == 1);
    json_decref(json);
}

static void test_keys_and_classes_independent(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 2, 60);
    opts.classes[RATE_CLASS_READ] = (rate_spec_t){3, 60};
    ratelimit_t *rl = env_limiter(env, &opts, NULL);
    CHECK(env, rl);
    tally_t a = {0}, b = {0}, r = {0};
    for (int i = 0; i < 4; i++) {
        CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "u:1", &a));
        CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "u:2", &b));
        CHECK(env, check_now(env, rl, RATE_CLASS_READ, "u:1", &r));
    }
    CHECK(env, a.allowed == 2 && b.allowed == 2 && r.allowed == 3);
    CHECK(env, r.last.limit == 3);
    /* Binary keys are distinct byte strings. */
    tally_t x = {0};
    CHECK(env, ratelimit_check(rl, RATE_CLASS_AUTH_EMAIL, "a\0b", 3, on_decided, &x) == 0);
    CHECK(env, ratelimit_check(rl, RATE_CLASS_AUTH_EMAIL, "a\0c", 3, on_decided, &x) == 0);
    WAIT_UNTIL(env, x.answered == 2, 2000);
    CHECK(env, x.allowed == 2);
    CHECK(env,
          ratelimit_check(rl, RATE_CLASS_COUNT, "k", 1, on_decided, &x) == RATELIMIT_E_INVALID);
}

static void test_refills_over_time(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 5, 1); /* one request every 200 ms */
    ratelimit_t *rl = env_limiter(env, &opts, NULL);
    CHECK(env, rl);
    tally_t t = {0};
    for (int i = 0; i < 6; i++)
        CHECK(env, check_now(env, rl, RATE_CLASS_READ, "k", &t));
    CHECK(env, t.allowed == 5 && !t.last.allowed && t.last.retry_after_s == 1);
    uint64_t refused_at = clock_now_ms();
    /* Poll until one more passes: no sooner than ~200 ms, well before 1 s. */
    while (true) {
        env_run_for(env, 20);
        CHECK(env, check_now(env, rl, RATE_CLASS_READ, "k", &t));
        if (t.last.allowed)
            break;
        CHECK(env, clock_now_ms() - refused_at < 1500);
    }
    CHECK(env, clock_now_ms() - refused_at >= 150);
}

static void test_burst_never_passes_more_than_limit(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 20, 60);
    ratelimit_t *rl = env_limiter(env, &opts, NULL);
    CHECK(env, rl);
    tally_t t = {0};
    for (int i = 0; i < 60; i++)
        CHECK(env, ratelimit_check(rl, RATE_CLASS_WRITE, "burst", 5, on_decided, &t) == 0);
    WAIT_UNTIL(env, t.answered == 60, 3000);
    CHECK(env, t.allowed == 20 && t.refused == 40);
}

static void test_ip_spray_stays_bounded(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 10, 60);
    opts.max_keys = 10000;
    ratelimit_t *rl = env_limiter(env, &opts, NULL);
    CHECK(env, rl);
    tally_t t = {0};
    char key[48];
    uint32_t x = 2463534242u;
    for (int i = 0; i < 1000000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        int len = snprintf(key, sizeof(key), "ip:%u.%u.%u.%u", x >> 24, (x >> 16) & 255,
                           (x >> 8) & 255, x & 255);
        CHECK(env, ratelimit_check(rl, RATE_CLASS_READ, key, (size_t)len, on_decided, &t) == 0);
    }
    CHECK(env, t.answered == 1000000 && t.allowed == 1000000);
    ratelimit_stats_t stats;
    ratelimit_get_stats(rl, &stats);
    CHECK(env, stats.keys <= 10000 && stats.keys > 0);
    CHECK(env, stats.evictions >= 1000000 - 10000 - 1);
    CHECK(env, stats.max_keys == 10000);
    /* Still limiting correctly for a key that keeps coming. */
    tally_t k = {0};
    for (int i = 0; i < 11; i++)
        CHECK(env, check_now(env, rl, RATE_CLASS_READ, "ip:192.0.2.1", &k));
    CHECK(env, k.allowed == 10 && k.refused == 1);
}

/* Two instances on one Redis share one limit. */
static void test_shared_between_instances(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 10, 60);
    ratelimit_t *a = env_limiter(env, &opts, NULL);
    ratelimit_t *b = env_limiter(env, &opts, NULL);
    CHECK(env, a && b);
    tally_t t = {0};
    for (int i = 0; i < 12; i++)
        CHECK(env, check_now(env, i % 2 ? a : b, RATE_CLASS_WRITE, "u:5", &t));
    CHECK(env, t.allowed == 10 && t.refused == 2);
}

static void test_redis_killed_and_back(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 3, 60);
    ratelimit_t *rl = env_limiter(env, &opts, NULL);
    CHECK(env, rl);
    tally_t t = {0};
    CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "k", &t) && t.last.allowed);

    env_redis_kill(env);
    /* Decided in memory: the full limit (no heartbeat seen: one instance). */
    tally_t down = {0};
    for (int i = 0; i < 5; i++)
        CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "k", &down));
    CHECK(env, down.answered == 5 && down.allowed == 3 && down.refused == 2);
    ratelimit_stats_t stats;
    ratelimit_get_stats(rl, &stats);
    CHECK(env, stats.degraded && stats.fallbacks == 1 && stats.fallback_checks >= 4);
    CHECK(env, stats.keys == 1);

    CHECK(env, env_redis_restart(env));
    WAIT_UNTIL(env, (ratelimit_get_stats(rl, &stats), !stats.degraded), 5000);
    CHECK(env, stats.recoveries == 1 && stats.keys == 0);
    /* A fresh Redis: the key starts over, and is decided there. */
    tally_t up = {0};
    for (int i = 0; i < 4; i++)
        CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "k", &up));
    CHECK(env, up.allowed == 3 && up.refused == 1);
    uint64_t fallback_checks = stats.fallback_checks;
    ratelimit_get_stats(rl, &stats);
    CHECK(env, stats.fallback_checks == fallback_checks);
}

/* With Redis down and two instances announced, each allows half the limit. */
static void test_fallback_share_two_instances(env_t *env)
{
    instances_t *one = env_instances(env, "one");
    instances_t *two = env_instances(env, "two");
    CHECK(env, one && two);
    WAIT_UNTIL(env, instances_live_count(one) == 2 && instances_live_count(two) == 2, 3000);
    ratelimit_options_t opts;
    options(&opts, 10, 60);
    ratelimit_t *a = env_limiter(env, &opts, one);
    ratelimit_t *b = env_limiter(env, &opts, two);
    CHECK(env, a && b);

    env_redis_kill(env);
    tally_t ta = {0}, tb = {0};
    for (int i = 0; i < 10; i++) {
        CHECK(env, check_now(env, a, RATE_CLASS_WRITE, "u:9", &ta));
        CHECK(env, check_now(env, b, RATE_CLASS_WRITE, "u:9", &tb));
    }
    CHECK(env, ta.allowed == 5 && tb.allowed == 5);
    CHECK(env, ta.last.limit == 5);
    ratelimit_stats_t stats;
    ratelimit_get_stats(a, &stats);
    CHECK(env, stats.degraded && stats.instances == 2);
    CHECK(env, env_redis_restart(env));
}

/* Redis lost its scripts (SCRIPT FLUSH): the next check reloads the script. */
static void test_script_flush(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 3, 60);
    ratelimit_t *rl = env_limiter(env, &opts, NULL);
    CHECK(env, rl);
    tally_t t = {0};
    CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "k", &t));
    redis_client_t *raw = env_client(env);
    CHECK(env, raw);
    const char *argv[] = {"SCRIPT", "FLUSH"};
    size_t lens[] = {6, 5};
    CHECK(env, redis_command_argv(raw, 2, argv, lens, NULL, NULL) == 0);
    CHECK(env,
          redis_command_argv(raw, 1, (const char *[]){"PING"}, (size_t[]){4}, NULL, NULL) == 0);
    env_run_for(env, 50);
    for (int i = 0; i < 3; i++)
        CHECK(env, check_now(env, rl, RATE_CLASS_WRITE, "k", &t));
    CHECK(env, t.allowed == 3 && t.refused == 1);
    ratelimit_stats_t stats;
    ratelimit_get_stats(rl, &stats);
    CHECK(env, !stats.degraded && stats.redis_errors == 0);
}

/* One op, waited for (2 s at most). */
static bool apply_now(env_t *env, ratelimit_t *rl, ratelimit_op_t op, const char *key, tally_t *t)
{
    int before = t->answered;
    if (ratelimit_apply(rl, RATE_CLASS_AUTH_EMAIL, op, key, strlen(key), on_decided, t) != 0)
        return false;
    uint64_t deadline = clock_now_ms() + 2000;
    while (t->answered == before && clock_now_ms() < deadline)
        env_spin(env);
    return t->answered == before + 1;
}

/* Failure-only limits: PEEK decides without counting, COUNT counts, CLEAR
 * gives the whole limit back; a COUNT sent without waiting (no callback) is
 * seen by the PEEK after it. */
static void test_peek_count_clear(env_t *env)
{
    ratelimit_options_t opts;
    options(&opts, 3, 900);
    ratelimit_t *rl = env_limiter(env, &opts, NULL);
    CHECK(env, rl);
    tally_t t = {0};
    for (int i = 0; i < 10; i++)
        CHECK(env, apply_now(env, rl, RATELIMIT_PEEK, "login:a|ip:1", &t));
    CHECK(env, t.allowed == 10 && t.last.remaining == 2 && t.last.limit == 3);
    for (int i = 0; i < 3; i++)
        CHECK(env, ratelimit_apply(rl, RATE_CLASS_AUTH_EMAIL, RATELIMIT_COUNT, "login:a|ip:1", 12,
                                   NULL, NULL) == 0);
    CHECK(env, apply_now(env, rl, RATELIMIT_PEEK, "login:a|ip:1", &t));
    CHECK(env, !t.last.allowed && t.last.retry_after_s >= 299 && t.last.retry_after_s <= 300);
    /* Another key is untouched. */
    CHECK(env, apply_now(env, rl, RATELIMIT_PEEK, "login:a|ip:2", &t) && t.last.allowed);
    CHECK(env, apply_now(env, rl, RATELIMIT_CLEAR, "login:a|ip:1", &t));
    CHECK(env, t.last.allowed && t.last.remaining == 3);
    CHECK(env, apply_now(env, rl, RATELIMIT_PEEK, "login:a|ip:1", &t));
    CHECK(env, t.last.allowed && t.last.remaining == 2);
    /* Clearing an unknown key is harmless. */
    CHECK(env, apply_now(env, rl, RATELIMIT_CLEAR, "login:never", &t) && t.last.allowed);
    ratelimit_stats_t stats;
    ratelimit_get_stats(rl, &stats);
    /* 13 peeks and 3 counts are decisions; the clears are not. */
    CHECK(env, stats.checks == 16 && stats.refused == 1);
    CHECK(env, ratelimit_apply(rl, RATE_CLASS_AUTH_EMAIL, (ratelimit_op_t)7, "k", 1, NULL, NULL) ==
                   RATELIMIT_E_INVALID);
    CHECK(env,
          ratelimit_check(rl, RATE_CLASS_AUTH_EMAIL, "k", 1, NULL, NULL) == RATELIMIT_E_INVALID);
}

const test_case_t ratelimit_tests[] = {
    {"peek_count_clear", test_peek_count_clear, "memory redis"},
    {"allows_limit_then_refuses", test_allows_limit_then_refuses, "memory redis"},
    {"keys_and_classes_independent", test_keys_and_classes_independent, "memory redis"},
    {"refills_over_time", test_refills_over_time, "memory redis"},
    {"burst_never_passes_more_than_limit", test_burst_never_passes_more_than_limit, "memory redis"},
    {"ip_spray_1000000_keys_bounded", test_ip_spray_stays_bounded, "memory"},
    {"shared_between_instances", test_shared_between_instances, "redis"},
    {"redis_killed_and_back", test_redis_killed_and_back, "redis"},
    {"fallback_share_two_instances", test_fallback_share_two_instances, "redis"},
    {"script_flush_reloads", test_script_flush, "redis"},
    {NULL, NULL, NULL},
};
