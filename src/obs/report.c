/* The stats object and the [METRICS] line of report.h. */
#include "obs/report.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "db/db.h"
#include "store/cache.h"
#include "store/ratelimit.h"
#include "ws/hub.h"

#include <stdlib.h>

json_t *obs_stats_json(const obs_sources_t *src, advisor_t *advisor)
{
    json_t *out = json_object();
    if (src->cache != NULL) {
        cache_stats_t cs;
        cache_get_stats(src->cache, &cs);
        json_object_set_new(out, "cache", cache_stats_json(&cs));
    } else {
        json_object_set_new(out, "cache", json_null());
    }
    if (src->ratelimit != NULL) {
        ratelimit_stats_t rs;
        ratelimit_get_stats(src->ratelimit, &rs);
        json_object_set_new(out, "rate_limiter", ratelimit_stats_json(&rs));
    } else {
        json_object_set_new(out, "rate_limiter", json_null());
    }
    json_object_set_new(out, "db", src->db != NULL ? db_stats_json(src->db) : json_null());
    if (src->hub != NULL) {
        ws_hub_stats_t hs;
        ws_hub_get_stats(src->hub, &hs);
        json_object_set_new(out, "ws",
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "connections",
                                      (json_int_t)hs.connections, "users", (json_int_t)hs.users,
                                      "frames_sent", (json_int_t)hs.frames_sent, "published",
                                      (json_int_t)hs.published, "received", (json_int_t)hs.received,
                                      "dropped_pings", (json_int_t)hs.dropped_pings, "contexts",
                                      (json_int_t)hs.contexts));
    } else {
        json_object_set_new(out, "ws", json_null());
    }
    advisor_inputs_t in;
    advisor_inputs(advisor, &in);
    json_object_set_new(out, "memory",
                        json_pack("{s:f, s:I}", "rss_mb", in.rss_mb, "rss_bytes",
                                  (json_int_t)(in.rss_mb * 1024 * 1024)));
    json_object_set_new(out, "uptime_s",
                        json_integer((json_int_t)((clock_now_ms() - src->started_ms) / 1000)));
    json_object_set_new(out, "requests_per_s", json_real(in.requests_per_s));
    json_object_set_new(out, "p95_ms", json_real(in.p95_ms));
    json_object_set_new(out, "capacity", advisor_evaluate(&in));
    return out;
}

struct obs_report_s {
    obs_sources_t src;
    advisor_t *advisor;
    uv_timer_t timer;
};

static void on_report(uv_timer_t *timer)
{
    obs_report_t *r = timer->data;
    log_tagged_json("[METRICS]", obs_stats_json(&r->src, r->advisor));
}

obs_report_t *obs_report_start(uv_loop_t *loop, const obs_sources_t *src, advisor_t *advisor,
                               uint64_t interval_s)
{
    obs_report_t *r = xcalloc(1, sizeof(*r));
    r->src = *src;
    r->advisor = advisor;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    uint64_t ms = interval_s * 1000;
    uv_timer_start(&r->timer, on_report, ms, ms);
    uv_unref((uv_handle_t *)&r->timer);
    return r;
}

static void on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void obs_report_close(obs_report_t *report)
{
    if (report != NULL)
        uv_close((uv_handle_t *)&report->timer, on_closed);
}
