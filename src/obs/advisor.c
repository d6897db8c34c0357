/* The capacity advisor of advisor.h. */
#include "obs/advisor.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "db/db.h"
#include "store/cache.h"
#include "store/instances.h"
#include "ws/hub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const double bucket_bounds[OBS_BUCKETS] = OBS_BUCKET_BOUNDS;

/* ---- the decision table ----------------------------------------------------- */

typedef struct {
    const char *name;
    double warning, critical;
} threshold_t;

/* DESIGN.md: the signals that say when to move on. */
static const threshold_t STAGE2[] = {
    {"users_online", 200, 300}, {"requests_per_s", 50, 100}, {"db_connections_in_use", 30, 40},
    {"p95_ms", 300, 500},       {"rss_mb", 350, 400},        {"cache_miss_rate", 0.30, 0.50},
};
/* Stage 3: more than 1000 users online, chat over 100 messages a minute
 * (warned at 80% of each). */
static const threshold_t STAGE3[] = {
    {"users_online_stage3", 800, 1000},
    {"chat_messages_per_minute", 80, 100},
};

static advisor_level_t level_of(double value, const threshold_t *t)
{
    if (value > t->critical)
        return ADVISOR_CRITICAL;
    if (value >= t->warning)
        return ADVISOR_WARNING;
    return ADVISOR_OK;
}

static const char *level_name(advisor_level_t level)
{
    static const char *const names[] = {"ok", "warning", "critical"};
    return names[level];
}

static json_t *signal_json(double value, const threshold_t *t, advisor_level_t level)
{
    return json_pack("{s:f, s:f, s:f, s:s}", "value", value, "warning", t->warning, "critical",
                     t->critical, "level", level_name(level));
}

