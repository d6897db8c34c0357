/* The cache behaviour suite: written once, run against the memory, redis and
 * hybrid stores through cache.h only, on a real loop and a real redis-server.
 * A few tests only make sense for some stores (Redis outages, two instances). */
#include "harness.h"

#include "core/xmalloc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct {
    bool done;
    bool hit;
    char *value;
    size_t len;
} got_t;

static void on_got(char *value, size_t len, void *user_data)
{
    got_t *got = user_data;
    free(got->value);
    got->done = true;
    got->hit = value != NULL;
    got->value = value;
    got->len = len;
}

static void got_reset(got_t *got)
{
    free(got->value);
    memset(got, 0, sizeof(*got));
}

static void on_done(void *user_data)
{
    (*(int *)user_data)++;
}

/* Blocking-style helpers for the tests: start the operation, run the loop until
 * it completes (2 s at most). They return false on a timeout. */
static bool get_now(env_t *env, cache_t *cache, const char *ns, const char *key, got_t *got)
{
    got_reset(got);
    if (cache_get(cache, ns, key, strlen(key), on_got, got) != 0)
        return false;
    uint64_t deadline = clock_now_ms() + 2000;
    while (!got->done && clock_now_ms() < deadline)
        env_spin(env);
    return got->done;
}

static bool set_now(env_t *env, cache_t *cache, const char *ns, const char *key, const void *value,
                    size_t len, uint64_t ttl_ms)
{
    int done = 0;
    if (cache_set(cache, ns, key, strlen(key), value, len, ttl_ms, on_done, &done) != 0)
        return false;
    uint64_t deadline = clock_now_ms() + 2000;
    while (!done && clock_now_ms() < deadline)
        env_spin(env);
    return done == 1;
}

static bool del_now(env_t *env, cache_t *cache, const char *ns, const char *key)
{
    int done = 0;
    if (cache_delete(cache, ns, key, strlen(key), on_done, &done) != 0)
        return false;
    uint64_t deadline = clock_now_ms() + 2000;
    while (!done && clock_now_ms() < deadline)
        env_spin(env);
    return done == 1;
}

static bool bump_now(env_t *env, cache_t *cache, const char *ns)
{
    int done = 0;
    if (cache_bump(cache, ns, on_done, &done) != 0)
        return false;
    uint64_t deadline = clock_now_ms() + 2000;
    while (!done && clock_now_ms() < deadline)
        env_spin(env);
    return done == 1;
}

static bool hit_equals(const got_t *got, const char *expected)
{
    return got->hit && got->len == strlen(expected) && memcmp(got->value, expected, got->len) == 0;
}

/* ---- basic operations ---- */

static void test_get_set_binary(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    got_t got = {0};
    CHECK(env, get_now(env, cache, "ad", "1", &got) && !got.hit);

    const char value[] = {'a', '\0', 'b', '\xff', '\0', 'c'};
    CHECK(env, set_now(env, cache, "ad", "1", value, sizeof(value), 60000));
    CHECK(env, get_now(env, cache, "ad", "1", &got));
    CHECK(env, got.hit && got.len == sizeof(value) && memcmp(got.value, value, sizeof(value)) == 0);
    CHECK(env, got.value[got.len] == '\0');

    /* Binary keys: a NUL inside the key is part of it. */
    const char key_a[] = {'k', '\0', 'x'};
    const char key_b[] = {'k', '\0', 'y'};
    int done = 0;
    CHECK(env, cache_set(cache, "ad", key_a, 3, "A", 1, 60000, on_done, &done) == 0);
    WAIT_UNTIL(env, done == 1, 2000);
    got_reset(&got);
    CHECK(env, cache_get(cache, "ad", key_b, 3, on_got, &got) == 0);
    WAIT_UNTIL(env, got.done, 2000);
    CHECK(env, !got.hit);
    got_reset(&got);
    CHECK(env, cache_get(cache, "ad", key_a, 3, on_got, &got) == 0);
    WAIT_UNTIL(env, got.done, 2000);
    CHECK(env, hit_equals(&got, "A"));

    /* Overwrite, empty value. */
    CHECK(env, set_now(env, cache, "ad", "1", "", 0, 60000));
    CHECK(env, get_now(env, cache, "ad", "1", &got) && got.hit && got.len == 0);
    got_reset(&got);
}

