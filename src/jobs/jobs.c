/* The job scheduler; see jobs.h.
 *
 * A job's life on one instance, driven by its timer (a tick every quarter
 * period):
 *
 *   tick ──claim──▶ lease taken or renewed, run due ──▶ work ──▶ hooks
 *            │                                         │
 *            └─ no row: another instance holds it      └─ a full batch: work
 *                                                         again (bounded)
 *
 * While a claim is in flight the job's ticks do nothing; while its work runs
 * the ticks still renew the lease (without asking for a run), so a long run
 * does not lose it. Every statement in flight is counted, and the jobs_t is
 * freed only when none is left and every timer is closed. */
#include "jobs/jobs.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "db/catalog.h"
#include "db/jobs.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum {
    EXPIRE_BATCH = 1000,
    REMIND_BATCH = 1000,
    /* Events a matcher batch takes: its statement's time grows with the
     * matches it stores, so batches stay small and a run takes many. */
    MATCH_BATCH = 100,
    PRICE_DROP_BATCH = 500,
    /* Batches one run may take back to back when each comes back full. */
    MAX_BATCHES_PER_RUN = 50,
    /* Ticks in a row a job may yield to waiting requests (two periods):
     * under sustained load it still runs. */
    MAX_YIELDED_TICKS = 8,
    MIN_TICK_MS = 20,
};

typedef enum {
    JOB_EXPIRE,
    JOB_REMIND,
    JOB_MATCH,
    JOB_PRICE_DROPS,
    JOB_SUGGEST,
    JOB_COUNT,
} job_id_t;

typedef struct {
    struct jobs_s *jobs;
    const char *name; /* job_leases.name */
    const db_stmt_t *work;
    uint64_t period_ms;
    int batch;      /* $1 of the work statement; 0: it takes "0" (suggest_refresh) */
    bool notifies;  /* the work returns db/jobs.h's rows */
    bool bumps_ads; /* consumed > 0 means ads changed status */
    uv_timer_t timer;
    bool claiming;
    bool running;
    int batches_left;
    int yielded_ticks; /* ticks in a row skipped for waiting requests */
} job_t;

struct jobs_s {
    uv_loop_t *loop;
    db_t *db;
    jobs_hooks_t hooks;
    char owner[128];
    job_t jobs[JOB_COUNT];
    int open_timers;
    int in_flight;        /* statements whose callback has not fired yet */
    int claims_in_flight; /* of which lease claims */
    bool stopping;
    bool release_pending; /* stopping: release once no claim can renew a lease */
    jobs_stopped_cb on_stopped;
    void *stopped_data;
};

static void stopped(jobs_t *jobs)
{
    jobs_stopped_cb cb = jobs->on_stopped;
    jobs->on_stopped = NULL;
    if (cb != NULL)
        cb(jobs->stopped_data);
}

static void maybe_free(jobs_t *jobs)
{
    if (jobs->stopping && jobs->open_timers == 0 && jobs->in_flight == 0)
        free(jobs);
}

static void on_released(db_result_t *res, void *user_data)
{
    jobs_t *jobs = user_data;
    (void)res;
    jobs->in_flight--;
    stopped(jobs);
    maybe_free(jobs);
}

/* Lets this instance's leases lapse, once no claim of ours is in flight
 * (one that committed after the release would renew a lease). */
static void maybe_release(jobs_t *jobs)
{
    if (!jobs->release_pending || jobs->claims_in_flight > 0)
        return;
    jobs->release_pending = false;
    const char *params[] = {jobs->owner};
    if (db_query(jobs->db, &db_q_job_release, params, NULL, 1, DB_WRITE, 0, on_released, jobs) == 0)
        jobs->in_flight++;
    else
        stopped(jobs);
}

static void on_timer_closed(uv_handle_t *handle)
{
    job_t *job = handle->data;
    jobs_t *jobs = job->jobs;
    jobs->open_timers--;
    maybe_free(jobs);
}

static const char *int_text(char *buf, size_t size, int64_t value)
{
    snprintf(buf, size, "%lld", (long long)value);
    return buf;
}

static void start_work(job_t *job);

