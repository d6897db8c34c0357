/* The hybrid cache store: a memory L1 with a short TTL in front of the Redis
 * store (L2, which brings its own fallback to memory).
 *
 * Reads try the L1, then Redis, and keep what Redis returned in the L1 for at
 * most l1_ttl_ms (never past the entry's own freshness). Writes go to both.
 * Deletes and bumps go to both and are published on <prefix>invalidate; every
 * instance applies the ones it receives from others to its L1, so an
 * invalidation reaches every L1 within a pub/sub hop (about a millisecond on a
 * LAN) instead of waiting out the L1 TTL.
 *
 * The L1 is only trusted while the pub/sub connection is subscribed: while it
 * is not, invalidations may be missed, so the L1 is emptied and bypassed until
 * the subscription is back (REDIS_EVENT_PUBSUB_UP empties it once more).
 *
 * A read racing an invalidation: Redis may answer our GET with the old value
 * while the message saying it changed is already here (two connections, no
 * order between them). Every invalidation received bumps an epoch; a Redis
 * answer is kept in the L1 only if no invalidation arrived while it was in
 * flight. Caller writes that change data must cache_delete() (or bump): a
 * cache_set() is not published, so other instances' L1 may keep the previous
 * value for up to l1_ttl_ms. */
#include "store/cache_backend.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum {
    SENDER_ID_BYTES = 8,
    MESSAGE_MAX_BYTES = 1 + SENDER_ID_BYTES + CACHE_MAX_NAMESPACE_BYTES + 1 + CACHE_MAX_KEY_BYTES,
};

typedef struct {
    cache_t base;
    cache_t *l1;           /* memory store, owned */
    cache_t *l2;           /* Redis store, owned */
    redis_client_t *redis; /* borrowed */
    char *channel;
    uint64_t l1_ttl_ms;
    uint64_t epoch; /* invalidations received so far */
    uint64_t l1_hits;
    uint64_t invalidations_received;
    unsigned char sender_id[SENDER_ID_BYTES];
    bool closing;
    int in_flight; /* L2 operations whose callback is still due */
} cache_hybrid_t;

static cache_hybrid_t *from_cache(cache_t *cache)
{
    return container_of(cache, cache_hybrid_t, base);
}

static bool l1_usable(const cache_hybrid_t *h)
{
    return !h->closing && redis_client_pubsub_ready(h->redis);
}

static void op_done(cache_hybrid_t *h)
{
    h->in_flight--;
    if (h->closing && h->in_flight == 0) {
        free(h->channel);
        free(h);
    }
}

/* How long the L1 may keep this stored value: l1_ttl_ms, but never past the
 * value's freshness; 0 when it is not fresh. */
static uint64_t l1_ttl_for(const cache_hybrid_t *h, const void *data, size_t len)
{
    int64_t fresh_ms = cache__fresh_until_ms(data, len) - clock_wall_ms();
    if (fresh_ms <= 0)
        return 0;
    return (uint64_t)fresh_ms < h->l1_ttl_ms ? (uint64_t)fresh_ms : h->l1_ttl_ms;
}

/* ---- reads ---- */

typedef struct {
    cache_hybrid_t *h;
    cache__raw_cb cb;
    void *user_data;
    uint64_t epoch;
    size_t key_len;
    char ns[CACHE_MAX_NAMESPACE_BYTES + 1];
    unsigned char key[];
} read_op_t;

static void noop_done(void *user_data)
{
    (void)user_data;
}

static void on_l2_read(const void *data, size_t len, void *user_data)
{
    read_op_t *op = user_data;
    cache_hybrid_t *h = op->h;
    uint64_t ttl = data ? l1_ttl_for(h, data, len) : 0;
    if (ttl > 0 && l1_usable(h) && h->epoch == op->epoch)
        h->l1->ops->set(h->l1, op->ns, op->key, op->key_len, data, len, ttl, noop_done, NULL);
    op->cb(data, len, op->user_data);
    free(op);
    op_done(h);
}

typedef struct {
    bool hit;
    cache__raw_cb cb;
    void *user_data;
} l1_probe_t;

static void on_l1_read(const void *data, size_t len, void *user_data)
{
    l1_probe_t *probe = user_data;
    /* A value that stopped being fresh in the L1 may have a successor in
     * Redis: ask there. */
    if (!data || cache__fresh_until_ms(data, len) <= clock_wall_ms())
        return;
    probe->hit = true;
    probe->cb(data, len, probe->user_data);
}