static void test_invalid_arguments(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    got_t got = {0};
    CHECK(env, cache_get(cache, "", "k", 1, on_got, &got) == CACHE_E_INVALID);
    CHECK(env, cache_get(cache, "bad:ns", "k", 1, on_got, &got) == CACHE_E_INVALID);
    CHECK(env, cache_set(cache, "ad", "k", 1, "v", 1, 0, NULL, NULL) == CACHE_E_INVALID);
    char *big = xcalloc(1, CACHE_MAX_KEY_BYTES + 1);
    int rc = cache_get(cache, "ad", big, CACHE_MAX_KEY_BYTES + 1, on_got, &got);
    free(big);
    CHECK(env, rc == CACHE_E_INVALID);
    CHECK(env, !got.done);
}

static void test_ttl_expiry(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    got_t got = {0};
    uint64_t start = clock_now_ms();
    CHECK(env, set_now(env, cache, "ad", "short", "v", 1, 150));
    CHECK(env, set_now(env, cache, "ad", "long", "w", 1, 60000));
    CHECK(env, get_now(env, cache, "ad", "short", &got) && hit_equals(&got, "v"));
    /* Poll until it is gone; it must not go before its TTL. */
    while (get_now(env, cache, "ad", "short", &got) && got.hit) {
        CHECK(env, clock_now_ms() - start < 3000);
        env_run_for(env, 10);
    }
    CHECK(env, got.done && !got.hit);
    /* Not before its TTL, give or take 10 ms: Redis times the expiry by its
     * own clock, read once per event-loop turn (which can be a few ms before
     * our command arrived) and not the monotonic one measured here; CI once
     * saw it gone a moment short of 150 ms. */
    CHECK(env, clock_now_ms() - start >= 150 - 10);
    CHECK(env, get_now(env, cache, "ad", "long", &got) && hit_equals(&got, "w"));
    got_reset(&got);
}

static void test_delete(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    got_t got = {0};
    CHECK(env, set_now(env, cache, "ad", "1", "one", 3, 60000));
    CHECK(env, set_now(env, cache, "ad", "2", "two", 3, 60000));
    CHECK(env, del_now(env, cache, "ad", "1"));
    CHECK(env, get_now(env, cache, "ad", "1", &got) && !got.hit);
    CHECK(env, get_now(env, cache, "ad", "2", &got) && hit_equals(&got, "two"));
    CHECK(env, del_now(env, cache, "ad", "missing"));
    got_reset(&got);
}

static void test_namespace_bump(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    got_t got = {0};
    CHECK(env, set_now(env, cache, "search", "a", "A", 1, 60000));
    CHECK(env, set_now(env, cache, "search", "b", "B", 1, 60000));
    CHECK(env, set_now(env, cache, "ad", "a", "X", 1, 60000));
    CHECK(env, bump_now(env, cache, "search"));
    CHECK(env, get_now(env, cache, "search", "a", &got) && !got.hit);
    CHECK(env, get_now(env, cache, "search", "b", &got) && !got.hit);
    CHECK(env, get_now(env, cache, "ad", "a", &got) && hit_equals(&got, "X"));
    /* The namespace works as before under its new version. */
    CHECK(env, set_now(env, cache, "search", "a", "A2", 2, 60000));
    CHECK(env, get_now(env, cache, "search", "a", &got) && hit_equals(&got, "A2"));
    CHECK(env, bump_now(env, cache, "search"));
    CHECK(env, get_now(env, cache, "search", "a", &got) && !got.hit);
    got_reset(&got);
}

