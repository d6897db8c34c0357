/* The instance heartbeat of instances.h. */
#include "store/instances.h"

#include "core/log.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct instances_s {
    redis_client_t *redis; /* borrowed */
    char *key;
    char id[40];
    uint32_t interval_ms;
    uint32_t ttl_ms;
    uint32_t live;
    uv_timer_t timer;
    bool closing;
    bool timer_closed;
    bool in_flight; /* a heartbeat's reply is due */
};

/* KEYS[1] the sorted set; ARGV[1] our id; ARGV[2] the TTL in ms. Scores are
 * Redis's own clock, so instances need not agree on the time. */
static const char HEARTBEAT_SOURCE[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local ttl = tonumber(ARGV[2])\n"
    "redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[1])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%.0f', now - ttl))\n"
    "redis.call('PEXPIRE', KEYS[1], ttl)\n"
    "return redis.call('ZCARD', KEYS[1])\n";

static redis_script_t heartbeat_script;
static bool script_ready;

void instances_options_init(instances_options_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->key = "rural24:instances";
    opts->interval_ms = 1000;
}

static void maybe_free(instances_t *in)
{
    if (in->closing && in->timer_closed && !in->in_flight) {
        free(in->key);
        free(in);
    }
}

static void on_beat_reply(int status, const redis_reply_t *reply, void *user_data)
{
    instances_t *in = user_data;
    in->in_flight = false;
    if (status == 0 && reply->type == REDIS_REPLY_INTEGER && !in->closing) {
        uint32_t live = reply->integer < 1 ? 1 : (uint32_t)reply->integer;
        if (live != in->live)
            log_info("live instances changed", "instances", json_integer(live), "was",
                     json_integer(in->live), NULL);
        in->live = live;
    }
    maybe_free(in);
}

static void beat(instances_t *in)
{
    if (in->closing || in->in_flight || redis_client_state(in->redis) != REDIS_STATE_UP)
        return;
    char ttl_text[16];
    snprintf(ttl_text, sizeof(ttl_text), "%u", in->ttl_ms);
    const char *argv[] = {in->key, in->id, ttl_text};
    size_t lens[] = {strlen(in->key), strlen(in->id), strlen(ttl_text)};
    if (redis_eval(in->redis, &heartbeat_script, 1, 3, argv, lens, on_beat_reply, in) == 0)
        in->in_flight = true;
}

static void on_timer(uv_timer_t *timer)
{
    beat(timer->data);
}

static void on_redis_event(redis_client_t *client, redis_event_t event, void *user_data)
{
    (void)client;
    if (event == REDIS_EVENT_UP)
        beat(user_data); /* announce at once, not an interval later */
}

instances_t *instances_new(uv_loop_t *loop, redis_client_t *redis, const instances_options_t *opts)
{
    if (!script_ready) {
        redis_script_init(&heartbeat_script, HEARTBEAT_SOURCE);
        script_ready = true;
    }
    instances_t *in = xcalloc(1, sizeof(*in));
    in->redis = redis;
    in->key = xstrdup(opts->key ? opts->key : "rural24:instances");
    if (opts->id && opts->id[0]) {
        snprintf(in->id, sizeof(in->id), "%s", opts->id);
    } else {
        unsigned char bytes[12];
        if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != (ssize_t)sizeof(bytes)) {
            uintptr_t self = (uintptr_t)in;
            memset(bytes, 0, sizeof(bytes));
            memcpy(bytes, &self, sizeof(self));
        }
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < sizeof(bytes); i++) {
            in->id[2 * i] = hex[bytes[i] >> 4];
            in->id[2 * i + 1] = hex[bytes[i] & 15];
        }
        in->id[2 * sizeof(bytes)] = '\0';
    }
    in->interval_ms = opts->interval_ms ? opts->interval_ms : 1000;
    in->ttl_ms = opts->ttl_ms ? opts->ttl_ms : 3 * in->interval_ms;
    in->live = 1;
    uv_timer_init(loop, &in->timer);
    in->timer.data = in;
    uv_timer_start(&in->timer, on_timer, in->interval_ms, in->interval_ms);
    redis_client_listen(redis, on_redis_event, in);
    beat(in);
    return in;
}

static void on_timer_closed(uv_handle_t *handle)
{
    instances_t *in = handle->data;
    in->timer_closed = true;
    maybe_free(in);
}

void instances_close(instances_t *in)
{
    if (!in || in->closing)
        return;
    in->closing = true;
    redis_client_unlisten(in->redis, on_redis_event, in);
    uv_close((uv_handle_t *)&in->timer, on_timer_closed);
}

uint32_t instances_live_count(const instances_t *in)
{
    return in->live;
}

const char *instances_id(const instances_t *in)
{
    return in->id;
}
