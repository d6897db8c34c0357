/* Saved searches and notifications (API.md "Saved searches and
 * notifications"): the routes under /api/me, and the scheduled jobs that
 * create notifications, started here with their hooks (jobs/jobs.h).
 *
 * A saved search's query is checked by the search's own code
 * (api_search_parse_object(), search.h), so a bad parameter gets exactly the
 * error GET /api/ads gives it; the filter it parsed is stored beside the
 * query in the columns the matcher's reverse lookup reads. Every
 * notification is stored first and pushed afterwards
 * ({"type":"notification",...} on the user's connections on every instance,
 * api/ws.h). docs/NOTIFICATIONS.md has the decisions. */
#include "api/notifications.h"
#include "api/app.h"
#include "obs/metrics.h"
#include "api/categories.h"
#include "api/reply.h"
#include "api/search.h"
#include "api/validate.h"
#include "api/ws.h"
#include "db/notifications.h"
#include "http/response.h"
#include "jobs/jobs.h"
#include "store/cache.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SAVED_SEARCHES_MAX = 20,
    NAME_MAX_CHARS = 100,
    PAGE_DEFAULT = 20,
    PAGE_MAX = 100,
};

/* ---- saved searches ---------------------------------------------------------- */

static void on_saved_searches(db_result_t *res, void *user_data)
{
    api_respond_items(user_data, res, "private, no-store");
}

static void handle_saved_list(http_request_t *req)
{
    api_query(req, &db_q_saved_searches, DB_READ, on_saved_searches, api_user_text(req));
}

static void on_saved_created(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    size_t len;
    const char *json = api_row_json(res, &len);
    if (json == NULL) {
        http_respond_error(req, API_ERR_CONFLICT, "at most 20 saved searches per user", NULL);
        return;
    }
    api_private_answer(req);
    http_respond(req, 201, API_JSON_TYPE, json, len);
}

/* The attr.KEY.min/max ranges as [{"key","min","max"}] (text values), or
 * NULL when there are none; in the arena. */
static const char *ranges_json(http_request_t *req, const ad_search_t *s)
{
    if (s->range_count == 0)
        return NULL;
    json_t *ranges = json_array();
    for (size_t i = 0; i < s->range_count; i++) {
        const ad_attr_range_t *r = &s->ranges[i];
        json_t *range = json_pack("{s:s}", "key", r->key);
        if (r->min != NULL)
            json_object_set_new(range, "min", json_string(r->min));
        if (r->max != NULL)
            json_object_set_new(range, "max", json_string(r->max));
        json_array_append_new(ranges, range);
    }
    char *text = json_dumps(ranges, JSON_COMPACT);
    json_decref(ranges);
    const char *out = arena_strndup(&req->arena, text, strlen(text));
    free(text);
    return out;
}

/* name: a display text, 1 to 100 characters after trimming. */
static const char *read_name(json_t *body, http_request_t *req, validation_t *v)
{
    json_t *value = json_object_get(body, "name");
    if (value == NULL || json_is_null(value)) {
        validation_fail(v, "name", "required", "name is required");
        return NULL;
    }
    if (!json_is_string(value)) {
        validation_fail(v, "name", "type", "name must be a string");
        return NULL;
    }
    size_t chars = 0;
    char *name = api_clean_text(&req->arena, json_string_value(value), &chars);
    if (name == NULL)
        validation_fail(v, "name", "invalid", "name holds control or bidirectional characters");
    else if (chars == 0)
        validation_fail(v, "name", "min_length", "name must be 1 to 100 characters");
    else if (chars > NAME_MAX_CHARS)
        validation_fail(v, "name", "max_length", "name must be 1 to 100 characters");
    else
        return name;
    return NULL;
}

static void handle_saved_create(http_request_t *req)
{
    app_t *app = req->app;
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    validation_t v = {0};
    const char *name = read_name(body, req, &v);
    json_t *query = json_object_get(body, "query");
    if (query == NULL || json_is_null(query))
        validation_fail(&v, "query", "required", "query is required");
    else if (!json_is_object(query))
        validation_fail(&v, "query", "type", "query must be an object of search parameters");
    if (validation_respond(&v, req)) {
        json_decref(body);
        return;
    }
    api_search_t parsed;
    json_t *canonical = NULL;
    bool ok = api_search_parse_object(req, api_categories(app), query, &parsed, &canonical);
    json_decref(body);
    if (!ok)
        return;
    char *query_text = json_dumps(canonical, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(canonical);
    const char *stored_query = arena_strndup(&req->arena, query_text, strlen(query_text));
    free(query_text);
    const ad_search_t *s = &parsed.search;
    bool bounded = s->min_price != NULL || s->max_price != NULL;
    api_query(req, &db_q_saved_search_create, DB_WRITE, on_saved_created, api_user_text(req), name,
              stored_query, parsed.category_id > 0 ? api_int_text(req, parsed.category_id) : NULL,
              s->province, s->currency, s->q, s->price_unit, s->min_price, s->max_price,
              bounded && s->price_in_usd ? "true" : "false", s->attr_equal, ranges_json(req, s),
              api_int_text(req, SAVED_SEARCHES_MAX));
}

/* A row: it was the caller's and is done (204); none: 404. */
static void on_own_row(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_found(req, res, "saved search"))
        http_respond_empty(req, 204);
}

static void handle_saved_delete(http_request_t *req)
{
    api_query(req, &db_q_saved_search_delete, DB_WRITE, on_own_row, api_path_param(req, 0),
              api_user_text(req));
}

static void handle_saved_seen(http_request_t *req)
{
    api_query(req, &db_q_saved_search_seen, DB_WRITE, on_own_row, api_path_param(req, 0),
              api_user_text(req));
}

