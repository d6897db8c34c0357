/* Ads (API.md "Ads"): search, featured, detail, create, update, delete,
 * feature, the caller's own ads and a user's public ads.
 *
 * Reads go through the cache store: search pages and featured lists for a few
 * seconds in namespaces bumped by every ad write, the public detail of an ad
 * until it changes. A write answers only once its invalidations are applied,
 * so the writer never reads a stale page of their own change (the hybrid
 * store publishes them to every instance's L1 at once). Pages and details are
 * PostgreSQL's JSON, cached and answered as bytes, by reference. */
#include "api/ad_cache.h"
#include "api/ad_fields.h"
#include "api/app.h"
#include "api/cached_query.h"
#include "api/categories.h"
#include "api/reply.h"
#include "api/search.h"
#include "api/views.h"
#include "core/xmalloc.h"
#include "db/ad_search.h"
#include "db/catalog.h"
#include "db/queries.h"
#include "http/response.h"
#include "store/cache.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SEARCH_TTL_MS = 10 * 1000,
    FEATURED_TTL_MS = 30 * 1000,
    DETAIL_TTL_MS = 10 * 1000, /* bounds how long views and expiry lag in a cached detail */
    FEATURE_DAYS_MAX = 90,
};

static const char JSON_TYPE[] = "application/json; charset=utf-8";

/* ---- cache helpers ----------------------------------------------------- */

/* Cache keys longer than this are hashed (the store caps keys at 4 KiB). */
static const char *cache_key(http_request_t *req, const char *key, size_t *len)
{
    size_t n = strlen(key);
    if (n <= 256) {
        *len = n;
        return key;
    }
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)key, n, NULL, 0);
    char *hex = arena_alloc(&req->arena, 2 * sizeof(h) + 1);
    sodium_bin2hex(hex, 2 * sizeof(h) + 1, h, sizeof(h));
    *len = 2 * sizeof(h);
    return hex;
}

/* ---- search (GET /api/ads, GET /api/users/{id}/ads) --------------------- */

static void build_search(const void *build_data, arena_t *arena, api_load_statement_t *out)
{
    const api_search_t *s = build_data;
    db_stmt_t *stmt;
    const char **params;
    ad_search_build(&s->search, arena, &stmt, &params, &out->nparams);
    out->stmt = stmt;
    out->params = params;
    out->render_arg = s->binding;
}

static char *render_search(app_t *app, arena_t *arena, const char *binding, db_result_t *res,
                           size_t *len)
{
    return api_search_page_json(app, arena, binding, res, len);
}

static void search(http_request_t *req, api_search_kind_t kind, int64_t user_id)
{
    app_t *app = req->app;
    api_search_t *s = arena_calloc(&req->arena, 1, sizeof(*s));
    const char *scope = user_id > 0 ? arena_printf(&req->arena, "user:%" PRId64 ";", user_id) : "";
    if (!api_search_parse(req, api_categories(app), kind, scope, s))
        return;
    s->search.user_id = user_id;
    api_cached_query_t query = {
        .ns = "search",
        .ttl_ms = SEARCH_TTL_MS,
        .build = build_search,
        .build_data = s,
        .render = render_search,
    };
    query.key = cache_key(req, s->cache_key, &query.key_len);
    api_cached_query_answer(req, &query);
}

static void handle_search(http_request_t *req)
{
    search(req, API_SEARCH_FULL, 0);
}

/* GET /api/users/{id}/ads: 404 for an unknown user, then the search. */
static void on_user_exists(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_found(req, res, "user"))
        search(req, API_SEARCH_PAGE_ONLY, req->path_params[0]);
}

static void handle_user_ads(http_request_t *req)
{
    api_query(req, &db_q_user_profile, DB_READ, on_user_exists, api_path_param(req, 0));
}

static void handle_user_profile(http_request_t *req);

/* ---- featured ----------------------------------------------------------- */

/* The featured list's limit as sent (checked by handle_featured), or the
 * default: also the list's cache key. */
