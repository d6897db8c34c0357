/* The search of active ads as SQL: one statement built for the filters a
 * search actually has, so that PostgreSQL plans exactly those (an optional
 * filter written as "$n IS NULL OR ..." defeats index choice), with every
 * value a bound parameter.
 *
 * Shape (docs/CATALOG.md has the plans):
 *   - One branch per category of the search (the category and each of its
 *     descendants), each walking its own index range in sort order with
 *     LIMIT limit + 1, merged and cut to limit + 1: a page costs the same at
 *     any depth of the walk (keyset, never OFFSET). A full-text search is one
 *     branch (the GIN index answers the words; the category is a filter).
 *   - Price sorts walk the priced ads first (price_ars, id), then the ads
 *     without a price, newest first: phase 0 and phase 1 of the keyset. The
 *     unpriced branches run only when the priced ones did not fill the page.
 *   - Prices compare price_ars, the price in pesos at the current exchange
 *     rate; a bound in USD is multiplied by the rate in the statement.
 *   - Only public ads are found: status 'active', not past expires_at, not
 *     under review (AD_PUBLIC).
 *
 * The statement returns one row: items (the JSON array of summaries, built by
 * PostgreSQL), has_more, and the keyset of the last item: next_phase,
 * next_sort, next_id. */
#ifndef RURAL24_DB_AD_SEARCH_H
#define RURAL24_DB_AD_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"

typedef enum { AD_SORT_RECENT, AD_SORT_PRICE_ASC, AD_SORT_PRICE_DESC } ad_sort_t;

enum { AD_SEARCH_MAX_CATEGORIES = 64, AD_SEARCH_MAX_RANGES = 8 };

typedef struct {
    const char *key; /* an attribute key the caller checked: [a-z][a-z0-9_]* */
    const char *min; /* decimal text or NULL */
    const char *max;
} ad_attr_range_t;

typedef struct {
    const char *q; /* websearch text, or NULL */
    /* The category and its descendants; none for every category. */
    int32_t category_ids[AD_SEARCH_MAX_CATEGORIES];
    size_t category_count;
    int64_t user_id; /* only this seller's ads; 0 for all */
    const char *province;
    const char *currency;
    const char *price_unit;
    const char *min_price; /* decimal text in price_currency, or NULL */
    const char *max_price;
    bool price_in_usd;      /* the bounds are in USD */
    const char *attr_equal; /* a JSON object {"key": value} of equality filters, or NULL */
    ad_attr_range_t ranges[AD_SEARCH_MAX_RANGES];
    size_t range_count;
    ad_sort_t sort;
    int limit; /* 1..50 */
    /* The keyset of the previous page's last item, when after is set. */
    bool after;
    int after_phase;
    const char *after_sort;
    int64_t after_id;
} ad_search_t;

/* Builds the statement for s into arena: *stmt (name "", custom plan) and its
 * parameter values (*params, *nparams), all living as long as the arena.
 * Never fails. */
void ad_search_build(const ad_search_t *s, arena_t *arena, db_stmt_t **stmt, const char ***params,
                     int *nparams);

/* The ORDER BY of a sort, for tests and doctor ("created_at DESC, id DESC"). */
const char *ad_search_sort_name(ad_sort_t sort);

#endif
