/* The hot statements: the queries that run on nearly every request, declared
 * once here so that the API handlers run exactly the SQL whose plans `rural24
 * doctor --explain` and tests/integration/db/explain.test.mjs check on
 * 100,000 seeded ads (each walks an index; none scans ads or messages).
 *
 * Conventions:
 *   - Parameters are text (db_query's values); NULL means "no such filter".
 *   - Pages come back as ONE row: column 0 "items" is the JSON array of the
 *     page, built by PostgreSQL, to pass through as bytes; "has_more" says a
 *     further page exists; "next_sort" / "next_id" are the keyset of the last
 *     item, for the API to wrap into its opaque (signed) cursor. The statement
 *     fetches limit + 1 rows to know has_more.
 *   - Timestamps are RFC 3339 UTC strings (rfc3339()), prices JSON numbers or
 *     null, as API.md says.
 *   - Statements with optional filters are custom_plan (sent unnamed, planned
 *     with the actual values, so "$2 IS NULL OR province = $2" folds away).
 *
 * Search keysets: "recent" sorts by (created_at DESC, id DESC); next_sort is
 * the created_at of the last item with full precision
 * ("2026-11-27 23:14:17.123456+00"), to pass back as the cursor parameter. */
#ifndef RURAL24_DB_QUERIES_H
#define RURAL24_DB_QUERIES_H

#include "db/db.h"

/* API.md's message from messages m. */
#define DB_MESSAGE_JSON                                                                            \
    "json_build_object('id', m.id, 'sender_id', m.sender_id, 'receiver_id', m.receiver_id,"        \
    " 'ad_id', m.ad_id, 'body', m.body, 'created_at', rfc3339(m.created_at),"                      \
    " 'read_at', rfc3339(m.read_at))"

/* The search of active ads (GET /api/ads, a user's public ads) is built for
 * each search's filters by db/ad_search.h. */

/* Featured active ads (featured_until in the future), newest first: $1 limit.
 * One row, column 0 the JSON array. idx_ads_featured. */
extern const db_stmt_t db_q_ads_featured;

/* Ad detail: $1 ad id, $2 the viewer's user id ("0" when anonymous). One row:
 * detail (the detail JSON of API.md, with "under_review": true when it is;
 * never the key otherwise, so that it is the same for every viewer), user_id
 * (the owner), public (AD_PUBLIC: the same for every viewer, so it may be
 * cached), under_review; or no row (404): unknown, deleted, or not public and
 * the viewer neither the owner nor an admin. Primary key. */
extern const db_stmt_t db_q_ad_detail;

/* A user's conversations, most recent first: $1 user id, $2 limit. One row,
 * column 0 {"items":[{"peer","ad","last_message","unread_count"}]}'s array.
 * idx_messages_user_conversations / idx_messages_receiver_id, unread counts
 * on idx_messages_unread. */
extern const db_stmt_t db_q_conversations;

/* A conversation's messages, newest first: $1 user id, $2 peer id, $3 before
 * (a message id) or NULL, $4 limit. items, has_more, next_id (the next
 * "before"). idx_messages_user_conversations, both directions merged. */
extern const db_stmt_t db_q_conversation_messages;

/* Every message to or from a user with a larger id, oldest first: $1 user
 * id, $2 since id, $3 limit (at most 500). items, has_more, next_id (the next
 * since_id). idx_messages_sender_id + idx_messages_receiver_id merged. */
extern const db_stmt_t db_q_messages_since;

/* A user's favorite ads that are public (AD_PUBLIC), most recently added
 * first: $1 user id, $2 limit, $3 $4 the keyset (favorited_at text, ad id) of
 * the previous page or NULL. items (summaries), has_more, next_phase (always
 * 0), next_sort, next_id: a search page's columns (ad_search.h).
 * idx_favorites_user_date. */
extern const db_stmt_t db_q_favorites;

/* A user's own ads in any status but deleted, newest first: $1 user id, $2
 * status filter ("active", "paused", "sold", "expired": an active ad past
 * expires_at counts as expired) or NULL, $3 limit, $4 $5 the keyset
 * (created_at text, id) of the previous page or NULL. items (summaries plus
 * "status"), has_more, next_phase (always 0), next_sort, next_id: a search
 * page's columns (ad_search.h). idx_ads_user_date. */
extern const db_stmt_t db_q_my_ads;

/* A user's sessions that are not revoked or expired, newest first: $1 user
 * id. items [{"id","created_at","last_used_at","user_agent","ip"}].
 * idx_sessions_user. */
extern const db_stmt_t db_q_sessions_of_user;

/* Inserts USD_ARS_RATE when no exchange rate exists yet (start-up): $1 the
 * rate. */
extern const db_stmt_t db_q_exchange_rate_init;

/* One hot query with what `doctor --explain` needs to check its plan. */
typedef struct {
    const char *label; /* "search by category with a province" */
    const db_stmt_t *stmt;
    /* A query returning one row of representative parameter values (one
     * column per parameter, text or NULL), picked from the data. */
    const char *sample_sql;
    /* Index names of which the plan must use at least one (NULL-terminated). */
    const char *const *indexes;
} db_hot_query_t;

extern const db_hot_query_t db_hot_queries[];
extern const size_t db_hot_query_count;

#endif
