/* The capacity advisor: DESIGN.md's decision table, evaluated live.
 *
 * Every ADVISOR_SAMPLE_MS it samples the instance's cumulative counters
 * (requests, 5xx, the latency histogram, chat messages, CPU seconds, cache
 * hits and misses) into a ring of ADVISOR_SAMPLES, so that any signal over
 * the last five minutes is the newest sample minus the oldest. Users online
 * are the distinct authenticated users and client addresses with a request in
 * the last five minutes (a fixed table of hashes, see advisor.c) plus the
 * open WebSockets.
 *
 * The verdict: each signal with its value, warning and critical thresholds
 * and level; the stage the configuration puts the instance at (1: no Redis;
 * 2: Redis for the stores; 3: plus a read replica); the hosted instance's
 * alarms (CPU over 80%, RSS over 450 MB, p95 over 300 ms, 5xx over 2%); the
 * database connection arithmetic (live instances x DB_POOL_SIZE against the
 * server's max_connections); and advice naming the variables to set. The same
 * verdict goes into /api/admin/stats and the [METRICS] line. */
#ifndef RURAL24_OBS_ADVISOR_H
#define RURAL24_OBS_ADVISOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "http/request.h"
#include "obs/sources.h"

enum {
    ADVISOR_SAMPLE_MS = 5000,
    ADVISOR_SAMPLES = 61, /* five minutes of samples, both ends included */
    ADVISOR_ONLINE_WINDOW_MS = 5 * 60 * 1000,
    ADVISOR_ONLINE_SLOTS = 32768, /* users and addresses remembered (a power of two) */
};

typedef enum { ADVISOR_OK = 0, ADVISOR_WARNING, ADVISOR_CRITICAL } advisor_level_t;

/* The inputs of an evaluation: what the advisor measured, or a test's
 * synthetic figures. */
typedef struct {
    double users_online;
    double requests_per_s;
    double requests_per_s_hour; /* the average over the last hour (0: not known yet) */
    double db_in_use;
    double p95_ms;
    double rss_mb;
    double cache_miss_rate; /* 0..1; negative: no reads yet */
    double chat_per_minute;
    double cpu_percent;    /* of one core */
    double error_5xx_rate; /* 0..1 */
    /* The configuration. */
    bool redis_enabled;
    bool redis_stores; /* cache, rate limiter and sessions on Redis */
    bool replica;      /* DATABASE_REPLICA_URL set */
    int db_pool_size;
    int live_instances;     /* from the Redis heartbeat; 1 without Redis */
    int db_max_connections; /* the server's max_connections; 0: not known */
} advisor_inputs_t;

/* Evaluates the decision table over in: a new JSON object (the caller owns
 * it): {"stage","signals":{name:{"value","warning","critical","level"}},
 * "alarms":[...],"connections":{...},"advice":[...],"level"}. Pure: the unit
 * tests call it with synthetic inputs. */
json_t *advisor_evaluate(const advisor_inputs_t *in);

typedef struct advisor_s advisor_t;

/* Starts sampling the layers of src (copied; its pointers borrowed and alive
 * until advisor_close()). Never NULL. */
advisor_t *advisor_new(uv_loop_t *loop, const obs_sources_t *src);
void advisor_close(advisor_t *advisor);

/* The HTTP server's access hook (users and addresses online). */
void advisor_on_access(const http_request_t *req, int status, size_t body_bytes, double duration_ms,
                       void *user_data);

/* What the advisor measures now, and the configuration, as evaluation inputs. */
void advisor_inputs(advisor_t *advisor, advisor_inputs_t *out);

/* The server's max_connections, learned from the database (0 until then). */
void advisor_set_db_max_connections(advisor_t *advisor, int max_connections);

#endif
