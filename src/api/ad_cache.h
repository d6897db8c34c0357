/* What the cache store holds of ads, dropped after a write: the ad's public
 * detail (namespace "ad", keyed by its id) and every search page, public
 * user listing and featured list (namespaces "search" and "featured",
 * bumped). docs/CATALOG.md lists the namespaces.
 *
 * Every handler that changes what an ad shows, or where, answers only after
 * this is done, so that its caller never reads the old version afterwards;
 * with Redis (CACHE_TYPE=redis or hybrid) the drop reaches every instance at
 * once. */
#ifndef RURAL24_API_AD_CACHE_H
#define RURAL24_API_AD_CACHE_H

#include <stdint.h>

#include "http/request.h"

typedef void (*api_ad_cache_done_cb)(void *user_data);

/* Drops ad_id's detail (none when ad_id is 0) and bumps the page
 * namespaces, on behalf of req (its arena holds the bookkeeping). done fires
 * exactly once, when every drop is applied; it may fire before this returns.
 * A drop the store refuses at once (an invalid key) counts as done. */
void api_ad_cache_invalidate(http_request_t *req, int64_t ad_id, api_ad_cache_done_cb done,
                             void *user_data);

#endif
