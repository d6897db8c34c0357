/* What the observability layer reads: the handles of the layers below it,
 * borrowed from the application (api/app.h fills this in). */
#ifndef RURAL24_OBS_SOURCES_H
#define RURAL24_OBS_SOURCES_H

#include <stdint.h>

#include "core/config.h"
#include "obs/metrics.h"

struct http_server_s;
struct cache_s;
struct ratelimit_s;
struct db_s;
struct redis_client_s;
struct ws_hub_s;
struct instances_s;

/* Any pointer but metrics and config may be NULL (that layer is absent). */
typedef struct {
    const config_t *config;
    obs_metrics_t *metrics;
    const struct http_server_s *server;
    struct cache_s *cache;
    struct ratelimit_s *ratelimit;
    const struct db_s *db;
    const struct redis_client_s *redis;
    struct ws_hub_s *hub;
    const struct instances_s *instances; /* the Redis heartbeat: live instances */
    uint64_t started_ms;                 /* monotonic, for uptime */
} obs_sources_t;

#endif