static void test_stats(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    got_t got = {0};
    CHECK(env, get_now(env, cache, "ad", "1", &got));
    CHECK(env, set_now(env, cache, "ad", "1", "v", 1, 60000));
    CHECK(env, get_now(env, cache, "ad", "1", &got));
    CHECK(env, get_now(env, cache, "ad", "1", &got));
    CHECK(env, get_now(env, cache, "ad", "1", &got));
    cache_stats_t stats;
    cache_get_stats(cache, &stats);
    CHECK(env, strcmp(stats.type, env->store) == 0);
    CHECK(env, stats.hits == 3 && stats.misses == 1);
    CHECK(env, stats.hit_rate > 0.74 && stats.hit_rate < 0.76);
    CHECK(env, stats.sets == 1);
    CHECK(env, !stats.degraded && stats.fallbacks == 0);
    if (strcmp(env->store, "memory") == 0)
        CHECK(env, stats.entries == 1 && stats.bytes > 0);
    if (strcmp(env->store, "hybrid") == 0)
        CHECK(env, stats.l1_hits >= 2); /* the first read filled the L1 */
    json_t *json = cache_stats_json(&stats);
    CHECK(env, json && json_integer_value(json_object_get(json, "hits")) == 3);
    json_decref(json);
    got_reset(&got);
}

static void test_memory_bounds(env_t *env)
{
    cache_options_t opts;
    cache_options_init(&opts, NULL);
    opts.max_entries = 100;
    opts.max_bytes = 1 << 20;
    cache_t *cache = env_cache(env, &opts);
    CHECK(env, cache);
    char key[16], value[64];
    memset(value, 'v', sizeof(value));
    for (int i = 0; i < 250; i++) {
        snprintf(key, sizeof(key), "%d", i);
        CHECK(env, set_now(env, cache, "ad", key, value, sizeof(value), 60000));
    }
    cache_stats_t stats;
    cache_get_stats(cache, &stats);
    CHECK(env, stats.entries == 100);
    CHECK(env, stats.evictions == 150);
    got_t got = {0};
    CHECK(env, get_now(env, cache, "ad", "249", &got) && got.hit);
    CHECK(env, get_now(env, cache, "ad", "0", &got) && !got.hit);
    got_reset(&got);

    /* The byte bound: entries of ~64 KiB in a 1 MiB table. */
    char *big = xmalloc(64 * 1024);
    memset(big, 'b', 64 * 1024);
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "big%d", i);
        CHECK(env, set_now(env, cache, "img", key, big, 64 * 1024, 60000));
    }
    free(big);
    cache_get_stats(cache, &stats);
    CHECK(env, stats.bytes <= (1 << 20));
    CHECK(env, stats.entries < 20);
}

/* ---- single flight and stale-while-revalidate ---- */

typedef struct fetches_s {
    int answered;
    int ok;
    int failed_status;
    char last[32];
} fetches_t;

typedef struct {
    env_t *env;
    int calls;
    const char *value;
    int status;
    uv_timer_t timer;
    cache_load_t *pending;
    bool timer_open;
    /* When set: how many of its fetches were answered when the loader was
     * last called (the loader must start before the first answer). */
    const fetches_t *watch;
    int watched_answered;
} loader_t;

static void on_loader_timer(uv_timer_t *timer)
{
    loader_t *loader = timer->data;
    cache_load_t *load = loader->pending;
    loader->pending = NULL;
    cache_load_done(load, loader->status, loader->value, loader->value ? strlen(loader->value) : 0);
}

/* Loads asynchronously, 20 ms later, like a database query would. */
static void slow_loader(cache_load_t *load, void *loader_data)
{
    loader_t *loader = loader_data;
    loader->calls++;
    if (loader->watch != NULL)
        loader->watched_answered = loader->watch->answered;
    loader->pending = load;
    uv_timer_start(&loader->timer, on_loader_timer, 20, 0);
}

static void loader_init(env_t *env, loader_t *loader, const char *value)
{
    memset(loader, 0, sizeof(*loader));
    loader->env = env;
    loader->value = value;
    uv_timer_init(&env->loop, &loader->timer);
    loader->timer.data = loader;
    loader->timer_open = true;
}

static void on_loader_closed(uv_handle_t *handle)
{
    loader_t *loader = handle->data;
    loader->timer_open = false;
}

