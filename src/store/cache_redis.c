/* The Redis cache store, with its memory fallback.
 *
 * Keys: the value of ns/key lives at  <prefix>d:<ns>:<version>:<key>  where
 * <version> is the integer at  <prefix>v:<ns>  (missing = 0). A bump is one INCR
 * of the version: every old key becomes unreachable at once and expires by its
 * own TTL. Reads, writes and deletes look the version up and act on the data key
 * in one Lua script, so each is one round trip and atomic with respect to bumps.
 * (The scripts build key names Redis cannot see in advance: a standalone Redis
 * is assumed, not Redis Cluster. Version keys carry no TTL, so Redis should
 * evict with a volatile-* policy, never allkeys-*.)
 *
 * Fallback: when a command fails because Redis is unreachable or too slow
 * (REDIS_E_DOWN, _TIMEOUT, _DISCONNECTED), or the client reports it down, the
 * store switches to a memory store (logged once, counted) and serves every
 * operation from it. Deletes and bumps made meanwhile are remembered (bounded:
 * past PENDING_MAX deletes, every namespace seen is bumped instead) and replayed
 * on Redis when the client is up again, before anything else is sent, so no
 * instance reads a value this one invalidated during the outage. Then the
 * memory store is emptied and the store is back on Redis (logged, counted). */
#include "store/cache_backend.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pending_del_s pending_del_t;

struct pending_del_s {
    pending_del_t *next;
    char ns[CACHE_MAX_NAMESPACE_BYTES + 1];
    size_t key_len;
    unsigned char key[];
};

typedef char ns_name_t[CACHE_MAX_NAMESPACE_BYTES + 1];

typedef struct {
    cache_t base;
    redis_client_t *redis; /* borrowed */
    cache_t *fallback;     /* a memory store, owned */
    char *prefix;
    bool degraded;
    uint64_t degraded_since_ms;
    bool closing;
    int in_flight; /* our commands whose callback is still due */
    uint64_t fallbacks, recoveries, redis_errors;

    /* Invalidations made while degraded, replayed when Redis is back. */
    pending_del_t *pending_dels;
    size_t pending_del_count;
    bool pending_overflow;
    ns_name_t *pending_bumps; /* CACHE_MAX_NAMESPACES */
    size_t pending_bump_count;
    ns_name_t *known; /* every namespace used, for the overflow case */
    size_t known_count;
} cache_redis_t;

enum { PENDING_MAX = 1024, KEY_NAME_MAX = 512, RETRY_AFTER_BUSY_MS = 1000 };

static const char GET_SCRIPT_SOURCE[] =
    "local v = redis.call('GET', KEYS[1]) or '0'\n"
    "return redis.call('GET', ARGV[1] .. v .. ':' .. ARGV[2])\n";
static const char SET_SCRIPT_SOURCE[] =
    "local v = redis.call('GET', KEYS[1]) or '0'\n"
    "return redis.call('SET', ARGV[1] .. v .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[4])\n";
static const char DEL_SCRIPT_SOURCE[] =
    "local v = redis.call('GET', KEYS[1]) or '0'\n"
    "return redis.call('DEL', ARGV[1] .. v .. ':' .. ARGV[2])\n";

static redis_script_t get_script, set_script, del_script;
static bool scripts_ready;

static cache_redis_t *from_cache(cache_t *cache)
{
    return container_of(cache, cache_redis_t, base);
}

static void free_store(cache_redis_t *rc)
{
    pending_del_t *d = rc->pending_dels;
    while (d) {
        pending_del_t *next = d->next;
        free(d);
        d = next;
    }
    free(rc->pending_bumps);
    free(rc->known);
    free(rc->prefix);
    free(rc);
}

/* Every command callback ends here: the store may be waiting to be freed. */
static void command_done(cache_redis_t *rc)
{
    rc->in_flight--;
    if (rc->closing && rc->in_flight == 0)
        free_store(rc);
}

/* Failures that say Redis cannot serve us now. REDIS_E_BUSY (the client's
 * bound on commands in flight) counts: Redis is far too slow. */
