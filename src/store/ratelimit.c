/* The store-independent half of the rate limiter: options from the
 * configuration, argument checks, shared counters, dispatch. */
#include "store/ratelimit.h"
#include "store/ratelimit_backend.h"

#include <string.h>

static const char *const class_names[RATE_CLASS_COUNT] = {
    [RATE_CLASS_AUTH_IP] = "auth_ip",
    [RATE_CLASS_AUTH_EMAIL] = "auth_email",
    [RATE_CLASS_AUTH_EMAIL_ALL] = "auth_email_all",
    [RATE_CLASS_WRITE] = "write",
    [RATE_CLASS_READ] = "read",
    [RATE_CLASS_WS_MESSAGE] = "ws_message",
};

const char *ratelimit_class_name(ratelimit_class_t cls)
{
    return (unsigned)cls < RATE_CLASS_COUNT ? class_names[cls] : "unknown";
}

void ratelimit_options_init(ratelimit_options_t *opts, const config_t *cfg)
{
    memset(opts, 0, sizeof(*opts));
    if (cfg) {
        opts->classes[RATE_CLASS_AUTH_IP] = cfg->rate_auth_ip;
        opts->classes[RATE_CLASS_AUTH_EMAIL] = cfg->rate_auth_email;
        opts->classes[RATE_CLASS_AUTH_EMAIL_ALL] = cfg->rate_auth_email_all;
        opts->classes[RATE_CLASS_WRITE] = cfg->rate_write;
        opts->classes[RATE_CLASS_READ] = cfg->rate_read;
        opts->classes[RATE_CLASS_WS_MESSAGE] = cfg->rate_ws_message;
        opts->max_keys = (size_t)cfg->rate_limit_max_keys;
    } else {
        opts->classes[RATE_CLASS_AUTH_IP] = (rate_spec_t){10, 60};
        opts->classes[RATE_CLASS_AUTH_EMAIL] = (rate_spec_t){5, 900};
        opts->classes[RATE_CLASS_AUTH_EMAIL_ALL] = (rate_spec_t){100, 3600};
        opts->classes[RATE_CLASS_WRITE] = (rate_spec_t){30, 60};
        opts->classes[RATE_CLASS_READ] = (rate_spec_t){300, 60};
        opts->classes[RATE_CLASS_WS_MESSAGE] = (rate_spec_t){60, 60};
        opts->max_keys = 100000;
    }
    opts->key_prefix = "rural24:rl:";
    opts->sweep_interval_ms = 1000;
}

ratelimit_t *ratelimit_new_from_config(uv_loop_t *loop, redis_client_t *redis,
                                       instances_t *instances, const config_t *cfg)
{
    ratelimit_options_t opts;
    ratelimit_options_init(&opts, cfg);
    if (cfg->rate_limit_store == RATE_STORE_REDIS && redis)
        return ratelimit_redis_new(loop, redis, instances, &opts);
    return ratelimit_memory_new(loop, &opts);
}

void ratelimit__init(ratelimit_t *rl, const ratelimit__ops_t *ops, const ratelimit_options_t *opts)
{
    memset(rl, 0, sizeof(*rl));
    rl->ops = ops;
    for (int i = 0; i < RATE_CLASS_COUNT; i++) {
        rl->specs[i] = opts->classes[i];
        gcra_init(&rl->classes[i], opts->classes[i].limit, opts->classes[i].period_s);
    }
}

void ratelimit__result_from_gcra(const gcra_result_t *gcra, ratelimit_result_t *out)
{
    out->allowed = gcra->allowed;
    out->limit = gcra->limit;
    out->remaining = gcra->allowed ? gcra->remaining : 0;
    out->reset_s = gcra_ceil_seconds(gcra->reset_us);
    if (gcra->allowed) {
        out->retry_after_s = 0;
    } else {
        uint32_t s = gcra_ceil_seconds(gcra->retry_after_us);
        out->retry_after_s = s > 0 ? s : 1;
    }
}

void ratelimit__cleared_result(const ratelimit_t *rl, ratelimit_class_t cls,
                               ratelimit_result_t *out)
{
    *out = (ratelimit_result_t){
        .allowed = true,
        .limit = rl->classes[cls].limit,
        .remaining = rl->classes[cls].limit,
    };
}

void ratelimit__deliver(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op,
                        const ratelimit_result_t *result, ratelimit_cb cb, void *user_data)
{
    if (op != RATELIMIT_CLEAR) {
        if (result->allowed) {
            rl->allowed++;
            rl->allowed_by_class[cls]++;
        } else {
            rl->refused++;
            rl->refused_by_class[cls]++;
        }
    }
    if (cb)
        cb(result, user_data);
}

int ratelimit_apply(ratelimit_t *rl, ratelimit_class_t cls, ratelimit_op_t op, const void *key,
                    size_t key_len, ratelimit_cb cb, void *user_data)
{
    if ((unsigned)cls >= RATE_CLASS_COUNT || (unsigned)op > RATELIMIT_CLEAR ||
        (!key && key_len > 0) || key_len > RATELIMIT_MAX_KEY_BYTES)
        return RATELIMIT_E_INVALID;
    if (op != RATELIMIT_CLEAR)
        rl->checks++;
    rl->ops->apply(rl, cls, op, key ? key : "", key_len, cb, user_data);
    return 0;
}

int ratelimit_check(ratelimit_t *rl, ratelimit_class_t cls, const void *key, size_t key_len,
                    ratelimit_cb cb, void *user_data)
{
    if (!cb)
        return RATELIMIT_E_INVALID;
    return ratelimit_apply(rl, cls, RATELIMIT_COUNT, key, key_len, cb, user_data);
}

void ratelimit_get_stats(ratelimit_t *rl, ratelimit_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->instances = 1;
    rl->ops->stats(rl, out);
    out->type = rl->ops->type;
    out->checks = rl->checks;
    out->allowed = rl->allowed;
    out->refused = rl->refused;
    memcpy(out->refused_by_class, rl->refused_by_class, sizeof(out->refused_by_class));
    memcpy(out->allowed_by_class, rl->allowed_by_class, sizeof(out->allowed_by_class));
}

json_t *ratelimit_stats_json(const ratelimit_stats_t *s)
{
    json_t *by_class = json_object();
    for (int i = 0; i < RATE_CLASS_COUNT; i++)
        json_object_set_new(by_class, class_names[i],
                            json_integer((json_int_t)s->refused_by_class[i]));
    return json_pack("{s:s, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:I, s:I}",
                     "type", s->type, "checks", (json_int_t)s->checks, "allowed",
                     (json_int_t)s->allowed, "refused", (json_int_t)s->refused, "refused_by_class",
                     by_class, "keys", (json_int_t)s->keys, "max_keys", (json_int_t)s->max_keys,
                     "evictions", (json_int_t)s->evictions, "degraded", s->degraded, "fallbacks",
                     (json_int_t)s->fallbacks, "recoveries", (json_int_t)s->recoveries,
                     "fallback_checks", (json_int_t)s->fallback_checks, "redis_errors",
                     (json_int_t)s->redis_errors, "instances", (json_int_t)s->instances);
}

void ratelimit_close(ratelimit_t *rl)
{
    if (rl)
        rl->ops->close(rl);
}