/* The loader lives on the test's stack: its timer must be closed before the
 * test returns. */
static void loader_close(loader_t *loader)
{
    if (!loader->timer_open)
        return;
    uv_close((uv_handle_t *)&loader->timer, on_loader_closed);
    while (loader->timer_open)
        env_spin(loader->env);
}

static void on_fetched(int status, char *value, size_t len, void *user_data)
{
    fetches_t *f = user_data;
    f->answered++;
    if (status == 0) {
        f->ok++;
        snprintf(f->last, sizeof(f->last), "%.*s", (int)len, value);
    } else {
        f->failed_status = status;
    }
    free(value);
}

static void test_single_flight(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    static loader_t loader; /* outlives an early return: its timer closes in the teardown */
    loader_init(env, &loader, "loaded");
    fetches_t fetches = {0};
    for (int i = 0; i < 100; i++)
        CHECK(env, cache_fetch(cache, "ad", "hot", 3, 60000, slow_loader, &loader, on_fetched,
                               &fetches) == 0);
    WAIT_UNTIL(env, fetches.answered == 100, 3000);
    CHECK(env, fetches.ok == 100 && strcmp(fetches.last, "loaded") == 0);
    CHECK(env, loader.calls == 1);

    /* Stored: the next fetch is a hit without the loader. */
    fetches_t again = {0};
    CHECK(env,
          cache_fetch(cache, "ad", "hot", 3, 60000, slow_loader, &loader, on_fetched, &again) == 0);
    WAIT_UNTIL(env, again.answered == 1, 2000);
    CHECK(env, again.ok == 1 && loader.calls == 1);
    cache_stats_t stats;
    cache_get_stats(cache, &stats);
    CHECK(env, stats.loads == 1 && stats.coalesced == 99);
    CHECK(env, stats.hits >= 1);
    loader_close(&loader);
}

static void test_loader_failure(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    static loader_t loader; /* outlives an early return: its timer closes in the teardown */
    loader_init(env, &loader, NULL);
    loader.status = -42;
    fetches_t fetches = {0};
    for (int i = 0; i < 10; i++)
        CHECK(env, cache_fetch(cache, "ad", "bad", 3, 60000, slow_loader, &loader, on_fetched,
                               &fetches) == 0);
    WAIT_UNTIL(env, fetches.answered == 10, 2000);
    CHECK(env, fetches.ok == 0 && fetches.failed_status == -42 && loader.calls == 1);
    got_t got = {0};
    CHECK(env, get_now(env, cache, "ad", "bad", &got) && !got.hit); /* nothing stored */
    got_reset(&got);
    loader_close(&loader);
}

/* A delete or bump while a key loads: a fetch after it starts a new load
 * (the writer never joins a load that read the data before its change), the
 * old load still answers its own waiters, and only the new value is stored. */
static void test_invalidation_during_load(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    static loader_t before, after; /* outlive an early return: closed in the teardown */
    for (int bump = 0; bump <= 1; bump++) {
        loader_init(env, &before, "old");
        loader_init(env, &after, "new");
        const char *key = bump ? "inv-bump" : "inv-del";
        fetches_t a = {0}, b = {0};
        CHECK(env, cache_fetch(cache, "ad", key, strlen(key), 60000, slow_loader, &before,
                               on_fetched, &a) == 0);
        WAIT_UNTIL(env, before.calls == 1, 1000); /* the read missed: the load runs */
        CHECK(env, bump ? bump_now(env, cache, "ad") : del_now(env, cache, "ad", key));
        CHECK(env, cache_fetch(cache, "ad", key, strlen(key), 60000, slow_loader, &after,
                               on_fetched, &b) == 0);
        WAIT_UNTIL(env, a.answered == 1 && b.answered == 1, 2000);
        CHECK(env, after.calls == 1 && before.calls == 1);
        CHECK(env, strcmp(a.last, "old") == 0 && strcmp(b.last, "new") == 0);
        got_t got = {0};
        CHECK(env, get_now(env, cache, "ad", key, &got) && hit_equals(&got, "new"));
        got_reset(&got);
        loader_close(&before);
        loader_close(&after);
    }
}