static void hybrid_get(cache_t *cache, const char *ns, const void *key, size_t key_len,
                       cache__raw_cb cb, void *user_data)
{
    cache_hybrid_t *h = from_cache(cache);
    if (l1_usable(h)) {
        /* The memory store answers before returning. */
        l1_probe_t probe = {.hit = false, .cb = cb, .user_data = user_data};
        h->l1->ops->get(h->l1, ns, key, key_len, on_l1_read, &probe);
        if (probe.hit) {
            h->l1_hits++;
            return;
        }
    }
    read_op_t *op = xmalloc(sizeof(*op) + key_len);
    op->h = h;
    op->cb = cb;
    op->user_data = user_data;
    op->epoch = h->epoch;
    op->key_len = key_len;
    memcpy(op->ns, ns, strlen(ns) + 1);
    if (key_len > 0)
        memcpy(op->key, key, key_len);
    h->in_flight++;
    h->l2->ops->get(h->l2, ns, key, key_len, on_l2_read, op);
}

/* ---- writes ---- */

typedef struct {
    cache_hybrid_t *h;
    cache_done_cb done;
    void *user_data;
} write_op_t;

static void on_l2_written(void *user_data)
{
    write_op_t *op = user_data;
    cache_hybrid_t *h = op->h;
    op->done(op->user_data);
    free(op);
    op_done(h);
}

static write_op_t *new_write(cache_hybrid_t *h, cache_done_cb done, void *user_data)
{
    write_op_t *op = xmalloc(sizeof(*op));
    op->h = h;
    op->done = done;
    op->user_data = user_data;
    h->in_flight++;
    return op;
}

/* Publishes an invalidation: kind 'd' (delete ns/key) or 'b' (bump ns), after
 * our sender id. Sent right behind the L2 command on the same connection, so
 * Redis has applied it when other instances hear of it. Best effort: while
 * Redis is down nobody can be told, and every L1 is bypassed anyway. */
static void publish(cache_hybrid_t *h, char kind, const char *ns, const void *key, size_t key_len)
{
    unsigned char message[MESSAGE_MAX_BYTES];
    size_t ns_len = strlen(ns);
    size_t len = 0;
    message[len++] = (unsigned char)kind;
    memcpy(message + len, h->sender_id, SENDER_ID_BYTES);
    len += SENDER_ID_BYTES;
    memcpy(message + len, ns, ns_len + 1);
    len += ns_len + 1;
    if (key_len > 0) {
        memcpy(message + len, key, key_len);
        len += key_len;
    }
    (void)redis_publish(h->redis, h->channel, message, len, NULL, NULL);
}

static void hybrid_set(cache_t *cache, const char *ns, const void *key, size_t key_len,
                       const void *data, size_t len, uint64_t ttl_ms, cache_done_cb done,
                       void *user_data)
{
    cache_hybrid_t *h = from_cache(cache);
    /* A Redis read sent before this write must not refill the L1 with the
     * older value when its reply arrives (the same holds for del and bump). */
    h->epoch++;
    uint64_t l1_ttl = l1_ttl_for(h, data, len);
    if (l1_ttl > 0 && l1_usable(h))
        h->l1->ops->set(h->l1, ns, key, key_len, data, len, l1_ttl, noop_done, NULL);
    h->l2->ops->set(h->l2, ns, key, key_len, data, len, ttl_ms, on_l2_written,
                    new_write(h, done, user_data));
}

static void hybrid_del(cache_t *cache, const char *ns, const void *key, size_t key_len,
                       cache_done_cb done, void *user_data)
{
    cache_hybrid_t *h = from_cache(cache);
    h->epoch++;
    h->l1->ops->del(h->l1, ns, key, key_len, noop_done, NULL);
    h->l2->ops->del(h->l2, ns, key, key_len, on_l2_written, new_write(h, done, user_data));
    publish(h, 'd', ns, key, key_len);
}

static void hybrid_bump(cache_t *cache, const char *ns, cache_done_cb done, void *user_data)
{
    cache_hybrid_t *h = from_cache(cache);
    h->epoch++;
    h->l1->ops->bump(h->l1, ns, noop_done, NULL);
    h->l2->ops->bump(h->l2, ns, on_l2_written, new_write(h, done, user_data));
    publish(h, 'b', ns, NULL, 0);
}