static const char *featured_limit(http_request_t *req)
{
    const char *limit = http_request_query(req, "limit");
    return limit != NULL ? limit : "20";
}

static void build_featured(const void *build_data, arena_t *arena, api_load_statement_t *out)
{
    (void)arena;
    out->stmt = &db_q_ads_featured;
    out->params = build_data; /* the limit's text */
    out->nparams = 1;
}

/* The featured list: {"items":[...]} (api_items_json). */
static char *render_featured(app_t *app, arena_t *arena, const char *arg, db_result_t *res,
                             size_t *len)
{
    (void)app, (void)arena, (void)arg;
    return api_items_json(res, len);
}

static void handle_featured(http_request_t *req)
{
    const char *limit = http_request_query(req, "limit");
    if (limit != NULL) {
        int64_t n;
        if (http_parse_id(limit, strlen(limit), &n) != 0 || n > 50) {
            json_t *fields = json_pack("{s:s}", "limit", "invalid");
            http_respond_error(req, API_ERR_INVALID_PARAMETER, "limit: must be 1 to 50", fields);
            return;
        }
    }
    const char **limit_param = arena_alloc(&req->arena, sizeof(*limit_param));
    *limit_param = featured_limit(req);
    api_cached_query_t query = {
        .ns = "featured",
        .key = *limit_param,
        .key_len = strlen(*limit_param),
        .ttl_ms = FEATURED_TTL_MS,
        .build = build_featured,
        .build_data = limit_param,
        .render = render_featured,
    };
    api_cached_query_answer(req, &query);
}

/* ---- detail --------------------------------------------------------------- */

/* The detail's JSON (a JSON object) with "under_review": false added at its
 * end, in a new malloc'd buffer (*out_len bytes). */
static char *with_under_review_false(const char *json, size_t len, size_t *out_len)
{
    static const char member[] = ",\"under_review\":false}";
    size_t end = len;
    while (end > 0 && json[end - 1] != '}')
        end--;
    if (end == 0)
        return NULL;
    bool empty = end >= 2 && json[end - 2] == '{';
    const char *add = empty ? member + 1 : member;
    size_t add_len = strlen(add);
    char *out = xmalloc(end - 1 + add_len + 1);
    memcpy(out, json, end - 1);
    memcpy(out + end - 1, add, add_len + 1);
    *out_len = end - 1 + add_len;
    return out;
}

/* A cached detail is "OWNER_ID\n" followed by the JSON: the owner decides
 * whether a view counts, without parsing the JSON. The JSON holds
 * "under_review" only when it is true (an ad under review is never cached:
 * only its owner and admins see it); the owner is always told, so their copy
 * gets "under_review": false otherwise. */