static bool is_outage(int status)
{
    return status == REDIS_E_DOWN || status == REDIS_E_TIMEOUT || status == REDIS_E_DISCONNECTED ||
           status == REDIS_E_BUSY;
}

static void enter_fallback(cache_redis_t *rc, const char *reason)
{
    if (rc->degraded || rc->closing)
        return;
    rc->degraded = true;
    rc->degraded_since_ms = clock_now_ms();
    rc->fallbacks++;
    log_warn("cache: Redis unavailable, serving from memory", "reason", json_string(reason), NULL);
}

static void remember_namespace(cache_redis_t *rc, const char *ns)
{
    for (size_t i = 0; i < rc->known_count; i++)
        if (strcmp(rc->known[i], ns) == 0)
            return;
    if (rc->known_count == CACHE_MAX_NAMESPACES)
        return;
    memcpy(rc->known[rc->known_count++], ns, strlen(ns) + 1);
}

static void remember_delete(cache_redis_t *rc, const char *ns, const void *key, size_t key_len)
{
    if (rc->pending_overflow)
        return;
    if (rc->pending_del_count == PENDING_MAX) {
        rc->pending_overflow = true;
        return;
    }
    pending_del_t *d = xmalloc(sizeof(*d) + key_len);
    memcpy(d->ns, ns, strlen(ns) + 1);
    d->key_len = key_len;
    if (key_len > 0)
        memcpy(d->key, key, key_len);
    d->next = rc->pending_dels;
    rc->pending_dels = d;
    rc->pending_del_count++;
}

static void remember_bump(cache_redis_t *rc, const char *ns)
{
    for (size_t i = 0; i < rc->pending_bump_count; i++)
        if (strcmp(rc->pending_bumps[i], ns) == 0)
            return;
    if (rc->pending_bump_count == CACHE_MAX_NAMESPACES) {
        rc->pending_overflow = true;
        return;
    }
    memcpy(rc->pending_bumps[rc->pending_bump_count++], ns, strlen(ns) + 1);
}

/* Key names: the version key and the data key's prefix up to the version. */
static void version_key(const cache_redis_t *rc, const char *ns, char *out, size_t size)
{
    snprintf(out, size, "%sv:%s", rc->prefix, ns);
}

static void data_prefix(const cache_redis_t *rc, const char *ns, char *out, size_t size)
{
    snprintf(out, size, "%sd:%s:", rc->prefix, ns);
}

/* Runs one of the three scripts for ns/key with extra ARGV after the key. */
static int run_script(cache_redis_t *rc, redis_script_t *script, const char *ns, const void *key,
                      size_t key_len, int extra_argc, const char *const *extra,
                      const size_t *extra_len, redis_reply_cb cb, void *user_data)
{
    char vkey[KEY_NAME_MAX], dprefix[KEY_NAME_MAX];
    version_key(rc, ns, vkey, sizeof(vkey));
    data_prefix(rc, ns, dprefix, sizeof(dprefix));
    const char *argv[5] = {vkey, dprefix, key ? key : ""};
    size_t lens[5] = {strlen(vkey), strlen(dprefix), key_len};
    for (int i = 0; i < extra_argc; i++) {
        argv[3 + i] = extra[i];
        lens[3 + i] = extra_len[i];
    }
    int rc_status = redis_eval(rc->redis, script, 1, 3 + extra_argc, argv, lens, cb, user_data);
    if (rc_status == 0)
        rc->in_flight++;
    return rc_status;
}

static int run_bump(cache_redis_t *rc, const char *ns, redis_reply_cb cb, void *user_data)
{
    char vkey[KEY_NAME_MAX];
    version_key(rc, ns, vkey, sizeof(vkey));
    const char *argv[] = {"INCR", vkey};
    size_t lens[] = {4, strlen(vkey)};
    int status = redis_command_argv(rc->redis, 2, argv, lens, cb, user_data);
    if (status == 0)
        rc->in_flight++;
    return status;
}