/* ---- notifications ------------------------------------------------------------- */

static void on_notifications_page(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (!api_one_row(req, res))
        return;
    int64_t unread = 0;
    (void)db_result_int64(res, 0, 3, &unread);
    api_respond_id_page(req, res,
                        arena_printf(&req->arena, "\"unread_count\":%" PRId64 ",", unread));
}

static void handle_notifications(http_request_t *req)
{
    int64_t before, limit;
    if (!api_query_int(req, "before", 1, INT64_MAX, 0, &before) ||
        !api_query_int(req, "limit", 1, PAGE_MAX, PAGE_DEFAULT, &limit))
        return;
    api_query(req, &db_q_notifications_page, DB_READ, on_notifications_page, api_user_text(req),
              before != 0 ? api_int_text(req, before) : NULL, api_int_text(req, limit));
}

static void on_marked_read(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (api_db_failed(req, res))
        return;
    http_respond_empty(req, 204);
}

static void handle_notifications_read(http_request_t *req)
{
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    json_t *up_to = json_object_get(body, "up_to");
    validation_t v = {0};
    if (up_to == NULL || json_is_null(up_to))
        validation_fail(&v, "up_to", "required", "up_to is required");
    else if (!json_is_integer(up_to) || json_integer_value(up_to) <= 0)
        validation_fail(&v, "up_to", "type", "up_to must be a positive integer id");
    int64_t id = json_is_integer(up_to) ? (int64_t)json_integer_value(up_to) : 0;
    json_decref(body);
    if (validation_respond(&v, req))
        return;
    api_query(req, &db_q_notifications_read, DB_WRITE, on_marked_read, api_user_text(req),
              api_int_text(req, id));
}

/* ---- pushes of what other handlers and the jobs store ------------------------------ */

static void on_moderated_notification(db_result_t *res, void *user_data)
{
    app_t *app = user_data;
    if (db_result_error(res) != 0 || db_result_rows(res) != 1)
        return;
    int64_t user_id = 0;
    size_t len = 0;
    const char *json = db_result_value(res, 0, 1, &len);
    if (json != NULL && db_result_int64(res, 0, 0, &user_id) == 0) {
        obs_count(app->metrics, OBS_NOTIFICATIONS);
        api_ws_push_notification(app, user_id, json, len);
    }
}

void api_notifications_push_moderated(app_t *app, int64_t ad_id, int64_t action_id)
{
    char ad[24], action[24];
    snprintf(ad, sizeof(ad), "%" PRId64, ad_id);
    snprintf(action, sizeof(action), "%" PRId64, action_id);
    const char *params[] = {ad, action};
    /* From the primary: the row was committed there a moment ago. */
    (void)db_query(app->db, &db_q_notification_moderated, params, NULL, 2, DB_WRITE, 0,
                   on_moderated_notification, app);
}

static void on_job_notification(int64_t user_id, const char *json, size_t len, void *user_data)
{
    app_t *app = user_data;
    obs_count(app->metrics, OBS_NOTIFICATIONS);
    api_ws_push_notification(app, user_id, json, len);
}

static void on_job_ran(const char *job, bool ok, int64_t items, void *user_data)
{
    app_t *app = user_data;
    obs_job_ran(app->metrics, job, ok, items);
}

/* Expired ads leave search and featured lists: drop the cached pages. */
static void on_ads_changed(void *user_data)
{
    app_t *app = user_data;
    if (app->cache != NULL) {
        /* Only an invalid namespace is refused (CACHE_E_INVALID), and these
         * are constants; nobody waits for the bumps to land. */
        (void)cache_bump(app->cache, "search", NULL, NULL);
        (void)cache_bump(app->cache, "featured", NULL, NULL);
    }
}

void api_jobs_open(app_t *app)
{
    jobs_hooks_t hooks = {
        .on_notification = on_job_notification,
        .on_ads_changed = on_ads_changed,
        .on_ran = on_job_ran,
        .user_data = app,
    };
    app->jobs_stopped = false;
    app->jobs = jobs_start(app->loop, app->db, app->config, &hooks);
}

static void on_jobs_stopped(void *user_data)
{
    app_t *app = user_data;
    app->jobs_stopped = true;
}

void api_jobs_close(app_t *app)
{
    if (app->jobs != NULL) {
        jobs_t *jobs = app->jobs;
        app->jobs = NULL;
        jobs_stop(jobs, on_jobs_stopped, app);
    }
}

void api_notifications_register(app_t *app)
{
    static const http_route_opts_t read = {.auth = HTTP_AUTH_REQUIRED};
    static const http_route_opts_t write = {.auth = HTTP_AUTH_REQUIRED,
                                            .body_kind = HTTP_BODY_JSON,
                                            .body_limit_bytes = HTTP_BODY_LIMIT_JSON};
    static const http_route_opts_t no_body = {.auth = HTTP_AUTH_REQUIRED,
                                              .body_limit_bytes = HTTP_BODY_LIMIT_NONE};
    app_route(app, HTTP_METHOD_GET, "/api/me/saved-searches", handle_saved_list, &read);
    app_route(app, HTTP_METHOD_POST, "/api/me/saved-searches", handle_saved_create, &write);
    app_route(app, HTTP_METHOD_DELETE, "/api/me/saved-searches/{id}", handle_saved_delete,
              &no_body);
    app_route(app, HTTP_METHOD_POST, "/api/me/saved-searches/{id}/seen", handle_saved_seen,
              &no_body);
    app_route(app, HTTP_METHOD_GET, "/api/me/notifications", handle_notifications, &read);
    app_route(app, HTTP_METHOD_POST, "/api/me/notifications/read", handle_notifications_read,
              &write);
}
