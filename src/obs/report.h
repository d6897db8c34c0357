/* The stats an operator reads in one piece: GET /api/admin/stats and the
 * periodic "[METRICS]" log line show the same object (DESIGN.md: the cache's
 * and rate limiter's stats, the pools, the WebSockets, memory, uptime,
 * requests/s, p95 and the capacity advisor's verdict). */
#ifndef RURAL24_OBS_REPORT_H
#define RURAL24_OBS_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "obs/advisor.h"
#include "obs/sources.h"

/* {"cache","rate_limiter","db","ws","memory","uptime_s","requests_per_s",
 *  "p95_ms","capacity"}: a new object the caller owns. Layers that are absent
 * are null. */
json_t *obs_stats_json(const obs_sources_t *src, advisor_t *advisor);

typedef struct obs_report_s obs_report_t;

/* Writes "[METRICS] {...}" every interval_s. Close with obs_report_close(). */
obs_report_t *obs_report_start(uv_loop_t *loop, const obs_sources_t *src, advisor_t *advisor,
                               uint64_t interval_s);
void obs_report_close(obs_report_t *report);

#endif