/* ---- invalidations from other instances ---- */

static void on_message(const char *channel, const char *message, size_t len, void *user_data)
{
    (void)channel;
    cache_hybrid_t *h = user_data;
    const unsigned char *m = (const unsigned char *)message;
    if (len < 1 + SENDER_ID_BYTES + 2)
        return;
    if (memcmp(m + 1, h->sender_id, SENDER_ID_BYTES) == 0)
        return; /* our own: already applied */
    const char *ns = (const char *)m + 1 + SENDER_ID_BYTES;
    size_t rest = len - 1 - SENDER_ID_BYTES;
    size_t ns_len = strnlen(ns, rest);
    if (ns_len == rest || !cache__valid_namespace(ns))
        return;
    const unsigned char *key = (const unsigned char *)ns + ns_len + 1;
    size_t key_len = rest - ns_len - 1;
    h->epoch++;
    h->invalidations_received++;
    if (m[0] == 'd' && key_len <= CACHE_MAX_KEY_BYTES) {
        cache__forget_flights(&h->base, ns, key, key_len, false);
        h->l1->ops->del(h->l1, ns, key, key_len, noop_done, NULL);
    } else if (m[0] == 'b') {
        cache__forget_flights(&h->base, ns, NULL, 0, true);
        h->l1->ops->bump(h->l1, ns, noop_done, NULL);
    }
}

static void on_redis_event(redis_client_t *client, redis_event_t event, void *user_data)
{
    (void)client;
    cache_hybrid_t *h = user_data;
    if (event == REDIS_EVENT_PUBSUB_UP || event == REDIS_EVENT_PUBSUB_DOWN) {
        /* Whatever was said while we were not listening is lost: start over. */
        h->epoch++;
        cache__memory_clear(h->l1);
    }
}

/* ---- stats and closing ---- */

static void hybrid_stats(cache_t *cache, cache_stats_t *out)
{
    cache_hybrid_t *h = from_cache(cache);
    h->l1->ops->stats(h->l1, out);
    h->l2->ops->stats(h->l2, out);
    out->l1_hits = h->l1_hits;
    out->invalidations_received = h->invalidations_received;
}

static void hybrid_close(cache_t *cache)
{
    cache_hybrid_t *h = from_cache(cache);
    h->closing = true;
    redis_client_unlisten(h->redis, on_redis_event, h);
    redis_unsubscribe(h->redis, h->channel, on_message, h);
    cache_close(h->l1);
    cache_close(h->l2);
    h->l1 = h->l2 = NULL;
    if (h->in_flight == 0) {
        free(h->channel);
        free(h);
    }
}

static const cache__ops_t hybrid_ops = {
    .type = "hybrid",
    .get = hybrid_get,
    .set = hybrid_set,
    .del = hybrid_del,
    .bump = hybrid_bump,
    .stats = hybrid_stats,
    .close = hybrid_close,
};

cache_t *cache_hybrid_new(uv_loop_t *loop, redis_client_t *redis, const cache_options_t *opts)
{
    cache_hybrid_t *h = xcalloc(1, sizeof(*h));
    cache__init(&h->base, &hybrid_ops, opts);
    h->redis = redis;
    h->l1 = cache_memory_new(loop, opts);
    h->l2 = cache_redis_new(loop, redis, opts);
    h->l1_ttl_ms = opts->l1_ttl_ms ? opts->l1_ttl_ms : 5000;
    const char *prefix = opts->key_prefix ? opts->key_prefix : "rural24:cache:";
    size_t channel_len = strlen(prefix) + sizeof("invalidate");
    h->channel = xmalloc(channel_len);
    snprintf(h->channel, channel_len, "%sinvalidate", prefix);
    if (getrandom(h->sender_id, sizeof(h->sender_id), GRND_NONBLOCK) != SENDER_ID_BYTES) {
        uint64_t fallback = clock_now_us() ^ (uintptr_t)h;
        memcpy(h->sender_id, &fallback, sizeof(fallback));
    }
    redis_client_listen(redis, on_redis_event, h);
    if (redis_subscribe(redis, h->channel, on_message, h) != 0)
        log_error("cache: cannot subscribe to invalidations; the L1 stays off", "channel",
                  json_string(h->channel), NULL);
    return &h->base;
}
