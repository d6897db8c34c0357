/* Scheduled work that runs once across all instances (DESIGN.md "jobs"): the
 * expiry sweep with its ad_expired notifications, the ad_expiring reminders,
 * the saved-search matcher, the price drops and the refresh of the search
 * box's terms.
 *
 * Each job has a lease row in PostgreSQL (job_leases, migration 011). Every
 * instance ticks each job four times a period; a tick takes the lease when it
 * lapsed or renews it when it is this instance's (for half a period), and
 * records a run when the job last ran a period ago or more — one statement,
 * so two instances never both run a job in one period. When the holder dies,
 * its lease lapses within half a period and the next tick of another
 * instance takes it: the job runs again on time. The lease is a row, not a
 * session-level advisory lock: the pool's connections are shared, and a lock
 * held by a connection would outlive the job that took it or vanish with a
 * reconnect. Redis plays no part (it is optional).
 *
 * Jobs share the request pool but yield to it: a tick that finds queries
 * waiting for a connection does nothing (for at most two periods in a row,
 * so that sustained load delays the jobs but never starves them).
 *
 * A job's work is one statement that does the work and records it as done
 * (db/jobs.h): a crash half-way and a rerun store no notification twice.
 * Notifications are handed to the notification hook after their statement
 * committed (stored first, then pushed). docs/NOTIFICATIONS.md has the
 * details. */
#ifndef RURAL24_JOBS_JOBS_H
#define RURAL24_JOBS_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "db/db.h"

typedef struct jobs_s jobs_t;

/* A notification for user_id was stored: json (len bytes, not
 * NUL-terminated necessarily, valid only during the call) is API.md's
 * notification object. */
typedef void (*jobs_notification_cb)(int64_t user_id, const char *json, size_t len,
                                     void *user_data);

/* The sweep marked ads expired: cached pages that list them are stale. */
typedef void (*jobs_ads_changed_cb)(void *user_data);

/* A job's run here ended: ok, or failed; items is what its statement
 * consumed (events, ads; 0 for the suggestions' refresh). For the metrics. */
typedef void (*jobs_ran_cb)(const char *job, bool ok, int64_t items, void *user_data);

typedef struct {
    jobs_notification_cb on_notification; /* may be NULL */
    jobs_ads_changed_cb on_ads_changed;   /* may be NULL */
    jobs_ran_cb on_ran;                   /* may be NULL */
    void *user_data;
} jobs_hooks_t;

/* Starts the jobs' timers on loop (cfg: MATCHER_INTERVAL_MS,
 * EXPIRY_INTERVAL_MS, SUGGEST_REFRESH_S; cfg and db must outlive the jobs
 * until jobs_stop()). The hooks are copied. Returns the jobs; never fails. */
jobs_t *jobs_start(uv_loop_t *loop, db_t *db, const config_t *cfg, const jobs_hooks_t *hooks);

/* Called once the leases were released (or could not be): the database
 * may be closed now without cutting the release short. */
typedef void (*jobs_stopped_cb)(void *user_data);

/* Stops the timers and lets this instance's leases lapse (if the database
 * still answers), so that another instance takes over at its next tick;
 * on_stopped (may be NULL) fires once that is done, never inside this call
 * unless no statement could be sent. Hooks are not called afterwards; the
 * jobs free themselves once their timers are closed and their statements
 * have answered (db_close() makes them answer), so jobs must not be used
 * after this call. */
void jobs_stop(jobs_t *jobs, jobs_stopped_cb on_stopped, void *user_data);

/* This instance's name in job_leases.owner ("host:pid:random"); valid
 * until jobs_stop(). */
const char *jobs_owner(const jobs_t *jobs);

#endif
