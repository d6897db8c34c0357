/* The ad writes' invalidations; see ad_cache.h. */
#include "api/ad_cache.h"
#include "api/app.h"
#include "api/reply.h"
#include "store/cache.h"

#include <string.h>

typedef struct {
    int pending;
    api_invalidated_cb cb;
    void *user_data;
} invalidation_t;

static void on_one_done(void *user_data)
{
    invalidation_t *inv = user_data;
    if (--inv->pending == 0)
        inv->cb(inv->user_data);
}

void api_ad_invalidate(http_request_t *req, int64_t ad_id, api_invalidated_cb cb, void *user_data)
{
    app_t *app = req->app;
    invalidation_t *inv = arena_calloc(&req->arena, 1, sizeof(*inv));
    inv->cb = cb;
    inv->user_data = user_data;
    inv->pending = 4; /* three invalidations and this call's own share */
    const char *key = api_int_text(req, ad_id);
    if (cache_delete(app->cache, "ad", key, strlen(key), on_one_done, inv) != 0)
        inv->pending--;
    if (cache_bump(app->cache, "search", on_one_done, inv) != 0)
        inv->pending--;
    if (cache_bump(app->cache, "featured", on_one_done, inv) != 0)
        inv->pending--;
    on_one_done(inv);
}
