/* The Redis rate-limiter store: GCRA in one Lua script, one round trip per
 * check, atomic, on Redis's clock (instances need not agree on the time).
 *
 * The key of a check is <prefix><class>:<key>; its value is the TAT in
 * microseconds, kept until the TAT passes (PX). The script is gcra_check() of
 * gcra.c, line for line; numbers are formatted with %.0f because Lua's default
 * conversion keeps only 14 significant digits and a TAT has 16.
 *
 * Fallback: a check that fails because Redis is unreachable or too slow is
 * decided by a memory store instead, and so is every check after it until the
 * client reports Redis up again (the switches are logged once and counted).
 * The memory store divides every limit by the live instances last counted by
 * the heartbeat (store/instances.h): with N instances deciding alone, about one
 * limit's worth passes in total. Back on Redis the memory table is emptied. */
#include "store/ratelimit_backend.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ratelimit_t base;
    redis_client_t *redis;  /* borrowed */
    instances_t *instances; /* borrowed; may be NULL */
    ratelimit_t *fallback;  /* a memory store, owned */
    char *prefix;
    bool degraded;
    uint64_t degraded_since_ms;
    bool closing;
    int in_flight;
    uint64_t fallbacks, recoveries, fallback_checks, redis_errors;
    uint64_t last_reply_warning_ms; /* error replies are logged at most every 10 s */
} ratelimit_redis_t;

enum { REDIS_KEY_MAX_BYTES = 128 + 16 + RATELIMIT_MAX_KEY_BYTES, RETRY_AFTER_BUSY_MS = 1000 };

/* KEYS[1] the key's TAT; ARGV[1] T (the emission interval, us); ARGV[2] the
 * limit; ARGV[3] the ratelimit_op_t (0 count, 1 peek, 2 clear). Returns
 * {allowed, remaining, reset_us, retry_after_us}. */
static const char GCRA_SOURCE[] =
    "local interval = tonumber(ARGV[1])\n"
    "local window = interval * tonumber(ARGV[2])\n"
    "if ARGV[3] == '2' then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "  return {1, tonumber(ARGV[2]), 0, 0}\n"
    "end\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0\n"
    "if tat < now then tat = now end\n"
    "local new_tat = tat + interval\n"
    "if new_tat - now > window then\n"
    "  return {0, 0, tat - now, new_tat - window - now}\n"
    "end\n"
    "if ARGV[3] == '0' then\n"
    "  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX',\n"
    "             string.format('%.0f', math.ceil((new_tat - now) / 1000)))\n"
    "end\n"
    "return {1, math.floor((now + window - new_tat) / interval), new_tat - now, 0}\n";

static redis_script_t gcra_script;
static bool script_ready;

static ratelimit_redis_t *from_rl(ratelimit_t *rl)
{
    return container_of(rl, ratelimit_redis_t, base);
}

static void enter_fallback(ratelimit_redis_t *rr, const char *reason)
{
    if (rr->degraded || rr->closing)
        return;
    rr->degraded = true;
    rr->degraded_since_ms = clock_now_ms();
    rr->fallbacks++;
    log_warn("rate limiter: Redis unavailable, deciding in memory", "reason", json_string(reason),
             "instances", json_integer(rr->instances ? instances_live_count(rr->instances) : 1),
             NULL);
}

static void recover(ratelimit_redis_t *rr)
{
    rr->degraded = false;
    ratelimit__memory_clear(rr->fallback);
    rr->recoveries++;
    log_info("rate limiter: Redis is back, deciding in Redis", NULL);
}

static void on_redis_event(redis_client_t *client, redis_event_t event, void *user_data)
{
    (void)client;
    ratelimit_redis_t *rr = user_data;
    if (event == REDIS_EVENT_DOWN)
        enter_fallback(rr, "redis connection lost");
    else if (event == REDIS_EVENT_UP && rr->degraded)
        recover(rr);
}

static void decide_in_memory(ratelimit_redis_t *rr, ratelimit_class_t cls, ratelimit_op_t op,
                             const void *key, size_t key_len, ratelimit_cb cb, void *user_data)
{
    uint32_t divisor = rr->instances ? instances_live_count(rr->instances) : 1;
    ratelimit_result_t result;
    ratelimit__memory_decide(rr->fallback, cls, op, key, key_len, divisor, &result);
    rr->fallback_checks++;
    ratelimit__deliver(&rr->base, cls, op, &result, cb, user_data);
}

static bool is_outage(int status)
{
    return status == REDIS_E_DOWN || status == REDIS_E_TIMEOUT || status == REDIS_E_DISCONNECTED ||
           status == REDIS_E_BUSY;
}

typedef struct {
    ratelimit_redis_t *rr;
    ratelimit_class_t cls;
    ratelimit_op_t op;
    ratelimit_cb cb;
    void *user_data;
    size_t key_len;
    unsigned char key[];
} check_op_t;

static bool parse_reply(const redis_reply_t *reply, gcra_result_t *out, uint32_t limit)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (reply->element[i]->type != REDIS_REPLY_INTEGER)
            return false;
    out->allowed = reply->element[0]->integer == 1;
    long long remaining = reply->element[1]->integer;
    out->remaining = remaining < 0 ? 0 : remaining > limit ? limit : (uint32_t)remaining;
    out->reset_us = reply->element[2]->integer;
    out->retry_after_us = reply->element[3]->integer;
    out->limit = limit;
    out->tat_us = 0;
    return true;
}

