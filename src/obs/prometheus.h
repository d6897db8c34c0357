/* GET /metrics's body: the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), with
 * conventional names and base units (seconds, bytes, _total for counters).
 *
 * The request series come from the registry (obs/metrics.h); every other
 * family is read from its layer's stats at the moment of the scrape, so the
 * figures agree with /api/admin/stats and the [METRICS] line. Families whose
 * layer is absent (no Redis, no hub) are left out. */
#ifndef RURAL24_OBS_PROMETHEUS_H
#define RURAL24_OBS_PROMETHEUS_H

#include "core/buf.h"
#include "obs/metrics.h"

struct http_server_s;
struct cache_s;
struct ratelimit_s;
struct db_s;
struct redis_client_s;
struct ws_hub_s;

/* What a scrape reads; any pointer but metrics may be NULL. */
typedef struct {
    const obs_metrics_t *metrics;
    const struct http_server_s *server;
    struct cache_s *cache;
    struct ratelimit_s *ratelimit;
    const struct db_s *db;
    const struct redis_client_s *redis;
    struct ws_hub_s *hub;
    uint64_t uptime_s;
} obs_sources_t;

/* Appends the exposition to out. 0, or -1 when out's cap was reached. */
int obs_prometheus_render(const obs_sources_t *src, buf_t *out);

/* The exposition's Content-Type. */
#define OBS_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