static void test_stale_while_revalidate(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    static loader_t loader; /* outlives an early return: its timer closes in the teardown */
    loader_init(env, &loader, "v1");
    fetches_t first = {0};
    CHECK(env,
          cache_fetch(cache, "ad", "swr", 3, 200, slow_loader, &loader, on_fetched, &first) == 0);
    WAIT_UNTIL(env, first.answered == 1, 2000);
    CHECK(env, strcmp(first.last, "v1") == 0 && loader.calls == 1);

    /* Past its TTL (a plain get misses), inside its stale window (200 ms more). */
    got_t got = {0};
    uint64_t deadline = clock_now_ms() + 2000;
    while (get_now(env, cache, "ad", "swr", &got) && got.hit && clock_now_ms() < deadline)
        env_run_for(env, 5);
    CHECK(env, got.done && !got.hit);

    loader.value = "v2";
    fetches_t stale = {0};
    loader.watch = &stale;
    loader.watched_answered = -1;
    CHECK(env,
          cache_fetch(cache, "ad", "swr", 3, 60000, slow_loader, &loader, on_fetched, &stale) == 0);
    /* Served without waiting for the loader (memory answers at once; Redis
     * within a round trip), with the old value. */
    WAIT_UNTIL(env, stale.answered == 1, 1000);
    CHECK(env, strcmp(stale.last, "v1") == 0);
    CHECK(env, loader.calls == 2);
    /* The refresh started before the caller was answered: a loader may copy
     * its caller's data when it is called. */
    CHECK(env, loader.watched_answered == 0);
    loader.watch = NULL;
    /* A fetch during the refresh also gets the stale value, and no second load. */
    fetches_t during = {0};
    CHECK(env, cache_fetch(cache, "ad", "swr", 3, 60000, slow_loader, &loader, on_fetched,
                           &during) == 0);
    WAIT_UNTIL(env, during.answered == 1, 1000);
    CHECK(env, loader.calls == 2);
    /* Once the refresh is stored, the new value is served. */
    WAIT_UNTIL(env, loader.pending == NULL, 2000);
    CHECK(env, get_now(env, cache, "ad", "swr", &got) && hit_equals(&got, "v2"));
    cache_stats_t stats;
    cache_get_stats(cache, &stats);
    CHECK(env, stats.stale_served >= 1);
    got_reset(&got);
    loader_close(&loader);
}

/* ---- Redis outages (redis, hybrid) ---- */

static void test_redis_killed_and_back(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    CHECK(env, cache);
    got_t got = {0};
    CHECK(env, set_now(env, cache, "ad", "before", "b", 1, 60000));

    env_redis_kill(env);
    /* The client notices within a loop turn or two (EOF on its sockets). */
    WAIT_UNTIL(env, redis_client_state(env->clients[0]) == REDIS_STATE_DOWN, 2000);
    /* Every operation keeps working from memory; none fails or hangs. */
    for (int i = 0; i < 5; i++) {
        CHECK(env, get_now(env, cache, "ad", "before", &got) && !got.hit);
        CHECK(env, set_now(env, cache, "ad", "during", "d", 1, 60000));
        CHECK(env, get_now(env, cache, "ad", "during", &got) && hit_equals(&got, "d"));
    }
    CHECK(env, del_now(env, cache, "ad", "during"));
    CHECK(env, get_now(env, cache, "ad", "during", &got) && !got.hit);
    CHECK(env, bump_now(env, cache, "search"));
    cache_stats_t stats;
    cache_get_stats(cache, &stats);
    CHECK(env, stats.degraded && stats.fallbacks == 1);

    /* A single flight still works while degraded. */
    static loader_t loader; /* outlives an early return: its timer closes in the teardown */
    loader_init(env, &loader, "from-db");
    fetches_t fetches = {0};
    for (int i = 0; i < 20; i++)
        CHECK(env, cache_fetch(cache, "ad", "sf", 2, 60000, slow_loader, &loader, on_fetched,
                               &fetches) == 0);
    WAIT_UNTIL(env, fetches.answered == 20, 2000);
    loader_close(&loader);
    CHECK(env, fetches.ok == 20 && loader.calls == 1);

    CHECK(env, env_redis_restart(env));
    WAIT_UNTIL(env, (cache_get_stats(cache, &stats), !stats.degraded), 5000);
    CHECK(env, stats.recoveries == 1 && stats.fallbacks == 1);
    CHECK(env, stats.entries == 0 || strcmp(env->store, "hybrid") == 0);

    /* Back on Redis: a second instance sees what this one stores. */
    CHECK(env, set_now(env, cache, "ad", "after", "a", 1, 60000));
    cache_t *other = env_cache(env, NULL);
    CHECK(env, other);
    CHECK(env, get_now(env, other, "ad", "after", &got) && hit_equals(&got, "a"));
    got_reset(&got);
}

