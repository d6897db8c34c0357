/* The exposition of prometheus.h. */
#include "obs/prometheus.h"

#include "core/clock.h"
#include "db/db.h"
#include "http/server.h"
#include "redis/redis.h"
#include "store/cache.h"
#include "store/ratelimit.h"
#include "ws/hub.h"

#include <dirent.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const double bucket_bounds[OBS_BUCKETS] = OBS_BUCKET_BOUNDS;

typedef struct {
    buf_t *out;
    int rc;
} writer_t;

static void put(writer_t *w, const char *s)
{
    w->rc |= buf_append_str(w->out, s);
}

static void putf(writer_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(writer_t *w, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        w->rc |= buf_append(w->out, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* # HELP and # TYPE of a family. */
static void family(writer_t *w, const char *name, const char *type, const char *help)
{
    putf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value escaped as the format wants (\\, \", \n). */
static void put_label_value(writer_t *w, const char *v)
{
    for (const char *p = v; *p != '\0'; p++) {
        if (*p == '\\')
            put(w, "\\\\");
        else if (*p == '"')
            put(w, "\\\"");
        else if (*p == '\n')
            put(w, "\\n");
        else
            w->rc |= buf_append(w->out, p, 1);
    }
}

static void gauge(writer_t *w, const char *name, const char *help, double value)
{
    family(w, name, "gauge", help);
    putf(w, "%s %.17g\n", name, value);
}

static void counter(writer_t *w, const char *name, const char *help, uint64_t value)
{
    family(w, name, "counter", help);
    putf(w, "%s %" PRIu64 "\n", name, value);
}

/* ---- requests (the registry) ---------------------------------------------- */

static const char *route_label(const obs_metrics_t *m, size_t slot)
{
    const http_route_t *route =
        slot + 1 < m->slot_count ? http_router_route(m->router, slot) : NULL;
    return route != NULL ? route->template_path : "unmatched";
}

static void render_requests(writer_t *w, const obs_metrics_t *m)
{
    family(w, "rural24_http_requests_total", "counter",
           "HTTP requests answered, by route template, method and status.");
    for (size_t s = 0; s < m->slot_count; s++) {
        const obs_route_metrics_t *r = &m->slots[s];
        if (r->observations == 0)
            continue;
        for (int method = 0; method < HTTP_METHOD_COUNT; method++) {
            for (int st = 0; st < OBS_STATUS_SLOTS; st++) {
                uint64_t n = r->requests[method][st];
                if (n == 0)
                    continue;
                put(w, "rural24_http_requests_total{route=\"");
                put_label_value(w, route_label(m, s));
                int code = obs_slot_status(st);
                if (code != 0)
                    putf(w, "\",method=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                         http_method_name((http_method_t)method), code, n);
                else
                    putf(w, "\",method=\"%s\",status=\"other\"} %" PRIu64 "\n",
                         http_method_name((http_method_t)method), n);
            }
        }
    }
    family(w, "rural24_http_request_duration_seconds", "histogram",
           "Time from the request's first byte to its answer handed to the socket, by route "
           "template.");
    for (size_t s = 0; s < m->slot_count; s++) {
        const obs_route_metrics_t *r = &m->slots[s];
        if (r->observations == 0)
            continue;
        uint64_t cumulative = 0;
        for (int b = 0; b < OBS_BUCKETS; b++) {
            cumulative += r->buckets[b];
            put(w, "rural24_http_request_duration_seconds_bucket{route=\"");
            put_label_value(w, route_label(m, s));
            putf(w, "\",le=\"%g\"} %" PRIu64 "\n", bucket_bounds[b], cumulative);
        }
        put(w, "rural24_http_request_duration_seconds_bucket{route=\"");
        put_label_value(w, route_label(m, s));
        putf(w, "\",le=\"+Inf\"} %" PRIu64 "\n", r->observations);
        put(w, "rural24_http_request_duration_seconds_sum{route=\"");
        put_label_value(w, route_label(m, s));
        putf(w, "\"} %.9f\n", r->seconds_sum);
        put(w, "rural24_http_request_duration_seconds_count{route=\"");
        put_label_value(w, route_label(m, s));
        putf(w, "\"} %" PRIu64 "\n", r->observations);
    }
    counter(w, "rural24_chat_messages_total", "Chat messages stored (REST and WebSocket).",
            m->events[OBS_CHAT_MESSAGES]);
    counter(w, "rural24_notifications_total", "Notifications stored.",
            m->events[OBS_NOTIFICATIONS]);
    if (m->job_count == 0)
        return;
    family(w, "rural24_job_runs_total", "counter", "Scheduled job runs on this instance, by job.");
    for (size_t i = 0; i < m->job_count; i++)
        putf(w, "rural24_job_runs_total{job=\"%s\"} %" PRIu64 "\n", m->jobs[i].name,
             m->jobs[i].runs);
    family(w, "rural24_job_failures_total", "counter", "Scheduled job runs that failed, by job.");
    for (size_t i = 0; i < m->job_count; i++)
        putf(w, "rural24_job_failures_total{job=\"%s\"} %" PRIu64 "\n", m->jobs[i].name,
             m->jobs[i].failures);
    family(w, "rural24_job_items_total", "counter",
           "What the job runs consumed (events, ads), by job.");
    for (size_t i = 0; i < m->job_count; i++)
        putf(w, "rural24_job_items_total{job=\"%s\"} %" PRIu64 "\n", m->jobs[i].name,
             m->jobs[i].items);
    family(w, "rural24_job_seconds_since_run", "gauge",
           "Seconds since the job last ran on this instance (its lag, next to its period).");
    uint64_t now = clock_now_ms();
    for (size_t i = 0; i < m->job_count; i++)
        putf(w, "rural24_job_seconds_since_run{job=\"%s\"} %.3f\n", m->jobs[i].name,
             (double)(now - m->jobs[i].last_run_ms) / 1000.0);
}

/* ---- the layers' own stats ------------------------------------------------ */

static void render_http(writer_t *w, const struct http_server_s *server)
{
    http_server_stats_t s;
    http_server_get_stats(server, &s);
    gauge(w, "rural24_http_requests_in_flight", "Requests being handled now.",
          (double)s.requests_in_flight);
    gauge(w, "rural24_http_connections_open", "Open HTTP connections (WebSockets included).",
          (double)s.connections_open);
    counter(w, "rural24_http_connections_total", "Connections accepted.", s.connections_total);
    family(w, "rural24_http_connections_refused_total", "counter",
           "Connections closed at once, by reason.");
    putf(w, "rural24_http_connections_refused_total{reason=\"max_connections\"} %" PRIu64 "\n",
         s.connections_refused);
    putf(w, "rural24_http_connections_refused_total{reason=\"per_ip\"} %" PRIu64 "\n",
         s.connections_refused_per_ip);
    counter(w, "rural24_http_connections_evicted_total",
            "Idle connections closed to make room near MAX_CONNECTIONS.", s.connections_evicted);
    gauge(w, "rural24_http_body_memory_bytes", "Request bodies held in memory now.",
          (double)s.body_memory_bytes);
    counter(w, "rural24_http_bodies_refused_total",
            "Bodies answered 503 after waiting for MAX_BODY_MEMORY.", s.body_memory_refused);
    counter(w, "rural24_http_bodies_too_slow_total",
            "Bodies cut with 408 under HTTP_BODY_MIN_RATE.", s.bodies_too_slow);
    counter(w, "rural24_http_strict_refused_total", "Requests refused by the strict HTTP rules.",
            s.strict_refused);
}

static void render_cache(writer_t *w, struct cache_s *cache)
{
    cache_stats_t s;
    cache_get_stats(cache, &s);
    counter(w, "rural24_cache_hits_total", "Cache reads answered from the cache.", s.hits);
    counter(w, "rural24_cache_misses_total", "Cache reads that missed.", s.misses);
    counter(w, "rural24_cache_evictions_total", "Live entries dropped for room (memory tables).",
            s.evictions);
    gauge(w, "rural24_cache_entries", "Entries in the memory tables.", (double)s.entries);
    gauge(w, "rural24_cache_bytes", "Bytes in the memory tables.", (double)s.bytes);
    gauge(w, "rural24_cache_fallback", "1 while the cache serves from memory because Redis fails.",
          s.degraded ? 1 : 0);
    counter(w, "rural24_cache_fallbacks_total", "Switches of the cache to memory.", s.fallbacks);
}

static void render_ratelimit(writer_t *w, struct ratelimit_s *rl)
{
    ratelimit_stats_t s;
    ratelimit_get_stats(rl, &s);
    family(w, "rural24_ratelimit_allowed_total", "counter",
           "Rate-limit checks that passed, by class.");
    for (int c = 0; c < RATE_CLASS_COUNT; c++)
        putf(w, "rural24_ratelimit_allowed_total{class=\"%s\"} %" PRIu64 "\n",
             ratelimit_class_name((ratelimit_class_t)c), s.allowed_by_class[c]);
    family(w, "rural24_ratelimit_refused_total", "counter", "Rate-limit refusals, by class.");
    for (int c = 0; c < RATE_CLASS_COUNT; c++)
        putf(w, "rural24_ratelimit_refused_total{class=\"%s\"} %" PRIu64 "\n",
             ratelimit_class_name((ratelimit_class_t)c), s.refused_by_class[c]);
    gauge(w, "rural24_ratelimit_fallback",
          "1 while the rate limiter decides in memory because Redis fails.", s.degraded ? 1 : 0);
    counter(w, "rural24_ratelimit_fallbacks_total", "Switches of the rate limiter to memory.",
            s.fallbacks);
}

static void pool_samples(writer_t *w, const char *name, const char *pool, double value)
{
    putf(w, "%s{pool=\"%s\"} %.17g\n", name, pool, value);
}

static void render_db(writer_t *w, const struct db_s *db)
{
    db_stats_t s;
    db_get_stats(db, &s);
    const db_pool_stats_t *pools[2] = {&s.primary, &s.replica};
    const char *names[2] = {"primary", "replica"};
    struct {
        const char *name, *type, *help;
    } fams[] = {
        {"rural24_db_pool_size", "gauge", "DB_POOL_SIZE of the pool."},
        {"rural24_db_pool_in_use", "gauge", "Connections running a statement."},
        {"rural24_db_pool_waiting", "gauge", "Queries waiting for a connection."},
        {"rural24_db_queries_total", "counter", "Statements completed."},
        {"rural24_db_errors_total", "counter", "Statements completed with an error."},
        {"rural24_db_slow_queries_total", "counter", "Statements slower than SLOW_QUERY_MS."},
        {"rural24_db_acquire_timeouts_total", "counter",
         "Queries that waited too long for a connection."},
        {"rural24_db_up", "gauge", "1 while the pool has a connection up."},
    };
    for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
        family(w, fams[f].name, fams[f].type, fams[f].help);
        for (int p = 0; p < 2; p++) {
            const db_pool_stats_t *ps = pools[p];
            if (!ps->configured)
                continue;
            double v = 0;
            switch (f) {
            case 0:
                v = ps->size;
                break;
            case 1:
                v = ps->in_use;
                break;
            case 2:
                v = ps->waiting;
                break;
            case 3:
                v = (double)ps->queries_total;
                break;
            case 4:
                v = (double)ps->errors_total;
                break;
            case 5:
                v = (double)ps->slow_total;
                break;
            case 6:
                v = (double)ps->acquire_timeouts_total;
                break;
            default:
                v = ps->up ? 1 : 0;
                break;
            }
            pool_samples(w, fams[f].name, names[p], v);
        }
    }
}

static void render_redis(writer_t *w, const struct redis_client_s *redis)
{
    redis_client_stats_t s;
    redis_client_get_stats(redis, &s);
    gauge(w, "rural24_redis_up", "1 while the command connection to Redis is up.",
          redis_client_state(redis) == REDIS_STATE_UP ? 1 : 0);
    counter(w, "rural24_redis_commands_total", "Commands sent to Redis.", s.commands);
    counter(w, "rural24_redis_command_errors_total", "Commands that failed or were refused.",
            s.failures + s.rejected);
    gauge(w, "rural24_redis_subscriptions",
          "Channels subscribed (per-user chat channels included).",
          (double)redis_client_channel_count(redis));
}

static void render_ws(writer_t *w, struct ws_hub_s *hub)
{
    ws_hub_stats_t s;
    ws_hub_get_stats(hub, &s);
    gauge(w, "rural24_ws_connections", "Open WebSocket connections.", (double)s.connections);
    gauge(w, "rural24_ws_users", "Distinct users with an open WebSocket.", (double)s.users);
    counter(w, "rural24_ws_frames_sent_total", "Frames pushed to local connections.",
            s.frames_sent);
    counter(w, "rural24_ws_published_total", "Frames handed to Redis for other instances.",
            s.published);
    counter(w, "rural24_ws_received_total", "Frames from other instances delivered here.",
            s.received);
    counter(w, "rural24_ws_dropped_total", "Connections dropped after two missed pongs.",
            s.dropped_pings);
}

static void render_process(writer_t *w, const obs_metrics_t *m, uint64_t uptime_s)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned long size_pages = 0, resident_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%lu %lu", &size_pages, &resident_pages) != 2)
            resident_pages = 0;
        fclose(f);
    }
    gauge(w, "process_resident_memory_bytes", "Resident memory size in bytes.",
          (double)resident_pages * (double)page);
    struct rusage ru;
    double cpu = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    family(w, "process_cpu_seconds_total", "counter", "User and system CPU time in seconds.");
    putf(w, "process_cpu_seconds_total %.6f\n", cpu);
    size_t fds = 0;
    DIR *dir = opendir("/proc/self/fd");
    if (dir != NULL) {
        struct dirent *e;
        while ((e = readdir(dir)) != NULL)
            if (e->d_name[0] != '.')
                fds++;
        closedir(dir);
    }
    gauge(w, "process_open_fds", "Open file descriptors.", (double)fds);
    gauge(w, "process_start_time_seconds", "Start time since the Unix epoch, in seconds.",
          (double)m->started_unix_s);
    gauge(w, "rural24_uptime_seconds", "Seconds since the server started.", (double)uptime_s);
}

int obs_prometheus_render(const obs_sources_t *src, buf_t *out)
{
    writer_t w = {.out = out, .rc = 0};
    render_requests(&w, src->metrics);
    if (src->server != NULL)
        render_http(&w, src->server);
    if (src->cache != NULL)
        render_cache(&w, src->cache);
    if (src->ratelimit != NULL)
        render_ratelimit(&w, src->ratelimit);
    if (src->db != NULL)
        render_db(&w, src->db);
    if (src->redis != NULL)
        render_redis(&w, src->redis);
    if (src->hub != NULL)
        render_ws(&w, src->hub);
    render_process(&w, src->metrics, (clock_now_ms() - src->started_ms) / 1000);
    return w.rc != 0 ? -1 : 0;
}