json_t *advisor_evaluate(const advisor_inputs_t *in)
{
    json_t *signals = json_object();
    json_t *advice = json_array();
    json_t *alarms = json_array();
    advisor_level_t worst = ADVISOR_OK;
    bool stage2_needed = false, stage3_needed = false;

    double stage2_values[] = {in->users_online, in->requests_per_s, in->db_in_use,
                              in->p95_ms,       in->rss_mb,         in->cache_miss_rate};
    for (size_t i = 0; i < sizeof(STAGE2) / sizeof(STAGE2[0]); i++) {
        double v = stage2_values[i];
        advisor_level_t level = ADVISOR_OK;
        if (i == 5 && v < 0) {
            v = 0; /* no cache reads yet: nothing to say */
        } else {
            level = level_of(v, &STAGE2[i]);
        }
        /* 80 requests/s sustained over an hour is a warning of its own. */
        if (i == 1 && in->requests_per_s_hour > 80 && level == ADVISOR_OK)
            level = ADVISOR_WARNING;
        json_t *s = signal_json(v, &STAGE2[i], level);
        if (i == 1)
            json_object_set_new(s, "hour_average", json_real(in->requests_per_s_hour));
        json_object_set_new(signals, STAGE2[i].name, s);
        if (level == ADVISOR_CRITICAL)
            stage2_needed = true;
        if (level > worst)
            worst = level;
        if (level == ADVISOR_WARNING) {
            char text[128];
            snprintf(text, sizeof(text), "watch %s: %.2f is past its warning (%.2f)",
                     STAGE2[i].name, v, STAGE2[i].warning);
            json_array_append_new(advice, json_string(text));
        }
    }
    double stage3_values[] = {in->users_online, in->chat_per_minute};
    for (size_t i = 0; i < sizeof(STAGE3) / sizeof(STAGE3[0]); i++) {
        advisor_level_t level = level_of(stage3_values[i], &STAGE3[i]);
        json_object_set_new(signals, STAGE3[i].name,
                            signal_json(stage3_values[i], &STAGE3[i], level));
        if (level == ADVISOR_CRITICAL)
            stage3_needed = true;
        if (level > worst)
            worst = level;
    }

    /* The stage the configuration says. */
    int stage = !in->redis_enabled || !in->redis_stores ? 1 : in->replica ? 3 : 2;
    if (stage == 1 && (stage2_needed || stage3_needed)) {
        json_array_append_new(
            advice, json_string("move to stage 2: run 2-3 instances behind the load balancer "
                                "with one Redis, and set REDIS_ENABLED=true REDIS_URL=redis://... "
                                "CACHE_TYPE=hybrid RATE_LIMIT_STORE=redis SESSION_STORE=redis"));
    } else if (stage == 2 && stage3_needed) {
        json_array_append_new(
            advice, json_string("move to stage 3: run 5-10 instances and a read replica, and set "
                                "DATABASE_REPLICA_URL=postgresql://... (WebSocket fan-out already "
                                "crosses instances over Redis)"));
    } else if (stage >= 2 && !in->redis_enabled) {
        json_array_append_new(advice, json_string("Redis is off: every store is in memory"));
    }

    /* A hosted instance's alarms. */
    struct {
        const char *name;
        double value, threshold;
    } alarm_checks[] = {
        {"cpu_percent", in->cpu_percent, 80},
        {"rss_mb", in->rss_mb, 450},
        {"p95_ms", in->p95_ms, 300},
        {"error_5xx_percent", in->error_5xx_rate * 100, 2},
    };
    for (size_t i = 0; i < sizeof(alarm_checks) / sizeof(alarm_checks[0]); i++) {
        if (alarm_checks[i].value > alarm_checks[i].threshold) {
            json_array_append_new(
                alarms, json_pack("{s:s, s:f, s:f}", "alarm", alarm_checks[i].name, "value",
                                  alarm_checks[i].value, "threshold", alarm_checks[i].threshold));
            worst = ADVISOR_CRITICAL;
        }
    }

    /* Connections: every live instance opens up to DB_POOL_SIZE to the primary. */
    int instances = in->live_instances > 0 ? in->live_instances : 1;
    int needed = instances * in->db_pool_size;
    const char *conn_level = "unknown";
    if (in->db_max_connections > 0) {
        /* Keep some for administration and migrations: warn at 80%. */
        if (needed >= in->db_max_connections) {
            conn_level = "critical";
            worst = ADVISOR_CRITICAL;
        } else if (needed * 5 >= in->db_max_connections * 4) {
            conn_level = "warning";
            if (worst < ADVISOR_WARNING)
                worst = ADVISOR_WARNING;
        } else {
            conn_level = "ok";
        }
        if (strcmp(conn_level, "ok") != 0) {
            char text[200];
            snprintf(text, sizeof(text),
                     "%d instances x DB_POOL_SIZE=%d = %d connections against max_connections=%d: "
                     "lower DB_POOL_SIZE, raise max_connections, or put PgBouncer in front "
                     "(DB_PREPARED_STATEMENTS=false)",
                     instances, in->db_pool_size, needed, in->db_max_connections);
            json_array_append_new(advice, json_string(text));
        }
    }
    json_t *connections = json_pack("{s:i, s:i, s:i, s:i, s:s}", "live_instances", instances,
                                    "db_pool_size", in->db_pool_size, "needed", needed,
                                    "max_connections", in->db_max_connections, "level", conn_level);

    if (json_array_size(advice) == 0)
        json_array_append_new(advice, json_string("stay: no signal calls for a change"));
    return json_pack("{s:i, s:s, s:o, s:o, s:o, s:o}", "stage", stage, "level", level_name(worst),
                     "signals", signals, "alarms", alarms, "connections", connections, "advice",
                     advice);
}

/* ---- measuring ------------------------------------------------------------- */

/* Cumulative counters at one moment. */
typedef struct {
    uint64_t at_ms;
    uint64_t requests;
    uint64_t errors_5xx;
    uint64_t buckets[OBS_BUCKETS];
    uint64_t chat;
    double cpu_s;
    uint64_t cache_hits, cache_misses;
} sample_t;

enum { HOUR_SAMPLES = 13 }; /* every five minutes, an hour of them */

