/* The catalog's statements: categories, the exchange rate, writing ads, public
 * profiles, suggestions, view counts and the suggestions' refresh (the
 * other periodic work is in db/jobs.h). The reads that
 * run on nearly every request (featured, detail, a user's own ads) are in
 * queries.h with their plan checks; the search is built by ad_search.h.
 *
 * Parameters are text; JSON answers are built by PostgreSQL (column 0 of row
 * 0) to be passed through as bytes. */
#ifndef RURAL24_DB_CATALOG_H
#define RURAL24_DB_CATALOG_H

#include "db/db.h"

/* Every category, parents before children: one row, column 0 a JSON array of
 * {"id","parent_id","slug","name","position","attributes"} where attributes
 * are the category's own keys after its ancestors' (API.md: a category
 * inherits its parent's attributes). */
extern const db_stmt_t db_q_categories;

/* {"usd_ars","updated_at"}: no row before the first rate is written. */
extern const db_stmt_t db_q_exchange_rate_get;

/* Sets the rate ($1) and re-prices every USD ad, and records it as admin $2's
 * action (admin_actions); {"usd_ars","updated_at"}. */
extern const db_stmt_t db_q_exchange_rate_set;

/* Inserts an ad: $1 user, $2 category id, $3 title, $4 description, $5 price
 * or NULL, $6 currency or NULL, $7 price_unit, $8 province, $9 locality or
 * NULL, $10 attributes (a JSON object), $11 AD_TTL_DAYS. Returns id. */
extern const db_stmt_t db_q_ad_insert;

/* What a write needs to know of an ad before changing it: $1 ad id, $2 the
 * actor's user id. One row (none for an unknown or deleted ad): user_id,
 * public (active, not expired), category_id, attributes (JSON text), price,
 * currency, actor_is_admin. */
extern const db_stmt_t db_q_ad_for_write;

/* Marks an ad deleted: $1 ad id. */
extern const db_stmt_t db_q_ad_delete;

/* An admin's delete of someone else's ad, recorded in admin_actions: $1 ad
 * id, $2 admin id. Returns id (no row: unknown or deleted already). */
extern const db_stmt_t db_q_ad_delete_by_admin;

/* Features an ad for $2 days from now, recorded as admin $3's action
 * (admin_actions): $1 ad id. Returns id (no row: unknown or deleted). */
extern const db_stmt_t db_q_ad_feature;

/* A public profile: $1 user id. {"id","name","province","member_since",
 * "active_ads"}, no row for an unknown user. */
extern const db_stmt_t db_q_user_profile;

/* Completions for the search box: $1 the typed text. One row, column 0 the
 * JSON array of at most 8 items of API.md, best first. Trigram indexes on
 * suggest_terms. */
extern const db_stmt_t db_q_suggest;

/* Adds view counts: $1 a bigint[] of ad ids, $2 a bigint[] of counts. */
extern const db_stmt_t db_q_views_add;

/* Refreshes suggest_terms when this instance wins the period of at least $1
 * seconds (suggest_refresh() of migration 007): true when it ran. */
extern const db_stmt_t db_q_suggest_refresh;

#endif
