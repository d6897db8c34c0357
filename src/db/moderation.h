/* The statements of favorites, reports and moderation (API.md "Ads":
 * favorites and reports; "Moderation"). docs/MODERATION.md says why they
 * are shaped so.
 *
 * A report and an admin's decision each run as one call of a PL/pgSQL
 * function of migration 010 (report_ad(), moderate_ad()): both lock the ad's
 * row first, so that the count of open reporters that hides an ad, and the
 * reports a decision resolves, are read after every earlier report of that
 * ad has committed. Parameters are text; JSON answers are built by
 * PostgreSQL. */
#ifndef RURAL24_DB_MODERATION_H
#define RURAL24_DB_MODERATION_H

#include "db/db.h"

/* Adds an ad to a user's favorites (nothing when it is there already: the
 * first time it was added stays its place in the list): $1 ad id, $2 user
 * id. One row when the ad is visible to the user (public, or theirs, or the
 * user is an admin); no row (404) otherwise, and nothing is added. */
extern const db_stmt_t db_q_favorite_put;

/* Removes an ad from a user's favorites, if it was there: $1 user id, $2 ad
 * id. */
extern const db_stmt_t db_q_favorite_delete;

/* Files a report through report_ad(): $1 ad id, $2 reporter id, $3 reason,
 * $4 details or NULL, $5 REPORTS_AUTO_HIDE. One row: outcome ("created",
 * "not_found", "own", "conflict"), hidden (this report put the ad under
 * review), report (the report's JSON {"id","ad_id","reason","details",
 * "created_at"} when created, else NULL). */
extern const db_stmt_t db_q_report_ad;

/* An admin's decision through moderate_ad(): $1 ad id, $2 admin id, $3
 * action ("dismiss", "pause", "delete"), $4 note or NULL. One row, column 0
 * {"ad_id","action","resolved_reports"}, column 1 the admin action's id
 * (which names the owner's ad_moderated notification); no row for an
 * unknown or deleted ad. */
extern const db_stmt_t db_q_moderate_ad;

/* The admin queue: ads with open reports (deleted ads left out), or with
 * resolved ones (any status), grouped by ad, the most reported first (ties:
 * the newest ad first): $1 limit, $2 $3 the keyset (report count, ad id) of
 * the previous page or NULL, $4 how many reports to list per ad (the newest).
 * One row: items [{"ad": summary + "status","under_review", "report_count",
 * "reports":[{"id","reporter":{"id","name"},"reason","details",
 * "created_at"}]}], has_more, next_phase (0), next_sort (the count as text),
 * next_id: a search page's columns (ad_search.h). idx_reports_open_once,
 * idx_reports_resolved. */
extern const db_stmt_t db_q_admin_reports_open;
extern const db_stmt_t db_q_admin_reports_resolved;

#endif