static void log_failure(const job_t *job, const char *what, db_result_t *res)
{
    log_warn(what, "job", json_string(job->name), "error",
             json_string(db_error_name(db_result_error(res))), NULL);
}

static void on_work(db_result_t *res, void *user_data)
{
    job_t *job = user_data;
    jobs_t *jobs = job->jobs;
    jobs->in_flight--;
    if (jobs->stopping) {
        job->running = false;
        maybe_free(jobs);
        return;
    }
    if (db_result_error(res) != 0) {
        log_failure(job, "job failed", res);
        job->running = false;
        if (jobs->hooks.on_ran != NULL)
            jobs->hooks.on_ran(job->name, false, 0, jobs->hooks.user_data);
        return;
    }
    int64_t consumed = 0;
    if (job->notifies)
        (void)db_result_int64(res, 0, 0, &consumed);
    if (jobs->hooks.on_ran != NULL)
        jobs->hooks.on_ran(job->name, true, consumed, jobs->hooks.user_data);
    if (job->notifies) {
        int stored = 0;
        for (int row = 0; row < db_result_rows(res); row++) {
            int64_t user_id = 0;
            size_t len = 0;
            const char *json = db_result_value(res, row, 2, &len);
            if (json == NULL || db_result_int64(res, row, 1, &user_id) != 0)
                continue;
            stored++;
            if (jobs->hooks.on_notification != NULL)
                jobs->hooks.on_notification(user_id, json, len, jobs->hooks.user_data);
        }
        if (consumed > 0 || stored > 0)
            log_info("job ran", "job", json_string(job->name), "consumed", json_integer(consumed),
                     "notifications", json_integer(stored), NULL);
    }
    if (job->bumps_ads && consumed > 0 && jobs->hooks.on_ads_changed != NULL)
        jobs->hooks.on_ads_changed(jobs->hooks.user_data);
    /* A full batch: there may be more waiting; take it now rather than a
     * period later, a bounded number of times per run. */
    if (job->batch > 0 && consumed >= job->batch && --job->batches_left > 0) {
        start_work(job);
        return;
    }
    job->running = false;
}

static void start_work(job_t *job)
{
    jobs_t *jobs = job->jobs;
    char batch[24];
    const char *params[] = {int_text(batch, sizeof(batch), job->batch)};
    job->running = true;
    int rc = db_query(jobs->db, job->work, params, NULL, 1, DB_WRITE, 0, on_work, job);
    if (rc != 0) {
        job->running = false;
        return;
    }
    jobs->in_flight++;
}

static void on_claim(db_result_t *res, void *user_data)
{
    job_t *job = user_data;
    jobs_t *jobs = job->jobs;
    jobs->in_flight--;
    jobs->claims_in_flight--;
    job->claiming = false;
    if (jobs->stopping) {
        maybe_release(jobs);
        maybe_free(jobs);
        return;
    }
    if (db_result_error(res) != 0) {
        log_failure(job, "job lease not claimed", res);
        return;
    }
    bool run = false;
    if (db_result_rows(res) != 1 || db_result_bool(res, 0, 0, &run) != 0 || !run || job->running)
        return;
    job->batches_left = MAX_BATCHES_PER_RUN;
    start_work(job);
}

static void on_tick(uv_timer_t *timer)
{
    job_t *job = timer->data;
    jobs_t *jobs = job->jobs;
    if (jobs->stopping || job->claiming)
        return;
    /* Requests first: while the pool has queries waiting for a connection, a
     * tick does nothing (were the lease to lapse meanwhile, another instance
     * would take the job: this one is busy), for at most two periods. */
    db_stats_t stats;
    db_get_stats(jobs->db, &stats);
    if (stats.primary.waiting > 0 && job->yielded_ticks < MAX_YIELDED_TICKS) {
        job->yielded_ticks++;
        return;
    }
    job->yielded_ticks = 0;
    char ttl[24], period[24];
    const char *params[] = {
        job->name,
        jobs->owner,
        int_text(ttl, sizeof(ttl), (int64_t)(job->period_ms / 2 > 0 ? job->period_ms / 2 : 1)),
        int_text(period, sizeof(period), (int64_t)job->period_ms),
        job->running ? "false" : "true",
    };
    int rc = db_query(jobs->db, &db_q_job_claim, params, NULL, 5, DB_WRITE, 0, on_claim, job);
    if (rc != 0)
        return; /* the database is down or busy: the next tick tries again */
    job->claiming = true;
    jobs->in_flight++;
    jobs->claims_in_flight++;
}