/* A failed command: count it and, for an outage, switch to memory. */
static void note_failure(cache_redis_t *rc, int status, const redis_reply_t *reply)
{
    rc->redis_errors++;
    if (is_outage(status))
        enter_fallback(rc, redis_strerror(status));
    else if (status == REDIS_E_REPLY)
        log_warn("cache: Redis refused a command", "error",
                 json_string(reply && reply->str ? reply->str : ""), NULL);
}

static void recover(cache_redis_t *rc);

/* Recovery normally follows the client's REDIS_EVENT_UP. A fallback entered
 * without the client going down (REDIS_E_BUSY) gets no such event: retry Redis
 * once the client is up and a second has passed. */
static void maybe_recover(cache_redis_t *rc)
{
    if (rc->degraded && redis_client_state(rc->redis) == REDIS_STATE_UP &&
        clock_now_ms() - rc->degraded_since_ms >= RETRY_AFTER_BUSY_MS)
        recover(rc);
}

/* ---- get ---- */

typedef struct {
    cache_redis_t *rc;
    cache__raw_cb cb;
    void *user_data;
    size_t key_len;
    char ns[CACHE_MAX_NAMESPACE_BYTES + 1];
    unsigned char key[];
} get_op_t;

static void on_get_reply(int status, const redis_reply_t *reply, void *user_data)
{
    get_op_t *op = user_data;
    cache_redis_t *rc = op->rc;
    if (status == 0 && reply->type == REDIS_REPLY_STRING) {
        op->cb(reply->str, reply->len, op->user_data);
    } else if (status == 0 || status == REDIS_E_CLOSED || rc->closing) {
        op->cb(NULL, 0, op->user_data);
    } else {
        note_failure(rc, status, reply);
        if (rc->degraded)
            rc->fallback->ops->get(rc->fallback, op->ns, op->key, op->key_len, op->cb,
                                   op->user_data);
        else
            op->cb(NULL, 0, op->user_data);
    }
    free(op);
    command_done(rc);
}

static void redis_get(cache_t *cache, const char *ns, const void *key, size_t key_len,
                      cache__raw_cb cb, void *user_data)
{
    cache_redis_t *rc = from_cache(cache);
    remember_namespace(rc, ns);
    maybe_recover(rc);
    if (!rc->degraded) {
        get_op_t *op = xmalloc(sizeof(*op) + key_len);
        op->rc = rc;
        op->cb = cb;
        op->user_data = user_data;
        op->key_len = key_len;
        memcpy(op->ns, ns, strlen(ns) + 1);
        if (key_len > 0)
            memcpy(op->key, key, key_len);
        int status = run_script(rc, &get_script, ns, key, key_len, 0, NULL, NULL, on_get_reply, op);
        if (status == 0)
            return;
        free(op);
        note_failure(rc, status, NULL);
    }
    rc->fallback->ops->get(rc->fallback, ns, key, key_len, cb, user_data);
}

/* ---- set, delete, bump ---- */

typedef enum { OP_SET, OP_DEL, OP_BUMP } write_kind_t;

typedef struct {
    cache_redis_t *rc;
    write_kind_t kind;
    cache_done_cb done;
    void *user_data;
    uint64_t ttl_ms;
    char ns[CACHE_MAX_NAMESPACE_BYTES + 1];
    size_t key_len;
    size_t data_len;
    unsigned char bytes[]; /* key, then data (OP_SET) */
} write_op_t;

/* Applies a write to memory (the fallback) and remembers invalidations. */
static void apply_to_fallback(cache_redis_t *rc, write_kind_t kind, const char *ns, const void *key,
                              size_t key_len, const void *data, size_t len, uint64_t ttl_ms,
                              cache_done_cb done, void *user_data)
{
    cache_t *fb = rc->fallback;
    switch (kind) {
    case OP_SET:
        fb->ops->set(fb, ns, key, key_len, data, len, ttl_ms, done, user_data);
        return;
    case OP_DEL:
        remember_delete(rc, ns, key, key_len);
        fb->ops->del(fb, ns, key, key_len, done, user_data);
        return;
    case OP_BUMP:
        remember_bump(rc, ns);
        fb->ops->bump(fb, ns, done, user_data);
        return;
    }
}

