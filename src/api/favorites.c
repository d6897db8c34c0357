/* Favorites (API.md "Ads"): PUT and DELETE /api/ads/{id}/favorite, GET
 * /api/me/favorites.
 *
 * Both writes are idempotent: adding an ad already there keeps the place it
 * had in the list, removing one that is not there is done already. An ad may
 * be added when the caller can see it (public, theirs, or they are an
 * admin); the list shows only the ads that are public now (active, not
 * expired, not under review), newest favorite first, 100 at a time with a
 * cursor (an extension: API.md shows the list whole). docs/MODERATION.md. */
#include "api/app.h"
#include "api/reply.h"
#include "api/search.h"
#include "db/moderation.h"
#include "db/queries.h"
#include "http/response.h"

#include <inttypes.h>

static void on_put(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_found(req, res, "ad"))
        http_respond_empty(req, 204);
}

static void handle_put(http_request_t *req)
{
    api_query(req, &db_q_favorite_put, DB_WRITE, on_put, api_path_param(req, 0),
              api_user_text(req));
}

static void on_deleted(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    http_respond_empty(req, 204);
}

static void handle_delete(http_request_t *req)
{
    api_query(req, &db_q_favorite_delete, DB_WRITE, on_deleted, api_user_text(req),
              api_path_param(req, 0));
}

static void handle_list(http_request_t *req)
{
    api_private_page_t *l = arena_calloc(&req->arena, 1, sizeof(*l));
    l->req = req;
    app_t *app = req->app;
    const char *scope = arena_printf(&req->arena, "favorites:%" PRId64 ";", req->user_id);
    if (!api_search_parse(req, api_categories(app), API_SEARCH_LIST, scope, &l->page))
        return;
    const ad_search_t *s = &l->page.search;
    const char *after_sort = s->after ? s->after_sort : NULL;
    const char *after_id = s->after ? api_int_text(req, s->after_id) : NULL;
    /* A caller who just added one reads from the primary (REPLICA_STICKY_S). */
    api_query_ctx(req, l, &db_q_favorites, DB_READ, api_search_respond_private, api_user_text(req),
                  api_int_text(req, s->limit), after_sort, after_id);
}

void api_favorites_register(app_t *app)
{
    static const http_route_opts_t mine = {.auth = HTTP_AUTH_REQUIRED,
                                           .body_limit_bytes = HTTP_BODY_LIMIT_NONE};
    app_route(app, HTTP_METHOD_PUT, "/api/ads/{id}/favorite", handle_put, &mine);
    app_route(app, HTTP_METHOD_DELETE, "/api/ads/{id}/favorite", handle_delete, &mine);
    app_route(app, HTTP_METHOD_GET, "/api/me/favorites", handle_list, &mine);
}
