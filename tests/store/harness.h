/* The behaviour suite's small harness: one test = one function run on a fresh
 * libuv loop, with the stores it creates closed afterwards and the loop
 * checked empty (uv_loop_close() == 0), so a leaked handle fails the test.
 *
 * Waiting is always "poll with a bounded deadline": WAIT_UNTIL runs the loop a
 * few milliseconds at a time until the condition holds or the deadline passes,
 * never a sleep that races. */
#ifndef RURAL24_TESTS_STORE_HARNESS_H
#define RURAL24_TESTS_STORE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "core/clock.h"
#include "redis/redis.h"
#include "redis_server.h"
#include "store/cache.h"
#include "store/instances.h"
#include "store/ratelimit.h"

enum { ENV_MAX_OBJECTS = 8 };

typedef struct {
    uv_loop_t loop;
    uv_timer_t wake;            /* bounds each loop turn of WAIT_UNTIL */
    const char *store;          /* "memory", "redis", "hybrid" */
    test_redis_t *redis_server; /* NULL for memory stores */
    char prefix[64];            /* unique per test: keys never collide */
    redis_client_t *clients[ENV_MAX_OBJECTS];
    int client_count;
    cache_t *caches[ENV_MAX_OBJECTS];
    int cache_count;
    ratelimit_t *limiters[ENV_MAX_OBJECTS];
    int limiter_count;
    instances_t *instances[ENV_MAX_OBJECTS];
    int instance_count;
    bool failed;
} env_t;

/* Records a failure of the running test (the test then returns). */
void env_fail(env_t *env, const char *file, int line, const char *what);

#define CHECK(env, cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            env_fail((env), __FILE__, __LINE__, #cond);                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define WAIT_UNTIL(env, cond, timeout_ms)                                                          \
    do {                                                                                           \
        uint64_t wait_deadline_ = clock_now_ms() + (timeout_ms);                                   \
        while (!(cond)) {                                                                          \
            if (clock_now_ms() > wait_deadline_) {                                                 \
                env_fail((env), __FILE__, __LINE__, "timed out waiting for " #cond);               \
                return;                                                                            \
            }                                                                                      \
            env_spin(env);                                                                         \
        }                                                                                          \
    } while (0)

/* Runs the loop for one turn of at most a few milliseconds. */
void env_spin(env_t *env);

/* Runs the loop for about ms milliseconds (for "nothing happens" checks). */
void env_run_for(env_t *env, uint64_t ms);

/* A new client on the test's Redis with short timeouts (connect 300 ms,
 * command 300 ms, backoff 20..200 ms), already up; NULL (and a failure) if it
 * does not come up within 3 s. Closed by the teardown. */
redis_client_t *env_client(env_t *env);

/* The same with AUTH password and SELECT db; wait_up false returns at once
 * (for a client that is expected never to come up). */
redis_client_t *env_client_with(env_t *env, const char *password, int db, bool wait_up);

/* A cache of the env's store (with a new client for redis/hybrid), with the
 * test's key prefix; opts may be NULL for the defaults. For hybrid it waits
 * until the invalidation channel is subscribed. */
cache_t *env_cache(env_t *env, const cache_options_t *opts);

/* A rate limiter of the env's store (new client for redis) with opts' classes,
 * the test's prefix, and instances (may be NULL). */
ratelimit_t *env_limiter(env_t *env, const ratelimit_options_t *opts, instances_t *instances);

/* A heartbeat on its own client, with id and a 100 ms interval. */
instances_t *env_instances(env_t *env, const char *id);

/* Kills / restarts the test's redis-server. */
void env_redis_kill(env_t *env);
bool env_redis_restart(env_t *env);

typedef void (*test_fn)(env_t *env);

typedef struct {
    const char *name;
    test_fn fn;
    const char *stores; /* the stores it runs against, e.g. "memory redis hybrid" */
} test_case_t;

#endif