struct advisor_s {
    obs_sources_t src;
    uv_timer_t timer;
    sample_t ring[ADVISOR_SAMPLES];
    size_t count, head; /* samples held; the next slot */
    sample_t hour[HOUR_SAMPLES];
    size_t hour_count, hour_head;
    size_t ticks;
    /* Users and addresses seen: a direct-mapped table of key hashes and the
     * second each was last seen. O(1) and allocation-free per request (an
     * exact table cost 5% of a health request under callgrind); two keys
     * sharing a slot count once, which undercounts by about n/(2 x slots):
     * under 2% at stage 3's 1,000 users. */
    struct {
        uint64_t key;
        uint64_t seen_s;
    } online[ADVISOR_ONLINE_SLOTS];
    int db_max_connections;
};

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void take_sample(advisor_t *a, sample_t *out)
{
    memset(out, 0, sizeof(*out));
    out->at_ms = clock_now_ms();
    const obs_metrics_t *m = a->src.metrics;
    for (size_t s = 0; s < m->slot_count; s++) {
        const obs_route_metrics_t *r = &m->slots[s];
        out->requests += r->observations;
        for (int b = 0; b < OBS_BUCKETS; b++)
            out->buckets[b] += r->buckets[b];
        for (int method = 0; method < HTTP_METHOD_COUNT; method++)
            for (int st = 0; st < OBS_STATUS_SLOTS; st++)
                if (obs_slot_status(st) >= 500)
                    out->errors_5xx += r->requests[method][st];
    }
    out->chat = m->events[OBS_CHAT_MESSAGES];
    out->cpu_s = cpu_seconds();
    if (a->src.cache != NULL) {
        cache_stats_t cs;
        cache_get_stats(a->src.cache, &cs);
        out->cache_hits = cs.hits;
        out->cache_misses = cs.misses;
    }
}

static const sample_t *oldest(const advisor_t *a)
{
    if (a->count == 0)
        return NULL;
    size_t i = (a->head + ADVISOR_SAMPLES - a->count) % ADVISOR_SAMPLES;
    return &a->ring[i];
}

static void on_max_connections(db_result_t *res, void *user_data)
{
    advisor_t *a = user_data;
    int64_t n = 0;
    if (db_result_error(res) == 0 && db_result_rows(res) == 1 &&
        db_result_int64(res, 0, 0, &n) == 0)
        a->db_max_connections = (int)n;
}

static const db_stmt_t max_connections_stmt = {
    .name = "advisor_max_connections",
    .sql = "SELECT current_setting('max_connections')::int",
    .param_count = 0,
};

static void ask_max_connections(advisor_t *a)
{
    if (a->src.db != NULL)
        (void)db_query((db_t *)a->src.db, &max_connections_stmt, NULL, NULL, 0, DB_READ, 0,
                       on_max_connections, a);
}

static void on_tick(uv_timer_t *timer)
{
    advisor_t *a = timer->data;
    take_sample(a, &a->ring[a->head]);
    a->head = (a->head + 1) % ADVISOR_SAMPLES;
    if (a->count < ADVISOR_SAMPLES)
        a->count++;
    /* Every five minutes: the hour's ring, the online table's expired
     * entries, and the database's max_connections (it may change). */
    if (a->ticks++ % (ADVISOR_SAMPLES - 1) == 0) {
        a->hour[a->hour_head] = a->ring[(a->head + ADVISOR_SAMPLES - 1) % ADVISOR_SAMPLES];
        a->hour_head = (a->hour_head + 1) % HOUR_SAMPLES;
        if (a->hour_count < HOUR_SAMPLES)
            a->hour_count++;
        ask_max_connections(a);
    }
}

advisor_t *advisor_new(uv_loop_t *loop, const obs_sources_t *src)
{
    advisor_t *a = xcalloc(1, sizeof(*a));
    a->src = *src;
    uv_timer_init(loop, &a->timer);
    a->timer.data = a;
    uv_timer_start(&a->timer, on_tick, 0, ADVISOR_SAMPLE_MS);
    uv_unref((uv_handle_t *)&a->timer);
    return a;
}

