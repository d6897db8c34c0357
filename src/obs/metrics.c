/* The registry of metrics.h. */
#include "obs/metrics.h"

#include "core/clock.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <string.h>

#include <stdlib.h>
#include <time.h>

static const double bucket_bounds[OBS_BUCKETS] = OBS_BUCKET_BOUNDS;

obs_metrics_t *obs_metrics_new(const http_router_t *router)
{
    obs_metrics_t *m = xcalloc(1, sizeof(*m));
    m->router = router;
    m->slot_count = http_router_count(router) + 1;
    m->slots = xcalloc(m->slot_count, sizeof(*m->slots));
    m->started_unix_s = (uint64_t)time(NULL);
    return m;
}

void obs_metrics_free(obs_metrics_t *metrics)
{
    if (metrics == NULL)
        return;
    free(metrics->slots);
    free(metrics);
}

int obs_status_slot(int status)
{
    switch (status) {
#define X(code)                                                                                    \
    case code:                                                                                     \
        return OBS_STATUS_##code;
        OBS_STATUSES
#undef X
    default:
        return OBS_STATUS_OTHER;
    }
}

int obs_slot_status(int slot)
{
    static const int codes[] = {
#define X(code) code,
        OBS_STATUSES
#undef X
    };
    return slot >= 0 && slot < OBS_STATUS_OTHER ? codes[slot] : 0;
}

void obs_metrics_on_access(const http_request_t *req, int status, size_t body_bytes,
                           double duration_ms, void *user_data)
{
    (void)body_bytes;
    obs_metrics_t *m = user_data;
    size_t slot = req->route != NULL && req->route->index < m->slot_count - 1 ? req->route->index
                                                                              : m->slot_count - 1;
    obs_route_metrics_t *r = &m->slots[slot];
    unsigned method =
        (unsigned)req->method < HTTP_METHOD_COUNT ? (unsigned)req->method : HTTP_METHOD_OTHER;
    r->requests[method][obs_status_slot(status)]++;
    double seconds = duration_ms / 1000.0;
    int b = 0;
    while (b < OBS_BUCKETS && seconds > bucket_bounds[b])
        b++;
    if (b < OBS_BUCKETS)
        r->buckets[b]++;
    r->observations++;
    r->seconds_sum += seconds;
}

void obs_count(obs_metrics_t *metrics, obs_event_t event)
{
    if (metrics != NULL && (unsigned)event < OBS_EVENT_COUNT)
        metrics->events[event]++;
}

void obs_job_ran(obs_metrics_t *metrics, const char *job, bool ok, int64_t items)
{
    if (metrics == NULL || job == NULL)
        return;
    obs_job_metrics_t *j = NULL;
    for (size_t i = 0; i < metrics->job_count; i++)
        if (strcmp(metrics->jobs[i].name, job) == 0)
            j = &metrics->jobs[i];
    if (j == NULL) {
        if (metrics->job_count == OBS_JOBS_MAX)
            return;
        j = &metrics->jobs[metrics->job_count++];
        snprintf(j->name, sizeof(j->name), "%s", job);
    }
    if (ok)
        j->runs++;
    else
        j->failures++;
    if (items > 0)
        j->items += (uint64_t)items;
    j->last_run_ms = clock_now_ms();
}
