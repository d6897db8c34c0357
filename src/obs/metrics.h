/* The metrics registry: what the server counts itself, as requests finish and
 * events happen. Everything else /metrics shows (connections, cache, rate
 * limiter, pools, Redis, WebSockets, the process) is read from the layers'
 * own stats when scraped (obs/prometheus.h), so nothing is counted twice.
 *
 * The hot path allocates nothing and takes no lock: the registry is sized
 * once from the router (a slot per route template, plus one for requests no
 * route matched) and only the loop thread writes it. Recording a request is
 * a few array increments (its cost next to a request is in
 * docs/PERFORMANCE.md). */
#ifndef RURAL24_OBS_METRICS_H
#define RURAL24_OBS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "http/request.h"
#include "http/router.h"

/* The statuses that get a series of their own; any other is "other".
 * (clang-format 14 reflows this list one line further on every run.) */
// clang-format off
#define OBS_STATUSES                                                                               \
    X(101) X(200) X(201) X(204) X(206) X(301) X(302) X(304) X(400) X(401) X(403) X(404) X(405)     \
    X(408) X(409) X(413) X(414) X(415) X(429) X(431) X(500) X(501) X(502) X(503)
// clang-format on

enum {
#define X(code) OBS_STATUS_##code,
    OBS_STATUSES
#undef X
        OBS_STATUS_OTHER,
    OBS_STATUS_SLOTS
};

/* Latency histogram bounds, seconds (the +Inf bucket is the count). */
#define OBS_BUCKET_BOUNDS                                                                          \
    {                                                                                              \
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0       \
    }
enum { OBS_BUCKETS = 14 };

/* Events other layers report (per minute rates come from these totals). */
typedef enum {
    OBS_CHAT_MESSAGES, /* messages stored (REST and WebSocket) */
    OBS_NOTIFICATIONS, /* notifications stored */
    OBS_EVENT_COUNT
} obs_event_t;

typedef struct {
    uint64_t requests[HTTP_METHOD_COUNT][OBS_STATUS_SLOTS];
    uint64_t buckets[OBS_BUCKETS]; /* non-cumulative: [i] counts (bound[i-1], bound[i]] */
    uint64_t observations;
    double seconds_sum;
} obs_route_metrics_t;

typedef struct obs_metrics_s {
    const http_router_t *router; /* borrowed: the route labels */
    size_t slot_count;           /* routes + 1; the last slot is "unmatched" */
    obs_route_metrics_t *slots;
    uint64_t events[OBS_EVENT_COUNT];
    uint64_t started_unix_s;
} obs_metrics_t;

/* Sizes a registry for router's routes (all registered already). Free with
 * obs_metrics_free(). */
obs_metrics_t *obs_metrics_new(const http_router_t *router);
void obs_metrics_free(obs_metrics_t *metrics);

/* The HTTP server's access hook (http_server_on_access) with the registry as
 * user_data. */
void obs_metrics_on_access(const http_request_t *req, int status, size_t body_bytes,
                           double duration_ms, void *user_data);

/* Counts an event (NULL metrics: nothing). */
void obs_count(obs_metrics_t *metrics, obs_event_t event);

/* The slot of a status, and the status of a slot (0 for "other"). */
int obs_status_slot(int status);
int obs_slot_status(int slot);

#endif
