/* The harness of harness.h and the suite's main(): picks the tests of one
 * store, runs each on a fresh loop, tears it down and checks the loop is
 * empty. */
#include "harness.h"

#include "core/log.h"

#include <stdlib.h>
#include <string.h>

extern const test_case_t cache_tests[];
extern const test_case_t ratelimit_tests[];

void env_fail(env_t *env, const char *file, int line, const char *what)
{
    env->failed = true;
    fprintf(stderr, "    FAIL %s:%d: %s\n", file, line, what);
}

static void on_wake(uv_timer_t *timer)
{
    (void)timer;
}

void env_spin(env_t *env)
{
    uv_timer_start(&env->wake, on_wake, 2, 0);
    uv_run(&env->loop, UV_RUN_ONCE);
}

void env_run_for(env_t *env, uint64_t ms)
{
    uint64_t end = clock_now_ms() + ms;
    while (clock_now_ms() < end)
        env_spin(env);
}

redis_client_t *env_client(env_t *env)
{
    return env_client_with(env, NULL, 0, true);
}

redis_client_t *env_client_with(env_t *env, const char *password, int db, bool wait_up)
{
    if (!env->redis_server || env->client_count == ENV_MAX_OBJECTS)
        return NULL;
    redis_options_t opts;
    redis_options_init(&opts, "127.0.0.1", env->redis_server->port);
    opts.name = "store-suite";
    opts.password = password;
    opts.db = db;
    opts.connect_timeout_ms = 300;
    opts.command_timeout_ms = 300;
    opts.reconnect_min_ms = 20;
    opts.reconnect_max_ms = 200;
    opts.ping_interval_ms = 200;
    redis_client_t *client = redis_client_new(&env->loop, &opts);
    env->clients[env->client_count++] = client;
    if (!wait_up)
        return client;
    uint64_t deadline = clock_now_ms() + 3000;
    while (redis_client_state(client) != REDIS_STATE_UP) {
        if (clock_now_ms() > deadline) {
            env_fail(env, __FILE__, __LINE__, "redis client did not come up");
            return NULL;
        }
        env_spin(env);
    }
    return client;
}

cache_t *env_cache(env_t *env, const cache_options_t *opts_in)
{
    if (env->cache_count == ENV_MAX_OBJECTS)
        return NULL;
    cache_options_t opts;
    if (opts_in)
        opts = *opts_in;
    else
        cache_options_init(&opts, NULL);
    opts.key_prefix = env->prefix;
    cache_t *cache;
    if (strcmp(env->store, "memory") == 0) {
        cache = cache_memory_new(&env->loop, &opts);
    } else {
        redis_client_t *client = env_client(env);
        if (!client)
            return NULL;
        if (strcmp(env->store, "redis") == 0) {
            cache = cache_redis_new(&env->loop, client, &opts);
        } else {
            cache = cache_hybrid_new(&env->loop, client, &opts);
            uint64_t deadline = clock_now_ms() + 3000;
            while (!redis_client_pubsub_ready(client)) {
                if (clock_now_ms() > deadline) {
                    env_fail(env, __FILE__, __LINE__, "pub/sub did not come up");
                    break;
                }
                env_spin(env);
            }
        }
    }
    env->caches[env->cache_count++] = cache;
    return cache;
}

ratelimit_t *env_limiter(env_t *env, const ratelimit_options_t *opts_in, instances_t *instances)
{
    if (env->limiter_count == ENV_MAX_OBJECTS)
        return NULL;
    ratelimit_options_t opts = *opts_in;
    char prefix[80];
    snprintf(prefix, sizeof(prefix), "%srl:", env->prefix);
    opts.key_prefix = prefix;
    ratelimit_t *rl;
    if (strcmp(env->store, "memory") == 0) {
        rl = ratelimit_memory_new(&env->loop, &opts);
    } else {
        redis_client_t *client = env_client(env);
        if (!client)
            return NULL;
        rl = ratelimit_redis_new(&env->loop, client, instances, &opts);
    }
    env->limiters[env->limiter_count++] = rl;
    return rl;
}