static void on_write_reply(int status, const redis_reply_t *reply, void *user_data)
{
    write_op_t *op = user_data;
    cache_redis_t *rc = op->rc;
    if (status != 0 && status != REDIS_E_CLOSED && !rc->closing) {
        note_failure(rc, status, reply);
        /* The write may or may not have reached Redis. An invalidation is
         * remembered for the replay either way; a value goes to memory while
         * degraded. */
        if (rc->degraded || op->kind != OP_SET) {
            apply_to_fallback(rc, op->kind, op->ns, op->bytes, op->key_len, op->bytes + op->key_len,
                              op->data_len, op->ttl_ms, op->done, op->user_data);
            free(op);
            command_done(rc);
            return;
        }
    }
    op->done(op->user_data);
    free(op);
    command_done(rc);
}

static void write_op(cache_redis_t *rc, write_kind_t kind, const char *ns, const void *key,
                     size_t key_len, const void *data, size_t len, uint64_t ttl_ms,
                     cache_done_cb done, void *user_data)
{
    remember_namespace(rc, ns);
    maybe_recover(rc);
    if (rc->degraded) {
        apply_to_fallback(rc, kind, ns, key, key_len, data, len, ttl_ms, done, user_data);
        return;
    }
    write_op_t *op = xmalloc(sizeof(*op) + key_len + len);
    op->rc = rc;
    op->kind = kind;
    op->done = done;
    op->user_data = user_data;
    op->ttl_ms = ttl_ms;
    memcpy(op->ns, ns, strlen(ns) + 1);
    op->key_len = key_len;
    op->data_len = len;
    if (key_len > 0)
        memcpy(op->bytes, key, key_len);
    if (len > 0)
        memcpy(op->bytes + key_len, data, len);

    int status;
    if (kind == OP_SET) {
        char ttl_text[24];
        snprintf(ttl_text, sizeof(ttl_text), "%llu", (unsigned long long)ttl_ms);
        const char *extra[] = {data ? data : "", ttl_text};
        size_t extra_len[] = {len, strlen(ttl_text)};
        status =
            run_script(rc, &set_script, ns, key, key_len, 2, extra, extra_len, on_write_reply, op);
    } else if (kind == OP_DEL) {
        status = run_script(rc, &del_script, ns, key, key_len, 0, NULL, NULL, on_write_reply, op);
    } else {
        status = run_bump(rc, ns, on_write_reply, op);
    }
    if (status == 0)
        return;
    free(op);
    note_failure(rc, status, NULL);
    if (rc->degraded || kind != OP_SET)
        apply_to_fallback(rc, kind, ns, key, key_len, data, len, ttl_ms, done, user_data);
    else
        done(user_data);
}

static void redis_set(cache_t *cache, const char *ns, const void *key, size_t key_len,
                      const void *data, size_t len, uint64_t ttl_ms, cache_done_cb done,
                      void *user_data)
{
    write_op(from_cache(cache), OP_SET, ns, key, key_len, data, len, ttl_ms, done, user_data);
}

static void redis_del(cache_t *cache, const char *ns, const void *key, size_t key_len,
                      cache_done_cb done, void *user_data)
{
    write_op(from_cache(cache), OP_DEL, ns, key, key_len, NULL, 0, 0, done, user_data);
}

static void redis_bump(cache_t *cache, const char *ns, cache_done_cb done, void *user_data)
{
    write_op(from_cache(cache), OP_BUMP, ns, NULL, 0, NULL, 0, 0, done, user_data);
}

/* ---- recovery ---- */

static void replay_done(void *user_data)
{
    (void)user_data;
}

/* Sends the invalidations made during the outage. They go out before any
 * other command of the recovered connection, and Redis runs commands in
 * order, so no read can see what they invalidate. One that fails is applied to
 * memory again by on_write_reply() (and so remembered for the next recovery). */
