/* The parameters of a search of ads (API.md "Search parameters of GET
 * /api/ads"): parsed, checked against the category tree, and turned into an
 * ad_search_t for db/ad_search.h. GET /api/ads and GET /api/users/{id}/ads
 * read them from the query string; saved searches (API.md "Saved searches and
 * notifications") give them as a JSON object, checked by the same code.
 *
 * Every bad parameter is 400 invalid_parameter naming it; a cursor that is not
 * ours, or not this query's, is 400 invalid_cursor. Unknown parameter names
 * are ignored (links carry tracking parameters); a known one given twice is
 * refused. */
#ifndef RURAL24_API_SEARCH_H
#define RURAL24_API_SEARCH_H

#include <stdbool.h>

#include "api/app.h"
#include "api/categories.h"
#include "db/ad_search.h"
#include "http/request.h"

typedef struct {
    ad_search_t search;
    /* The category the search named (its subtree is in search), 0: none. */
    int32_t category_id;
    /* The filters and sort as canonical text: what a cursor is bound to. */
    const char *binding;
    /* binding plus the limit and the cursor: the search page's cache key. */
    const char *cache_key;
} api_search_t;

typedef enum {
    API_SEARCH_FULL,      /* every parameter of GET /api/ads */
    API_SEARCH_PAGE_ONLY, /* only limit and cursor (a user's ads, newest first) */
    /* Only limit (1 to 100, default 100) and cursor: a list API.md shows
     * whole, paginated as an extension (a user's favorites). */
    API_SEARCH_LIST,
    /* Every filter of GET /api/ads, but no sort, limit or cursor (those are
     * ignored): a saved search. */
    API_SEARCH_SAVED,
} api_search_kind_t;

/* Reads req's query string into out (strings in req's arena). scope is
 * prepended to the binding (whose ads: "user:7;"), so a cursor serves only
 * the listing it came from. Returns true, or false after answering the
 * request with the error. index may be NULL (categories not loaded yet): a
 * search that names a category is then 503. */
bool api_search_parse(http_request_t *req, const category_index_t *index, api_search_kind_t kind,
                      const char *scope, api_search_t *out);

/* A saved search's query: a JSON object of GET /api/ads's parameters, each
 * a string (numbers and booleans are taken as their text), read as
 * API_SEARCH_SAVED with the same checks and the same errors as the query
 * string. Returns true with out set and *canonical a new JSON object (the
 * caller owns it) of the parameters kept, as strings: the ones a search
 * reads, without sort, limit, cursor and unknown names. False after
 * answering the request with the error (400 invalid_parameter naming the
 * parameter, as GET /api/ads would). */
bool api_search_parse_object(http_request_t *req, const category_index_t *index, json_t *query,
                             api_search_t *out, json_t **canonical);

/* Answers a search page from the statement's row (items, has_more,
 * next_phase, next_sort, next_id) as {"items":[...],"next_cursor":...} in a
 * new malloc'd buffer (*len bytes), which the caller owns; NULL when the row
 * is malformed. The cursor is bound to binding (api_search_t's) and built in
 * arena (scratch). */
char *api_search_page_json(app_t *app, arena_t *arena, const char *binding, db_result_t *res,
                           size_t *len);

/* A page of the caller's own (their ads, their favorites): the request and
 * its parsed page (limit and cursor, bound to the caller). */
typedef struct {
    http_request_t *req;
    api_search_t page;
} api_private_page_t;

/* A db_result_cb (user_data: an api_private_page_t) answering the page with
 * Cache-Control: private, no-store. */
void api_search_respond_private(db_result_t *res, void *user_data);

#endif
