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
#include "obs/sources.h"

/* Appends the exposition to out. 0, or -1 when out's cap was reached. */
int obs_prometheus_render(const obs_sources_t *src, buf_t *out);

/* The exposition's Content-Type. */
#define OBS_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