/* Redis stops answering (SIGSTOP) rather than going away: commands time out,
 * the store serves from memory, and a delete made meanwhile is replayed on
 * Redis when it answers again, so no instance reads the deleted value. */
static void test_redis_stalled_replays_deletes(env_t *env)
{
    cache_t *cache = env_cache(env, NULL);
    cache_t *other = env_cache(env, NULL);
    CHECK(env, cache && other);
    got_t got = {0};
    CHECK(env, set_now(env, cache, "ad", "k", "old", 3, 60000));
    CHECK(env, set_now(env, cache, "search", "q", "old", 3, 60000));

    kill(env->redis_server->pid, SIGSTOP);
    uint64_t start = clock_now_ms();
    CHECK(env, del_now(env, cache, "ad", "k")); /* times out, then lands in memory */
    CHECK(env, clock_now_ms() - start < 2000);
    CHECK(env, bump_now(env, cache, "search"));
    cache_stats_t stats;
    cache_get_stats(cache, &stats);
    kill(env->redis_server->pid, SIGCONT);
    CHECK(env, stats.degraded);

    WAIT_UNTIL(env, (cache_get_stats(cache, &stats), !stats.degraded), 5000);
    WAIT_UNTIL(env, (cache_get_stats(other, &stats), !stats.degraded), 5000);
    CHECK(env, get_now(env, other, "ad", "k", &got) && !got.hit);
    CHECK(env, get_now(env, other, "search", "q", &got) && !got.hit);
    CHECK(env, get_now(env, cache, "ad", "k", &got) && !got.hit);
    got_reset(&got);
}

static void test_shared_between_instances(env_t *env)
{
    cache_t *a = env_cache(env, NULL);
    cache_t *b = env_cache(env, NULL);
    CHECK(env, a && b);
    got_t got = {0};
    CHECK(env, set_now(env, a, "ad", "7", "seven", 5, 60000));
    CHECK(env, get_now(env, b, "ad", "7", &got) && hit_equals(&got, "seven"));
    CHECK(env, bump_now(env, b, "ad"));
    CHECK(env, get_now(env, a, "ad", "7", &got) && !got.hit);
    got_reset(&got);
}

/* Hybrid: a delete or bump on one instance evicts the other's L1 within
 * 100 ms. */