static void replay(cache_redis_t *rc)
{
    pending_del_t *d = rc->pending_dels;
    size_t bump_count = rc->pending_bump_count;
    bool overflow = rc->pending_overflow;
    rc->pending_dels = NULL;
    rc->pending_del_count = 0;
    rc->pending_bump_count = 0;
    rc->pending_overflow = false;

    ns_name_t *bumps = NULL;
    if (bump_count > 0) {
        bumps = xmalloc(bump_count * sizeof(*bumps));
        memcpy(bumps, rc->pending_bumps, bump_count * sizeof(*bumps));
    }
    if (overflow) {
        for (size_t i = 0; i < rc->known_count; i++)
            write_op(rc, OP_BUMP, rc->known[i], NULL, 0, NULL, 0, 0, replay_done, NULL);
    } else {
        for (size_t i = 0; i < bump_count; i++)
            write_op(rc, OP_BUMP, bumps[i], NULL, 0, NULL, 0, 0, replay_done, NULL);
    }
    while (d) {
        pending_del_t *next = d->next;
        if (!overflow)
            write_op(rc, OP_DEL, d->ns, d->key, d->key_len, NULL, 0, 0, replay_done, NULL);
        free(d);
        d = next;
    }
    free(bumps);
}

static void recover(cache_redis_t *rc)
{
    rc->degraded = false;
    replay(rc);
    if (rc->degraded)
        return; /* it failed again at once */
    cache__memory_clear(rc->fallback);
    rc->recoveries++;
    log_info("cache: Redis is back, serving from Redis", NULL);
}

static void on_redis_event(redis_client_t *client, redis_event_t event, void *user_data)
{
    (void)client;
    cache_redis_t *rc = user_data;
    if (event == REDIS_EVENT_DOWN)
        enter_fallback(rc, "redis connection lost");
    else if (event == REDIS_EVENT_UP && rc->degraded)
        recover(rc);
}

/* ---- stats and closing ---- */

static void redis_stats(cache_t *cache, cache_stats_t *out)
{
    cache_redis_t *rc = from_cache(cache);
    rc->fallback->ops->stats(rc->fallback, out);
    out->degraded = rc->degraded;
    out->fallbacks += rc->fallbacks;
    out->recoveries += rc->recoveries;
    out->redis_errors += rc->redis_errors;
}

static void redis_close(cache_t *cache)
{
    cache_redis_t *rc = from_cache(cache);
    rc->closing = true;
    redis_client_unlisten(rc->redis, on_redis_event, rc);
    cache_close(rc->fallback);
    rc->fallback = NULL;
    if (rc->in_flight == 0)
        free_store(rc);
}

static const cache__ops_t redis_ops = {
    .type = "redis",
    .get = redis_get,
    .set = redis_set,
    .del = redis_del,
    .bump = redis_bump,
    .stats = redis_stats,
    .close = redis_close,
};

cache_t *cache_redis_new(uv_loop_t *loop, redis_client_t *redis, const cache_options_t *opts)
{
    if (!scripts_ready) {
        redis_script_init(&get_script, GET_SCRIPT_SOURCE);
        redis_script_init(&set_script, SET_SCRIPT_SOURCE);
        redis_script_init(&del_script, DEL_SCRIPT_SOURCE);
        scripts_ready = true;
    }
    cache_redis_t *rc = xcalloc(1, sizeof(*rc));
    cache__init(&rc->base, &redis_ops, opts);
    rc->redis = redis;
    rc->fallback = cache_memory_new(loop, opts);
    rc->prefix = xstrdup(opts->key_prefix ? opts->key_prefix : "rural24:cache:");
    rc->pending_bumps = xcalloc(CACHE_MAX_NAMESPACES, sizeof(*rc->pending_bumps));
    rc->known = xcalloc(CACHE_MAX_NAMESPACES, sizeof(*rc->known));
    redis_client_listen(redis, on_redis_event, rc);
    return &rc->base;
}