static void on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void advisor_close(advisor_t *advisor)
{
    if (advisor != NULL)
        uv_close((uv_handle_t *)&advisor->timer, on_closed);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

void advisor_on_access(const http_request_t *req, int status, size_t body_bytes, double duration_ms,
                       void *user_data)
{
    (void)status;
    (void)body_bytes;
    (void)duration_ms;
    advisor_t *a = user_data;
    uint64_t key;
    if (req->user_id != 0) {
        key = mix64((uint64_t)req->user_id);
    } else {
        key = 1469598103934665603ULL; /* FNV-1a of the address, apart from user ids */
        for (const unsigned char *p = (const unsigned char *)req->client_ip; *p != '\0'; p++)
            key = (key ^ *p) * 1099511628211ULL;
        key = mix64(key ^ 0x9e3779b97f4a7c15ULL);
    }
    if (key == 0)
        key = 1;
    size_t slot = (size_t)(key & (ADVISOR_ONLINE_SLOTS - 1));
    a->online[slot].key = key;
    a->online[slot].seen_s = (uint64_t)(req->start_us / 1000000);
}

/* Keys seen within the window. */
static double online_count(const advisor_t *a)
{
    uint64_t now_s = clock_now_us() / 1000000;
    uint64_t window_s = ADVISOR_ONLINE_WINDOW_MS / 1000;
    size_t n = 0;
    for (size_t i = 0; i < ADVISOR_ONLINE_SLOTS; i++)
        if (a->online[i].key != 0 && a->online[i].seen_s + window_s >= now_s)
            n++;
    return (double)n;
}

void advisor_set_db_max_connections(advisor_t *advisor, int max_connections)
{
    advisor->db_max_connections = max_connections;
}

/* The latency under which 95% of the window's requests were answered, from
 * the histogram's deltas (linear within the bucket that holds it). */
static double p95_ms(const sample_t *now, const sample_t *then)
{
    uint64_t total = 0, deltas[OBS_BUCKETS];
    for (int b = 0; b < OBS_BUCKETS; b++) {
        deltas[b] = now->buckets[b] - (then ? then->buckets[b] : 0);
        total += deltas[b];
    }
    uint64_t all = now->requests - (then ? then->requests : 0);
    if (all == 0)
        return 0;
    double target = 0.95 * (double)all;
    double seen = 0;
    for (int b = 0; b < OBS_BUCKETS; b++) {
        if (seen + (double)deltas[b] >= target) {
            double lo = b == 0 ? 0 : bucket_bounds[b - 1];
            double frac = deltas[b] ? (target - seen) / (double)deltas[b] : 1;
            return (lo + (bucket_bounds[b] - lo) * frac) * 1000.0;
        }
        seen += (double)deltas[b];
    }
    (void)total;
    return bucket_bounds[OBS_BUCKETS - 1] * 1000.0; /* above the last bound */
}

static double rss_mb(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

void advisor_inputs(advisor_t *a, advisor_inputs_t *out)
{
    memset(out, 0, sizeof(*out));
    sample_t now;
    take_sample(a, &now);
    const sample_t *then = oldest(a);
    double seconds = then != NULL ? (double)(now.at_ms - then->at_ms) / 1000.0 : 0;
    out->users_online = online_count(a);
    if (a->src.hub != NULL) {
        ws_hub_stats_t hs;
        ws_hub_get_stats(a->src.hub, &hs);
        out->users_online += (double)hs.connections;
    }
    if (seconds >= 1) {
        out->requests_per_s = (double)(now.requests - then->requests) / seconds;
        out->chat_per_minute = (double)(now.chat - then->chat) / seconds * 60.0;
        out->cpu_percent = (now.cpu_s - then->cpu_s) / seconds * 100.0;
        uint64_t reqs = now.requests - then->requests;
        out->error_5xx_rate = reqs ? (double)(now.errors_5xx - then->errors_5xx) / (double)reqs : 0;
    }
    out->p95_ms = p95_ms(&now, then);
    uint64_t hits = now.cache_hits - (then ? then->cache_hits : 0);
    uint64_t misses = now.cache_misses - (then ? then->cache_misses : 0);
    out->cache_miss_rate = hits + misses > 0 ? (double)misses / (double)(hits + misses) : -1;
    if (a->hour_count >= 2) {
        const sample_t *first =
            &a->hour[(a->hour_head + HOUR_SAMPLES - a->hour_count) % HOUR_SAMPLES];
        double hour_s = (double)(now.at_ms - first->at_ms) / 1000.0;
        if (hour_s >= 1)
            out->requests_per_s_hour = (double)(now.requests - first->requests) / hour_s;
    }
    if (a->src.db != NULL) {
        db_stats_t ds;
        db_get_stats(a->src.db, &ds);
        out->db_in_use = ds.primary.in_use;
    }
    out->rss_mb = rss_mb();
    const config_t *cfg = a->src.config;
    out->redis_enabled = cfg->redis_enabled;
    out->redis_stores = cfg->cache_type != CACHE_MEMORY &&
                        cfg->rate_limit_store == RATE_STORE_REDIS &&
                        cfg->session_store == SESSION_REDIS;
    out->replica = cfg->database_replica_url[0] != '\0';
    out->db_pool_size = cfg->db_pool_size;
    out->live_instances =
        a->src.instances != NULL ? (int)instances_live_count(a->src.instances) : 1;
    out->db_max_connections = a->db_max_connections;
}