static void test_hybrid_invalidation(env_t *env)
{
    cache_t *a = env_cache(env, NULL);
    cache_t *b = env_cache(env, NULL);
    CHECK(env, a && b);
    got_t got = {0};
    CHECK(env, set_now(env, a, "ad", "9", "nine", 4, 60000));
    CHECK(env, get_now(env, b, "ad", "9", &got) && hit_equals(&got, "nine"));
    CHECK(env, get_now(env, b, "ad", "9", &got) && hit_equals(&got, "nine"));
    cache_stats_t stats;
    cache_get_stats(b, &stats);
    CHECK(env, stats.l1_hits == 1);

    /* A changes the data behind B's L1. */
    CHECK(env, del_now(env, a, "ad", "9"));
    uint64_t start = clock_now_ms();
    while (get_now(env, b, "ad", "9", &got) && got.hit)
        CHECK(env, clock_now_ms() - start < 100);
    CHECK(env, got.done && !got.hit);
    uint64_t delete_ms = clock_now_ms() - start;

    CHECK(env, set_now(env, a, "search", "q", "Q", 1, 60000));
    CHECK(env, get_now(env, b, "search", "q", &got) && hit_equals(&got, "Q"));
    CHECK(env, get_now(env, b, "search", "q", &got) && hit_equals(&got, "Q")); /* from L1 */
    CHECK(env, bump_now(env, a, "search"));
    start = clock_now_ms();
    while (get_now(env, b, "search", "q", &got) && got.hit)
        CHECK(env, clock_now_ms() - start < 100);
    CHECK(env, got.done && !got.hit);
    cache_get_stats(b, &stats);
    CHECK(env, stats.invalidations_received == 2);
    printf("    L1 eviction seen after %llu ms (delete), %llu ms (bump)\n",
           (unsigned long long)delete_ms, (unsigned long long)(clock_now_ms() - start));
    got_reset(&got);
}

/* An instance's own write must win over a read of the old value that was
 * already on its way back from Redis: the reply must not refill the L1 (the
 * caller would then read the deleted value for the L1's lifetime). */
static void test_own_write_races_read(env_t *env)
{
    cache_t *a = env_cache(env, NULL);
    cache_t *b = env_cache(env, NULL);
    CHECK(env, a && b);
    got_t got = {0};
    const char *writes[] = {"delete", "bump", "set"};
    for (int w = 0; w < 3; w++) {
        CHECK(env, set_now(env, a, "ad", "5", "old", 3, 60000));
        /* b's read goes out to Redis, then b's own write, with no loop turn
         * in between. */
        got_t racing = {0};
        int done = 0;
        CHECK(env, cache_get(b, "ad", "5", 1, on_got, &racing) == 0);
        if (w == 0)
            CHECK(env, cache_delete(b, "ad", "5", 1, on_done, &done) == 0);
        else if (w == 1)
            CHECK(env, cache_bump(b, "ad", on_done, &done) == 0);
        else
            CHECK(env, cache_set(b, "ad", "5", 1, "new", 3, 60000, on_done, &done) == 0);
        uint64_t deadline = clock_now_ms() + 2000;
        while ((!racing.done || !done) && clock_now_ms() < deadline)
            env_spin(env);
        CHECK(env, racing.done && done == 1);
        got_reset(&racing);
        CHECK(env, get_now(env, b, "ad", "5", &got));
        if (w == 2)
            CHECK(env, hit_equals(&got, "new"));
        else
            CHECK(env, !got.hit);
        if (got.hit && w != 2)
            printf("    after its own %s, b still read the old value\n", writes[w]);
    }
    got_reset(&got);
}

/* Hybrid: while the pub/sub connection is down the L1 is not trusted; when it
 * comes back the L1 starts empty. */
static void test_hybrid_l1_off_without_pubsub(env_t *env)
{
    cache_t *a = env_cache(env, NULL);
    CHECK(env, a);
    got_t got = {0};
    CHECK(env, set_now(env, a, "ad", "1", "x", 1, 60000));
    CHECK(env, get_now(env, a, "ad", "1", &got) && got.hit);
    env_redis_kill(env);
    WAIT_UNTIL(env, !redis_client_pubsub_ready(env->clients[0]), 2000);
    CHECK(env, get_now(env, a, "ad", "1", &got) && !got.hit); /* not from a stale L1 */
    CHECK(env, env_redis_restart(env));
    cache_stats_t stats;
    WAIT_UNTIL(env, (cache_get_stats(a, &stats), !stats.degraded), 5000);
    WAIT_UNTIL(env, redis_client_pubsub_ready(env->clients[0]), 5000);
    cache_get_stats(a, &stats);
    CHECK(env, stats.entries == 0);
    got_reset(&got);
}

/* AUTH and SELECT from the configuration: a client with the password reaches
 * its database; one with a wrong password never comes up and fails fast. */
typedef struct {
    int answered;
    int status;
    char text[64];
} reply_t;