static void on_check_reply(int status, const redis_reply_t *reply, void *user_data)
{
    check_op_t *op = user_data;
    ratelimit_redis_t *rr = op->rr;
    rr->in_flight--;
    gcra_result_t decision;
    if (status == 0 && parse_reply(reply, &decision, rr->base.classes[op->cls].limit)) {
        ratelimit_result_t result;
        ratelimit__result_from_gcra(&decision, &result);
        ratelimit__deliver(&rr->base, op->cls, op->op, &result, op->cb, op->user_data);
    } else {
        rr->redis_errors++;
        if (is_outage(status))
            enter_fallback(rr, redis_strerror(status));
        else if (status != REDIS_E_CLOSED && clock_now_ms() - rr->last_reply_warning_ms >= 10000) {
            /* LOADING, READONLY, OOM...: decided in memory like an outage, but
             * logged at most every 10 s (redis_errors counts them all), so
             * the log does not grow with the request rate. */
            rr->last_reply_warning_ms = clock_now_ms();
            log_warn("rate limiter: unexpected Redis answer", "error",
                     json_string(reply && reply->str ? reply->str : redis_strerror(status)),
                     "errors_total", json_integer((json_int_t)rr->redis_errors), NULL);
        }
        if (rr->closing) {
            /* The memory fallback is gone: let the request through rather than
             * refuse it for our shutdown. */
            ratelimit_result_t result = {.allowed = true, .limit = rr->base.classes[op->cls].limit};
            ratelimit__deliver(&rr->base, op->cls, op->op, &result, op->cb, op->user_data);
        } else {
            decide_in_memory(rr, op->cls, op->op, op->key, op->key_len, op->cb, op->user_data);
        }
    }
    free(op);
    if (rr->closing && rr->in_flight == 0) {
        free(rr->prefix);
        free(rr);
    }
}

static void redis_apply(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op, const void *key,
                        size_t key_len, ratelimit_cb cb, void *user_data)
{
    ratelimit_redis_t *rr = from_rl(rl);
    /* A fallback entered without the client going down (REDIS_E_BUSY) gets
     * no REDIS_EVENT_UP: try Redis again after a while. */
    if (rr->degraded && redis_client_state(rr->redis) == REDIS_STATE_UP &&
        clock_now_ms() - rr->degraded_since_ms >= RETRY_AFTER_BUSY_MS)
        recover(rr);
    if (rr->degraded) {
        decide_in_memory(rr, cls, op, key, key_len, cb, user_data);
        return;
    }

    char redis_key[REDIS_KEY_MAX_BYTES];
    int prefix_len =
        snprintf(redis_key, sizeof(redis_key), "%s%s:", rr->prefix, ratelimit_class_name(cls));
    if (prefix_len < 0 || (size_t)prefix_len + key_len > sizeof(redis_key)) {
        decide_in_memory(rr, cls, op, key, key_len, cb, user_data);
        return;
    }
    memcpy(redis_key + prefix_len, key, key_len);
    char interval[24], limit[16], op_text[4];
    snprintf(interval, sizeof(interval), "%lld", (long long)rl->classes[cls].interval_us);
    snprintf(limit, sizeof(limit), "%u", rl->classes[cls].limit);
    snprintf(op_text, sizeof(op_text), "%d", (int)op);
    const char *argv[] = {redis_key, interval, limit, op_text};
    size_t lens[] = {(size_t)prefix_len + key_len, strlen(interval), strlen(limit),
                     strlen(op_text)};

    check_op_t *pending = xmalloc(sizeof(*pending) + key_len);
    pending->rr = rr;
    pending->cls = cls;
    pending->op = op;
    pending->cb = cb;
    pending->user_data = user_data;
    pending->key_len = key_len;
    memcpy(pending->key, key, key_len);
    int status = redis_eval(rr->redis, &gcra_script, 1, 4, argv, lens, on_check_reply, pending);
    if (status == 0) {
        rr->in_flight++;
        return;
    }
    free(pending);
    rr->redis_errors++;
    if (is_outage(status))
        enter_fallback(rr, redis_strerror(status));
    decide_in_memory(rr, cls, op, key, key_len, cb, user_data);
}

static void redis_stats(ratelimit_t *rl, ratelimit_stats_t *out)
{
    ratelimit_redis_t *rr = from_rl(rl);
    rr->fallback->ops->stats(rr->fallback, out);
    out->degraded = rr->degraded;
    out->fallbacks = rr->fallbacks;
    out->recoveries = rr->recoveries;
    out->fallback_checks = rr->fallback_checks;
    out->redis_errors = rr->redis_errors;
    out->instances = rr->instances ? instances_live_count(rr->instances) : 1;
}

static void redis_close(ratelimit_t *rl)
{
    ratelimit_redis_t *rr = from_rl(rl);
    rr->closing = true;
    redis_client_unlisten(rr->redis, on_redis_event, rr);
    ratelimit_close(rr->fallback);
    rr->fallback = NULL;
    if (rr->in_flight == 0) {
        free(rr->prefix);
        free(rr);
    }
}

static const ratelimit__ops_t redis_ops = {
    .type = "redis",
    .apply = redis_apply,
    .stats = redis_stats,
    .close = redis_close,
};

ratelimit_t *ratelimit_redis_new(uv_loop_t *loop, redis_client_t *redis, instances_t *instances,
                                 const ratelimit_options_t *opts)
{
    if (!script_ready) {
        redis_script_init(&gcra_script, GCRA_SOURCE);
        script_ready = true;
    }
    ratelimit_redis_t *rr = xcalloc(1, sizeof(*rr));
    ratelimit__init(&rr->base, &redis_ops, opts);
    rr->redis = redis;
    rr->instances = instances;
    rr->fallback = ratelimit_memory_new(loop, opts);
    rr->prefix = xstrdup(opts->key_prefix ? opts->key_prefix : "rural24:rl:");
    redis_client_listen(redis, on_redis_event, rr);
    return &rr->base;
}
