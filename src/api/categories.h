/* The category tree in memory: what validation (an ad's category and
 * attributes, the search's category and attr. filters) and GET
 * /api/categories read, without a query per request.
 *
 * It comes from the database through the cache store (namespace
 * "categories", an hour), is reloaded every CATEGORIES_RELOAD_S and retried
 * every few seconds until the database first answers. An index is immutable
 * once built and reference-counted: a reload swaps in a new one while answers
 * still being written hold the old. */
#ifndef RURAL24_API_CATEGORIES_H
#define RURAL24_API_CATEGORIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/ad_search.h"

struct app_s;

typedef struct {
    int32_t id;
    int32_t parent_id; /* 0 for a top-level category */
    const char *slug;
    const char *name;
    /* The keys an ad of this category may carry, its ancestors' first: the
     * JSON array of API.md's attribute objects (borrowed from the index). */
    json_t *attributes;
    /* The category and every descendant. */
    int32_t subtree[AD_SEARCH_MAX_CATEGORIES];
    size_t subtree_count;
} category_t;

typedef struct category_index_s category_index_t;

/* Starts loading the tree and the reload timer. */
void api_categories_open(struct app_s *app);

/* For start-up only, before the server listens (like db_wait_ready()): runs
 * the loop until the first index is loaded or timeout_ms passed. 0 when
 * loaded, -1 otherwise (loading goes on in the background). */
int api_categories_wait(struct app_s *app, uint64_t timeout_ms);

/* Stops the timer and drops the index (answers in flight keep theirs). */
void api_categories_close(struct app_s *app);

/* The current index, or NULL before the first load. Valid until control
 * returns to the loop; category_index_ref() to keep it longer. */
category_index_t *api_categories(struct app_s *app);

category_index_t *category_index_ref(category_index_t *index);
void category_index_unref(void *index);

/* Lookups; NULL when there is no such category. */
const category_t *category_by_id(const category_index_t *index, int64_t id);
const category_t *category_by_slug(const category_index_t *index, const char *slug);

/* The attribute object ({"key","label","type",...}) of key in category c, or
 * NULL when the category does not list it. */
json_t *category_attribute(const category_t *c, const char *key);

/* The tree as GET /api/categories answers it ({"items":[...]}). */
const char *category_index_tree_json(const category_index_t *index, size_t *len);

#endif