static void on_reply(int status, const redis_reply_t *reply, void *user_data)
{
    reply_t *r = user_data;
    r->answered++;
    r->status = status;
    if (reply && reply->str)
        snprintf(r->text, sizeof(r->text), "%s", reply->str);
    else if (reply && reply->type == REDIS_REPLY_INTEGER)
        snprintf(r->text, sizeof(r->text), "%lld", reply->integer);
}

static void test_redis_password_and_db(env_t *env)
{
    redis_client_t *admin = env_client(env);
    CHECK(env, admin);
    reply_t r = {0};
    const char *set_pass[] = {"CONFIG", "SET", "requirepass", "s3cret pass"};
    CHECK(env, redis_command_argv(admin, 4, set_pass, NULL, on_reply, &r) == 0);
    WAIT_UNTIL(env, r.answered == 1, 2000);
    CHECK(env, r.status == 0);

    redis_client_t *good = env_client_with(env, "s3cret pass", 3, true);
    redis_client_t *bad = env_client_with(env, "wrong", 0, false);
    CHECK(env, good && bad);
    cache_options_t opts;
    cache_options_init(&opts, NULL);
    opts.key_prefix = env->prefix;
    cache_t *cache = cache_redis_new(&env->loop, good, &opts);
    env->caches[env->cache_count++] = cache;
    CHECK(env, set_now(env, cache, "ad", "1", "in-db-3", 7, 60000));

    /* The key is in database 3, not 0. */
    const char *dbsize[] = {"DBSIZE"};
    reply_t size3 = {0};
    CHECK(env, redis_command_argv(good, 1, dbsize, NULL, on_reply, &size3) == 0);
    WAIT_UNTIL(env, size3.answered == 1, 2000);
    CHECK(env, size3.status == 0 && strcmp(size3.text, "0") != 0);

    /* The wrong password: refused at the handshake, retried, never up; its
     * commands fail at once. */
    env_run_for(env, 200);
    CHECK(env, redis_client_state(bad) == REDIS_STATE_CONNECTING);
    CHECK(env, redis_command_argv(bad, 1, dbsize, NULL, on_reply, &r) == REDIS_E_DOWN);

    reply_t cleared = {0};
    const char *clear_pass[] = {"CONFIG", "SET", "requirepass", ""};
    CHECK(env, redis_command_argv(good, 4, clear_pass, NULL, on_reply, &cleared) == 0);
    WAIT_UNTIL(env, cleared.answered == 1, 2000);
    CHECK(env, cleared.status == 0);
}

const test_case_t cache_tests[] = {
    {"get_set_binary", test_get_set_binary, "memory redis hybrid"},
    {"invalid_arguments", test_invalid_arguments, "memory redis hybrid"},
    {"ttl_expiry", test_ttl_expiry, "memory redis hybrid"},
    {"delete", test_delete, "memory redis hybrid"},
    {"namespace_bump", test_namespace_bump, "memory redis hybrid"},
    {"stats", test_stats, "memory redis hybrid"},
    {"memory_bounds", test_memory_bounds, "memory"},
    {"single_flight_100", test_single_flight, "memory redis hybrid"},
    {"loader_failure", test_loader_failure, "memory redis hybrid"},
    {"invalidation_during_load", test_invalidation_during_load, "memory redis hybrid"},
    {"stale_while_revalidate", test_stale_while_revalidate, "memory redis hybrid"},
    {"shared_between_instances", test_shared_between_instances, "redis hybrid"},
    {"hybrid_invalidation_100ms", test_hybrid_invalidation, "hybrid"},
    {"own_write_races_read", test_own_write_races_read, "redis hybrid"},
    {"redis_killed_and_back", test_redis_killed_and_back, "redis hybrid"},
    {"redis_stalled_replays_deletes", test_redis_stalled_replays_deletes, "redis hybrid"},
    {"hybrid_l1_off_without_pubsub", test_hybrid_l1_off_without_pubsub, "hybrid"},
    {"redis_password_and_db", test_redis_password_and_db, "redis"},
    {NULL, NULL, NULL},
};