static void respond_detail(http_request_t *req, char *value, size_t len, bool under_review)
{
    app_t *app = req->app;
    char *newline = memchr(value, '\n', len);
    if (newline == NULL) {
        free(value);
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    int64_t owner = strtoll(value, NULL, 10);
    size_t skip = (size_t)(newline - value) + 1;
    http_response_header(req, "Cache-Control", "no-cache");
    if (owner != req->user_id) {
        api_views_count(app, req->path_params[0]);
        http_respond_ref(req, 200, JSON_TYPE, value + skip, len - skip, free, value);
        return;
    }
    if (under_review) {
        http_respond_ref(req, 200, JSON_TYPE, value + skip, len - skip, free, value);
        return;
    }
    size_t body_len = 0;
    char *body = with_under_review_false(value + skip, len - skip, &body_len);
    free(value);
    if (body == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    http_respond_owned(req, 200, JSON_TYPE, body, body_len);
}

static void on_detail_row(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    size_t len;
    const char *json = api_row_json(res, &len);
    int64_t owner = 0;
    bool public = false, under_review = false;
    if (json == NULL || db_result_int64(res, 0, 1, &owner) != 0 ||
        db_result_bool(res, 0, 2, &public) != 0 || db_result_bool(res, 0, 3, &under_review) != 0) {
        http_respond_error(req, API_ERR_NOT_FOUND, "ad not found", NULL);
        return;
    }
    char prefix[24];
    int n = snprintf(prefix, sizeof(prefix), "%" PRId64 "\n", owner);
    char *value = xmalloc((size_t)n + len + 1);
    memcpy(value, prefix, (size_t)n);
    memcpy(value + n, json, len);
    value[(size_t)n + len] = '\0';
    if (public) {
        app_t *app = req->app;
        const char *key = api_path_param(req, 0);
        /* Best effort: a refused store only sends the next read to the
         * database. */
        (void)cache_set(app->cache, "ad", key, strlen(key), value, (size_t)n + len, DETAIL_TTL_MS,
                        NULL, NULL);
    }
    respond_detail(req, value, (size_t)n + len, under_review);
}

static void query_detail(http_request_t *req, db_intent_t intent)
{
    api_query(req, &db_q_ad_detail, intent, on_detail_row, api_path_param(req, 0),
              api_user_text(req));
}

static void on_detail_cached(char *value, size_t len, void *user_data)
{
    http_request_t *req = user_data;
    if (value != NULL) {
        respond_detail(req, value, len, false); /* only public details are cached */
        return;
    }
    query_detail(req, DB_READ);
}

static void handle_detail(http_request_t *req)
{
    app_t *app = req->app;
    const char *key = api_path_param(req, 0);
    if (cache_get(app->cache, "ad", key, strlen(key), on_detail_cached, req) != 0)
        query_detail(req, DB_READ);
}

/* ---- writes: invalidate, then answer ----------------------------------------- */

typedef struct {
    http_request_t *req;
    int status; /* the answer once invalidated: 201/200 detail, 204 */
    int64_t ad_id;
} write_ctx_t;

static void on_detail_after_write(db_result_t *res, void *user_data)
{
    write_ctx_t *w = user_data;
    http_request_t *req = w->req;
    if (api_db_failed(req, res))
        return;
    size_t len;
    const char *json = api_row_json(res, &len);
    int64_t owner = 0;
    bool under_review = false;
    if (json == NULL || db_result_int64(res, 0, 1, &owner) != 0 ||
        db_result_bool(res, 0, 3, &under_review) != 0) {
        http_respond_error(req, API_ERR_NOT_FOUND, "ad not found", NULL);
        return;
    }
    if (w->status == 201)
        http_response_header(req, "Location",
                             arena_printf(&req->arena, "/api/ads/%" PRId64, w->ad_id));
    if (owner != req->user_id || under_review) {
        http_respond(req, w->status, JSON_TYPE, json, len);
        return;
    }
    size_t body_len = 0;
    char *body = with_under_review_false(json, len, &body_len);
    if (body == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    http_respond_owned(req, w->status, JSON_TYPE, body, body_len);
}

static void on_invalidated(void *user_data)
{
    write_ctx_t *w = user_data;
    http_request_t *req = w->req;
    if (w->status == 204) {
        http_respond_empty(req, 204);
        return;
    }
    /* The detail as the writer sees it, from the primary. */
    const char *id = api_int_text(req, w->ad_id);
    api_query_ctx(req, w, &db_q_ad_detail, DB_WRITE, on_detail_after_write, id, api_user_text(req));
}

/* Drops the ad's cached detail and every cached page, then answers. */
static void invalidate_and_answer(http_request_t *req, int64_t ad_id, int status)
{
    write_ctx_t *w = arena_calloc(&req->arena, 1, sizeof(*w));
    w->req = req;
    w->status = status;
    w->ad_id = ad_id;
    api_ad_cache_invalidate(req, ad_id, on_invalidated, w);
}

/* ---- create ------------------------------------------------------------------ */

static void on_ad_inserted(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    int64_t id = 0;
    if (db_result_int64(res, 0, 0, &id) != 0) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    invalidate_and_answer(req, id, 201);
}

static void handle_create(http_request_t *req)
{
    app_t *app = req->app;
    category_index_t *index = api_categories(app);
    if (index == NULL) {
        http_respond_error(req, API_ERR_UNAVAILABLE, "categories are not loaded yet", NULL);
        return;
    }
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    validation_t v = {0};
    ad_fields_t f;
    ad_fields_read(body, req, index, true, NULL, &v, &f);
    json_decref(body);
    if (validation_respond(&v, req))
        return;
    api_query(req, &db_q_ad_insert, DB_WRITE, on_ad_inserted, api_user_text(req), f.category_id,
              f.title, f.description, f.price, f.currency, f.price_unit, f.province, f.locality,
              f.attributes, api_int_text(req, app->config->ad_ttl_days));
}

/* ---- the checks every write of an existing ad makes ------------------------------ */

typedef struct {
    http_request_t *req;
    ad_current_t current;
    bool is_owner, is_admin, is_public;
} ad_write_t;

/* Reads what ad_for_write returned: false (answered) when the caller may not
 * write: 404 when the ad is unknown, deleted, or not public and not theirs;
 * 403 when it is public and theirs is not. admin_only: only admins may. */
static bool may_write(http_request_t *req, db_result_t *res, ad_write_t *w, bool admin_only)
{
    if (!api_found(req, res, "ad"))
        return false;
    int64_t owner = 0;
    db_result_int64(res, 0, 0, &owner);
    db_result_bool(res, 0, 1, &w->is_public);
    db_result_int64(res, 0, 2, &w->current.category_id);
    const char *attrs = db_result_value(res, 0, 3, NULL);
    w->current.attributes = attrs != NULL ? arena_strndup(&req->arena, attrs, strlen(attrs)) : NULL;
    w->current.has_price = db_result_value(res, 0, 4, NULL) != NULL;
    w->current.has_currency = db_result_value(res, 0, 5, NULL) != NULL;
    db_result_bool(res, 0, 6, &w->is_admin);
    w->is_owner = owner == req->user_id;
    if (w->is_admin || (w->is_owner && !admin_only))
        return true;
    if (!w->is_public && !w->is_owner) {
        http_respond_error(req, API_ERR_NOT_FOUND, "ad not found", NULL);
        return false;
    }
    http_respond_error(
        req, API_ERR_FORBIDDEN,
        admin_only ? "this needs an administrator" : "only the owner may change this ad", NULL);
    return false;
}

static bool load_for_write(http_request_t *req, db_result_cb cb)
{
    ad_write_t *w = arena_calloc(&req->arena, 1, sizeof(*w));
    w->req = req;
    return api_query_ctx(req, w, &db_q_ad_for_write, DB_WRITE, cb, api_path_param(req, 0),
                         api_user_text(req));
}

static void on_ad_written(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_found(req, res, "ad"))
        invalidate_and_answer(req, req->path_params[0], 200);
}

/* ---- update ------------------------------------------------------------------------ */

/* The UPDATE for the fields sent, each a parameter. Setting status "active"
 * on an expired ad renews it (API.md). */
static db_stmt_t *update_statement(http_request_t *req, const ad_fields_t *f, bool audit,
                                   const char ***values, int *count)
{
    app_t *app = req->app;
    const char **p = arena_calloc(&req->arena, 16, sizeof(*p));
    int n = 0;
    p[n++] = api_path_param(req, 0);
    char *sql = arena_printf(&req->arena, "UPDATE ads SET id = id");
#define SET(flag, column, value, cast)                                                             \
    if (f->flag) {                                                                                 \
        p[n++] = (value);                                                                          \
        sql = arena_printf(&req->arena, "%s, " column " = $%d" cast, sql, n);                      \
    }
    SET(has_title, "title", f->title, "::text")
    SET(has_description, "description", f->description, "::text")
    SET(has_price, "price", f->price, "::numeric")
    SET(has_currency, "currency", f->currency, "::text")
    SET(has_price_unit, "price_unit", f->price_unit, "::text")
    SET(has_category, "category_id", f->category_id, "::int")
    SET(has_province, "province", f->province, "::text")
    SET(has_locality, "locality", f->locality, "::text")
    SET(has_attributes, "attributes", f->attributes, "::jsonb")
#undef SET
    if (f->has_status) {
        p[n++] = f->status;
        int status_n = n;
        p[n++] = api_int_text(req, app->config->ad_ttl_days);
        sql = arena_printf(&req->arena,
                           "%s, expires_at = CASE WHEN $%d::text = 'active' AND"
                           " (status = 'expired' OR expires_at <= now())"
                           " THEN now() + $%d::int * interval '1 day' ELSE expires_at END,"
                           " status = $%d::text",
                           sql, status_n, n, status_n);
    }
    sql = arena_printf(&req->arena, "%s WHERE id = $1::bigint AND status <> 'deleted' RETURNING id",
                       sql);
    if (audit) {
        /* An admin's change of someone else's ad, with the body they sent,
         * is recorded in the same statement. */
        p[n++] = api_user_text(req);
        p[n++] =
            req->body.len > 0 ? arena_strndup(&req->arena, req->body.data, req->body.len) : "{}";
        sql = arena_printf(&req->arena,
                           "WITH u AS (%s), audit AS (INSERT INTO admin_actions"
                           " (admin_id, action, ad_id, detail) SELECT $%d::bigint, 'ad_update',"
                           " u.id, jsonb_build_object('changes', $%d::jsonb) FROM u)"
                           " SELECT id FROM u",
                           sql, n - 1, n);
    }
    db_stmt_t *stmt = arena_calloc(&req->arena, 1, sizeof(*stmt));
    stmt->name = "";
    stmt->sql = sql;
    stmt->param_count = n;
    *values = p;
    *count = n;
    return stmt;
}

static void on_patch_loaded(db_result_t *res, void *user_data)
{
    ad_write_t *w = user_data;
    http_request_t *req = w->req;
    if (!may_write(req, res, w, false))
        return;
    app_t *app = req->app;
    category_index_t *index = api_categories(app);
    if (index == NULL) {
        http_respond_error(req, API_ERR_UNAVAILABLE, "categories are not loaded yet", NULL);
        return;
    }
    json_t *body = api_body_json(req, true);
    if (body == NULL)
        return;
    validation_t v = {0};
    ad_fields_t f;
    ad_fields_read(body, req, index, false, &w->current, &v, &f);
    json_decref(body);
    if (validation_respond(&v, req))
        return;
    const char **values;
    int count;
    db_stmt_t *stmt = update_statement(req, &f, w->is_admin && !w->is_owner, &values, &count);
    api_query_params(req, stmt, DB_WRITE, on_ad_written, req, values, count);
}

static void handle_patch(http_request_t *req)
{
    load_for_write(req, on_patch_loaded);
}

/* ---- delete ------------------------------------------------------------------------ */

static void on_deleted(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    /* An UPDATE's count, or the audited statement's row. */
    if (db_result_affected(res) != 1 && db_result_rows(res) != 1) {
        http_respond_error(req, API_ERR_NOT_FOUND, "ad not found", NULL);
        return;
    }
    invalidate_and_answer(req, req->path_params[0], 204);
}

static void on_delete_loaded(db_result_t *res, void *user_data)
{
    ad_write_t *w = user_data;
    http_request_t *req = w->req;
    if (!may_write(req, res, w, false))
        return;
    if (w->is_admin && !w->is_owner)
        api_query(req, &db_q_ad_delete_by_admin, DB_WRITE, on_deleted, api_path_param(req, 0),
                  api_user_text(req));
    else
        api_query(req, &db_q_ad_delete, DB_WRITE, on_deleted, api_path_param(req, 0));
}

static void handle_delete(http_request_t *req)
{
    load_for_write(req, on_delete_loaded);
}

/* ---- feature (admin) ------------------------------------------------------------------ */

static void handle_feature(http_request_t *req)
{
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    json_t *days = json_object_get(body, "days");
    validation_t v = {0};
    json_int_t n = json_is_integer(days) ? json_integer_value(days) : 0;
    if (days == NULL)
        validation_fail(&v, "days", "required", "days is required");
    else if (!json_is_integer(days))
        validation_fail(&v, "days", "type", "days must be an integer");
    else if (n < 1 || n > FEATURE_DAYS_MAX)
        validation_fail(&v, "days", n < 1 ? "min" : "max", "days must be 1 to 90");
    json_decref(body);
    if (validation_respond(&v, req))
        return;
    api_query(req, &db_q_ad_feature, DB_WRITE, on_ad_written, api_path_param(req, 0),
              api_int_text(req, n), api_user_text(req));
}

/* ---- the caller's own ads ------------------------------------------------------------- */

static void handle_my_ads(http_request_t *req)
{
    const char *status = http_request_query(req, "status");
    if (status != NULL && strcmp(status, "active") != 0 && strcmp(status, "paused") != 0 &&
        strcmp(status, "sold") != 0 && strcmp(status, "expired") != 0) {
        json_t *fields = json_pack("{s:s}", "status", "invalid");
        http_respond_error(req, API_ERR_INVALID_PARAMETER,
                           "status: must be active, paused, sold or expired", fields);
        return;
    }
    api_private_page_t *m = arena_calloc(&req->arena, 1, sizeof(*m));
    m->req = req;
    app_t *app = req->app;
    /* The cursor is bound to the caller and the status filter. */
    const char *scope =
        arena_printf(&req->arena, "me:%" PRId64 ":%s;", req->user_id, status != NULL ? status : "");
    if (!api_search_parse(req, api_categories(app), API_SEARCH_PAGE_ONLY, scope, &m->page))
        return;
    const ad_search_t *s = &m->page.search;
    const char *after_sort = s->after ? s->after_sort : NULL;
    const char *after_id = s->after ? api_int_text(req, s->after_id) : NULL;
    api_query_ctx(req, m, &db_q_my_ads, DB_READ, api_search_respond_private, api_user_text(req),
                  status, api_int_text(req, m->page.search.limit), after_sort, after_id);
}

/* ---- public profile ---------------------------------------------------------------- */

static void on_profile(db_result_t *res, void *user_data)
{
    api_respond_row(user_data, res, 200, "user");
}

static void handle_user_profile(http_request_t *req)
{
    api_query(req, &db_q_user_profile, DB_READ, on_profile, api_path_param(req, 0));
}

void api_ads_register(app_t *app)
{
    static const http_route_opts_t read = {.auth = HTTP_AUTH_OPTIONAL};
    static const http_route_opts_t mine = {.auth = HTTP_AUTH_REQUIRED};
    static const http_route_opts_t write = {.auth = HTTP_AUTH_REQUIRED,
                                            .body_kind = HTTP_BODY_JSON,
                                            .body_limit_bytes = HTTP_BODY_LIMIT_JSON};
    static const http_route_opts_t admin_write = {.auth = HTTP_AUTH_ADMIN,
                                                  .body_kind = HTTP_BODY_JSON,
                                                  .body_limit_bytes = HTTP_BODY_LIMIT_JSON};
    static const http_route_opts_t no_body = {.auth = HTTP_AUTH_REQUIRED,
                                              .body_limit_bytes = HTTP_BODY_LIMIT_NONE};
    app_route(app, HTTP_METHOD_GET, "/api/ads", handle_search, &read);
    app_route(app, HTTP_METHOD_GET, "/api/ads/featured", handle_featured, &read);
    app_route(app, HTTP_METHOD_GET, "/api/ads/{id}", handle_detail, &read);
    app_route(app, HTTP_METHOD_POST, "/api/ads", handle_create, &write);
    app_route(app, HTTP_METHOD_PATCH, "/api/ads/{id}", handle_patch, &write);
    app_route(app, HTTP_METHOD_DELETE, "/api/ads/{id}", handle_delete, &no_body);
    app_route(app, HTTP_METHOD_POST, "/api/ads/{id}/feature", handle_feature, &admin_write);
    app_route(app, HTTP_METHOD_GET, "/api/me/ads", handle_my_ads, &mine);
    app_route(app, HTTP_METHOD_GET, "/api/users/{id}", handle_user_profile, &read);
    app_route(app, HTTP_METHOD_GET, "/api/users/{id}/ads", handle_user_ads, &read);
}
