/* Dropping the cached views of ads after a write; see ad_cache.h. */
#include "api/ad_cache.h"
#include "api/app.h"
#include "api/reply.h"
#include "store/cache.h"

#include <string.h>

typedef struct {
    int pending;
    api_ad_cache_done_cb done;
    void *user_data;
} invalidation_t;

static void on_dropped(void *user_data)
{
    invalidation_t *inv = user_data;
    if (--inv->pending > 0)
        return;
    inv->done(inv->user_data);
}

void api_ad_cache_invalidate(http_request_t *req, int64_t ad_id, api_ad_cache_done_cb done,
                             void *user_data)
{
    app_t *app = req->app;
    invalidation_t *inv = arena_calloc(&req->arena, 1, sizeof(*inv));
    inv->done = done;
    inv->user_data = user_data;
    /* One share per drop and one for this call, so that drops completing at
     * once cannot finish the count before every drop has been started. */
    inv->pending = 4;
    if (ad_id > 0) {
        const char *key = api_int_text(req, ad_id);
        if (cache_delete(app->cache, "ad", key, strlen(key), on_dropped, inv) != 0)
            inv->pending--;
    } else {
        inv->pending--;
    }
    if (cache_bump(app->cache, "search", on_dropped, inv) != 0)
        inv->pending--;
    if (cache_bump(app->cache, "featured", on_dropped, inv) != 0)
        inv->pending--;
    on_dropped(inv);
}
