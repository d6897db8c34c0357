/* The statements of the scheduled jobs (src/jobs/): the lease every tick
 * takes or renews, and each job's work. docs/NOTIFICATIONS.md explains them.
 *
 * Every work statement is one transaction that both does the work and
 * records that it is done (events consumed from ad_events, ads marked
 * expired, event_key of the notifications it stores): a job that crashes
 * half-way leaves nothing done, and a rerun does nothing twice.
 *
 * The work statements return at least one row: consumed (how many events or
 * ads the run took: a full batch means there may be more), then, for each
 * notification stored or changed, user_id and its JSON (both NULL on the
 * row of a run that stored none). */
#ifndef RURAL24_DB_JOBS_H
#define RURAL24_DB_JOBS_H

#include "db/db.h"

/* Takes or renews the lease of job $1 for owner $2 until $3 ms from now,
 * when it lapsed or is $2's already; when $5 (the owner wants to run) and
 * the job last ran at least $4 ms ago, records a run now. One row when $2
 * holds the lease: run (true: do the work now). No row: another holds it. */
extern const db_stmt_t db_q_job_claim;

/* Lets owner $1's leases lapse now (a clean shutdown: another instance
 * takes over at its next tick). */
extern const db_stmt_t db_q_job_release;

/* The expiry sweep: marks at most $1 active ads past expires_at expired and
 * stores each owner's ad_expired notification (event_key
 * ad_expired:<ad>:<expires_at in µs>). */
extern const db_stmt_t db_q_job_expire_ads;

/* Reminders: for at most $1 active ads expiring within 7 days, the
 * ad_expiring notification of 7 days (expiry more than a day away) or of 1
 * day, unless already stored (event_key ad_expiring:<days>:<ad>:<expires_at
 * in µs>). idx_ads_expiry. */
extern const db_stmt_t db_q_job_remind_expiring;

/* The saved-search matcher: consumes at most $1 published/renewed events,
 * finds the saved searches each public ad matches (idx_saved_searches_match,
 * then the full filter), and hands them to saved_search_notify(). */
extern const db_stmt_t db_q_job_match_saved_searches;

/* Price drops: consumes at most $1 price_drop events and stores a
 * price_drop notification for each user who favorited the (public) ad,
 * but its owner (event_key price_drop:<event id>). */
extern const db_stmt_t db_q_job_price_drops;

#endif