static void job_init(jobs_t *jobs, job_id_t id, const char *name, const db_stmt_t *work,
                     uint64_t period_ms, int batch, bool notifies, bool bumps_ads)
{
    job_t *job = &jobs->jobs[id];
    job->jobs = jobs;
    job->name = name;
    job->work = work;
    job->period_ms = period_ms;
    job->batch = batch;
    job->notifies = notifies;
    job->bumps_ads = bumps_ads;
    uv_timer_init(jobs->loop, &job->timer);
    job->timer.data = job;
    jobs->open_timers++;
    uint64_t tick = period_ms / 4 > MIN_TICK_MS ? period_ms / 4 : MIN_TICK_MS;
    /* The first tick comes soon after start-up, so that a fresh instance
     * takes a lapsed lease at once. */
    uv_timer_start(&job->timer, on_tick, MIN_TICK_MS, tick);
}

jobs_t *jobs_start(uv_loop_t *loop, db_t *db, const config_t *cfg, const jobs_hooks_t *hooks)
{
    jobs_t *jobs = xcalloc(1, sizeof(*jobs));
    jobs->loop = loop;
    jobs->db = db;
    if (hooks != NULL)
        jobs->hooks = *hooks;
    char host[64] = "host";
    size_t host_len = sizeof(host);
    if (uv_os_gethostname(host, &host_len) != 0)
        snprintf(host, sizeof(host), "host");
    unsigned char nonce[6];
    randombytes_buf(nonce, sizeof(nonce));
    char hex[2 * sizeof(nonce) + 1];
    sodium_bin2hex(hex, sizeof(hex), nonce, sizeof(nonce));
    snprintf(jobs->owner, sizeof(jobs->owner), "%.64s:%d:%s", host, (int)getpid(), hex);

    uint64_t expiry_ms = (uint64_t)cfg->expiry_interval_ms;
    uint64_t match_ms = (uint64_t)cfg->matcher_interval_ms;
    job_init(jobs, JOB_EXPIRE, "ads_expire", &db_q_job_expire_ads, expiry_ms, EXPIRE_BATCH, true,
             true);
    job_init(jobs, JOB_REMIND, "ad_reminders", &db_q_job_remind_expiring, expiry_ms, REMIND_BATCH,
             true, false);
    job_init(jobs, JOB_MATCH, "saved_search_matcher", &db_q_job_match_saved_searches, match_ms,
             MATCH_BATCH, true, false);
    job_init(jobs, JOB_PRICE_DROPS, "price_drops", &db_q_job_price_drops, match_ms,
             PRICE_DROP_BATCH, true, false);
    /* suggest_refresh($1) also claims its period in job_runs; 0 leaves the
     * schedule to the lease. */
    job_init(jobs, JOB_SUGGEST, "suggest_refresh", &db_q_suggest_refresh,
             (uint64_t)cfg->suggest_refresh_s * 1000, 0, false, false);
    log_info("jobs started", "owner", json_string(jobs->owner), NULL);
    return jobs;
}

void jobs_stop(jobs_t *jobs, jobs_stopped_cb on_stopped, void *user_data)
{
    if (jobs == NULL || jobs->stopping)
        return;
    jobs->stopping = true;
    jobs->on_stopped = on_stopped;
    jobs->stopped_data = user_data;
    jobs->release_pending = true;
    maybe_release(jobs);
    for (int i = 0; i < JOB_COUNT; i++) {
        uv_timer_stop(&jobs->jobs[i].timer);
        uv_close((uv_handle_t *)&jobs->jobs[i].timer, on_timer_closed);
    }
}

const char *jobs_owner(const jobs_t *jobs)
{
    return jobs->owner;
}
