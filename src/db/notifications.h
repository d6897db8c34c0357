/* The statements of saved searches and notifications (API.md "Saved searches
 * and notifications"); the jobs that create notifications have theirs in
 * db/jobs.h. docs/NOTIFICATIONS.md says why they are shaped so.
 *
 * A notification's JSON is built by notification_json() of migration 011,
 * the one definition of its shape; a saved search's by SAVED_SEARCH_JSON
 * below. Parameters are text. */
#ifndef RURAL24_DB_NOTIFICATIONS_H
#define RURAL24_DB_NOTIFICATIONS_H

#include "db/db.h"

/* API.md's saved search ({"id","name","query","new_count","created_at"})
 * from a saved_searches row s. */
#define SAVED_SEARCH_JSON                                                                          \
    "json_build_object('id', s.id, 'name', s.name, 'query', s.query,"                              \
    " 'new_count', s.new_count, 'created_at', rfc3339(s.created_at))"

/* API.md's notification from a notifications row (or RETURNING) n. */
#define NOTIFICATION_JSON "notification_json(n.id, n.type, n.data, n.created_at, n.read_at)"

/* A user's saved searches, newest first: $1 user id. One row, column 0 the
 * JSON array. idx_saved_searches_user. */
extern const db_stmt_t db_q_saved_searches;

/* Creates a saved search through saved_search_create(): $1 user, $2 name,
 * $3 query (JSON object), $4 category id or NULL, $5 province or NULL, $6
 * currency or NULL, $7 q or NULL, $8 price_unit or NULL, $9 $10 min and
 * max price or NULL, $11 the bounds are in USD, $12 attr equality filters
 * (JSON object) or NULL, $13 attr ranges (JSON array) or NULL, $14 the most
 * a user may have. One row: column 0 the saved search's JSON, NULL when the
 * user has $14 already. */
extern const db_stmt_t db_q_saved_search_create;

/* Deletes one of a user's saved searches: $1 id, $2 user id. A row when it
 * was theirs. */
extern const db_stmt_t db_q_saved_search_delete;

/* new_count back to 0: $1 id, $2 user id. A row when it was theirs. */
extern const db_stmt_t db_q_saved_search_seen;

/* A page of a user's notifications, newest first: $1 user id, $2 before (an
 * id) or NULL, $3 limit. One row: items (JSON array), has_more, next_id,
 * unread_count. idx_notifications_user, idx_notifications_unread. */
extern const db_stmt_t db_q_notifications_page;

/* Marks a user's unread notifications up to id $2 read: $1 user id. */
extern const db_stmt_t db_q_notifications_read;

/* The ad_moderated notification an admin's action stored (moderate_ad() of
 * migration 010): $1 ad id, $2 the admin action's id. One row: user_id, the
 * notification's JSON; none when it is not there. */
extern const db_stmt_t db_q_notification_moderated;

#endif