instances_t *env_instances(env_t *env, const char *id)
{
    redis_client_t *client = env_client(env);
    if (!client || env->instance_count == ENV_MAX_OBJECTS)
        return NULL;
    instances_options_t opts;
    instances_options_init(&opts);
    char key[96];
    snprintf(key, sizeof(key), "%sinstances", env->prefix);
    opts.key = key;
    opts.id = id;
    opts.interval_ms = 100;
    instances_t *in = instances_new(&env->loop, client, &opts);
    env->instances[env->instance_count++] = in;
    return in;
}

void env_redis_kill(env_t *env)
{
    test_redis_kill(env->redis_server);
}

bool env_redis_restart(env_t *env)
{
    return test_redis_restart(env->redis_server) == 0;
}

static void teardown(env_t *env)
{
    for (int i = 0; i < env->cache_count; i++)
        cache_close(env->caches[i]);
    for (int i = 0; i < env->limiter_count; i++)
        ratelimit_close(env->limiters[i]);
    for (int i = 0; i < env->instance_count; i++)
        instances_close(env->instances[i]);
    for (int i = 0; i < env->client_count; i++)
        redis_client_close(env->clients[i]);
    uv_close((uv_handle_t *)&env->wake, NULL);
    uv_run(&env->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&env->loop);
    if (rc != 0) {
        env_fail(env, __FILE__, __LINE__, "uv_loop_close: handles left open");
        uv_print_all_handles(&env->loop, stderr);
    }
    /* A test that killed Redis and failed before restarting it must not take
     * the next tests down with it. */
    if (env->redis_server && env->redis_server->pid == 0 &&
        test_redis_restart(env->redis_server) != 0)
        fprintf(stderr, "    cannot restart redis-server\n");
}

static bool runs_on(const test_case_t *t, const char *store)
{
    size_t len = strlen(store);
    for (const char *p = t->stores; (p = strstr(p, store)) != NULL; p += len)
        if ((p == t->stores || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "cache") != 0 && strcmp(argv[1], "ratelimit") != 0)) {
        fprintf(stderr, "usage: %s cache|ratelimit memory|redis|hybrid [test-name]\n", argv[0]);
        return 2;
    }
    const test_case_t *tests = strcmp(argv[1], "cache") == 0 ? cache_tests : ratelimit_tests;
    const char *store = argv[2];
    const char *only = argc > 3 ? argv[3] : NULL;
    log_set_level(getenv("STORE_SUITE_LOG") ? LOG_DEBUG : LOG_ERROR);

    test_redis_t redis_server;
    bool need_redis = strcmp(store, "memory") != 0;
    if (need_redis && test_redis_start(&redis_server) != 0) {
        fprintf(stderr, "cannot start redis-server\n");
        return 1;
    }

    int run = 0, failed = 0;
    uint64_t suite_start = clock_now_ms();
    for (const test_case_t *t = tests; t->name; t++) {
        if (!runs_on(t, store) || (only && strcmp(only, t->name) != 0))
            continue;
        env_t env;
        memset(&env, 0, sizeof(env));
        uv_loop_init(&env.loop);
        uv_timer_init(&env.loop, &env.wake);
        env.store = store;
        env.redis_server = need_redis ? &redis_server : NULL;
        snprintf(env.prefix, sizeof(env.prefix), "suite:%s:%s:%d:", argv[1], store, run);
        uint64_t start = clock_now_ms();
        t->fn(&env);
        teardown(&env);
        run++;
        if (env.failed)
            failed++;
        printf("%s %s/%s/%s (%llu ms)\n", env.failed ? "FAIL" : "ok  ", argv[1], store, t->name,
               (unsigned long long)(clock_now_ms() - start));
        fflush(stdout);
    }
    if (need_redis)
        test_redis_stop(&redis_server);
    printf("%s %s: %d tests, %d failed (%llu ms)\n", argv[1], store, run, failed,
           (unsigned long long)(clock_now_ms() - suite_start));
    return failed == 0 && run > 0 ? 0 : 1;
}
