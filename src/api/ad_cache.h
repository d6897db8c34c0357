/* The invalidations every write of an ad applies before it answers (its
 * cached detail, every cached search page and featured list; CATALOG.md
 * "Caching"), shared by the ad writes (ads.c) and the image writes
 * (images.c), so that the writer's next read never finds the old version. */
#ifndef RURAL24_API_AD_CACHE_H
#define RURAL24_API_AD_CACHE_H

#include <stdint.h>

#include "http/request.h"

typedef void (*api_invalidated_cb)(void *user_data);

/* Deletes the cached detail of ad_id and bumps the "search" and "featured"
 * namespaces; cb(user_data) fires once all three are applied (or refused by
 * the store), possibly inside this call. State lives in req's arena. */
void api_ad_invalidate(http_request_t *req, int64_t ad_id, api_invalidated_cb cb, void *user_data);

#endif
