/* Reports and moderation (API.md "Ads": reports; "Moderation"): POST
 * /api/ads/{id}/report, GET /api/admin/reports, POST
 * /api/admin/ads/{id}/moderate.
 *
 * A report that brings an ad to REPORTS_AUTO_HIDE distinct open reporters
 * puts it under review in the same transaction (report_ad() of migration
 * 010); the handler then drops the ad's cached detail and every cached page
 * before answering, so the ad has left search, featured and the public
 * listings on every instance sharing the cache store by the time the
 * reporter reads the 201. An admin's decision (moderate_ad()) resolves the
 * reports, applies the action, writes the audit row and the owner's
 * notification in one transaction, and invalidates the same way.
 * docs/MODERATION.md has the decisions. */
#include "api/ad_cache.h"
#include "api/app.h"
#include "api/notifications.h"
#include "api/reply.h"
#include "api/search.h"
#include "api/validate.h"
#include "db/moderation.h"
#include "http/response.h"

#include <string.h>

enum {
    DETAILS_MAX_CHARS = 2000,
    NOTE_MAX_CHARS = 2000,
    REPORTS_PER_AD = 20, /* the newest reports the queue lists for each ad */
};

static const char JSON_TYPE[] = "application/json; charset=utf-8";

static const char *const REASONS[] = {"spam",      "fraud", "wrong_category",
                                      "offensive", "other", NULL};
static const char *const ACTIONS[] = {"dismiss", "pause", "delete", NULL};

static bool one_of(const char *s, const char *const *options)
{
    for (; *options != NULL; options++) {
        if (strcmp(s, *options) == 0)
            return true;
    }
    return false;
}

/* Reads an optional text member of at most max_chars code points (null is
 * absent) into the arena; *out stays NULL when absent. */
static void read_text(json_t *body, http_request_t *req, const char *key, size_t max_chars,
                      validation_t *v, const char **out)
{
    const char *s = NULL;
    *out = NULL;
    if (!api_get_string(body, key, true, v, &s) || s == NULL)
        return;
    if (api_utf8_chars(s) > max_chars) {
        validation_fail(v, key, "max_length", "too long");
        return;
    }
    *out = arena_strndup(&req->arena, s, strlen(s));
}

/* Reads a required member that must be one of options. */
static const char *read_choice(json_t *body, http_request_t *req, const char *key,
                               const char *const *options, validation_t *v)
{
    json_t *value = json_object_get(body, key);
    if (value == NULL || json_is_null(value)) {
        validation_fail(v, key, "required", "is required");
        return NULL;
    }
    if (!json_is_string(value)) {
        validation_fail(v, key, "type", "must be a string");
        return NULL;
    }
    const char *s = json_string_value(value);
    if (!one_of(s, options)) {
        validation_fail(v, key, "invalid", "is not one of the allowed values");
        return NULL;
    }
    return arena_strndup(&req->arena, s, strlen(s));
}

/* Refuses members other than the allowed ones ("unknown"), as ad bodies do. */
static void refuse_unknown(json_t *body, const char *const *allowed, validation_t *v)
{
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        (void)value;
        if (!one_of(key, allowed))
            validation_fail(v, key, "unknown", "is not a field of this body");
    }
}

/* ---- POST /api/ads/{id}/report ---------------------------------------------------- */

typedef struct {
    http_request_t *req;
    char *report; /* the 201 body, malloc'd until answered */
    size_t len;
} report_t;

static void on_report_hidden(void *user_data)
{
    report_t *r = user_data;
    char *body = r->report;
    r->report = NULL;
    http_respond_owned(r->req, 201, JSON_TYPE, body, r->len);
}

static void on_reported(db_result_t *res, void *user_data)
{
    report_t *r = user_data;
    http_request_t *req = r->req;
    if (db_result_error(res) == DB_E_CONSTRAINT &&
        strcmp(db_result_constraint(res), "idx_reports_open_once") == 0) {
        http_respond_error(req, API_ERR_CONFLICT, "you already reported this ad", NULL);
        return;
    }
    if (api_db_failed(req, res))
        return;
    const char *outcome = db_result_rows(res) == 1 ? db_result_value(res, 0, 0, NULL) : NULL;
    bool hidden = false;
    if (outcome == NULL || db_result_bool(res, 0, 1, &hidden) != 0) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    if (strcmp(outcome, "not_found") == 0) {
        http_respond_error(req, API_ERR_NOT_FOUND, "ad not found", NULL);
        return;
    }
    if (strcmp(outcome, "own") == 0) {
        http_respond_error(req, API_ERR_FORBIDDEN, "you cannot report your own ad", NULL);
        return;
    }
    if (strcmp(outcome, "conflict") == 0) {
        http_respond_error(req, API_ERR_CONFLICT, "you already reported this ad", NULL);
        return;
    }
    r->report = db_result_dup(res, 0, 2, &r->len);
    if (r->report == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    /* The ad just went under review: it leaves every cached page and its
     * cached detail before the reporter hears back. */
    if (hidden)
        api_ad_cache_invalidate(req, req->path_params[0], on_report_hidden, r);
    else
        on_report_hidden(r);
}

static void handle_report(http_request_t *req)
{
    static const char *const allowed[] = {"reason", "details", NULL};
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    validation_t v = {0};
    const char *reason = read_choice(body, req, "reason", REASONS, &v);
    const char *details = NULL;
    read_text(body, req, "details", DETAILS_MAX_CHARS, &v, &details);
    refuse_unknown(body, allowed, &v);
    json_decref(body);
    if (validation_respond(&v, req))
        return;
    app_t *app = req->app;
    report_t *r = arena_calloc(&req->arena, 1, sizeof(*r));
    r->req = req;
    api_query_ctx(req, r, &db_q_report_ad, DB_WRITE, on_reported, api_path_param(req, 0),
                  api_user_text(req), reason, details,
                  api_int_text(req, app->config->reports_auto_hide));
}

/* ---- GET /api/admin/reports ---------------------------------------------------------- */

typedef struct {
    http_request_t *req;
    api_search_t page; /* limit and cursor, bound to the status */
} queue_t;

static void on_queue(db_result_t *res, void *user_data)
{
    queue_t *q = user_data;
    http_request_t *req = q->req;
    if (api_db_failed(req, res))
        return;
    size_t len;
    char *page = api_search_page_json(req->app, &req->arena, q->page.binding, res, &len);
    if (page == NULL) {
        http_respond_error(req, API_ERR_INTERNAL, NULL, NULL);
        return;
    }
    http_response_header(req, "Cache-Control", "private, no-store");
    http_respond_owned(req, 200, JSON_TYPE, page, len);
}

static void handle_queue(http_request_t *req)
{
    const char *status = http_request_query(req, "status");
    if (status == NULL)
        status = "open";
    if (strcmp(status, "open") != 0 && strcmp(status, "resolved") != 0) {
        json_t *fields = json_pack("{s:s}", "status", "invalid");
        http_respond_error(req, API_ERR_INVALID_PARAMETER, "status: must be open or resolved",
                           fields);
        return;
    }
    bool open = strcmp(status, "open") == 0;
    queue_t *q = arena_calloc(&req->arena, 1, sizeof(*q));
    q->req = req;
    app_t *app = req->app;
    /* The cursor serves only the queue it came from. */
    if (!api_search_parse(req, api_categories(app), API_SEARCH_PAGE_ONLY,
                          open ? "reports:open;" : "reports:resolved;", &q->page))
        return;
    const ad_search_t *s = &q->page.search;
    const char *after_count = s->after ? s->after_sort : NULL;
    const char *after_id = s->after ? api_int_text(req, s->after_id) : NULL;
    /* From the primary: an admin who just decided sees the queue without it. */
    api_query_ctx(req, q, open ? &db_q_admin_reports_open : &db_q_admin_reports_resolved, DB_WRITE,
                  on_queue, api_int_text(req, s->limit), after_count, after_id,
                  api_int_text(req, REPORTS_PER_AD));
}

/* ---- POST /api/admin/ads/{id}/moderate ------------------------------------------------ */

typedef struct {
    http_request_t *req;
    char *answer; /* malloc'd until answered */
    size_t len;
} moderate_t;

static void on_moderation_invalidated(void *user_data)
{
    moderate_t *m = user_data;
    char *body = m->answer;
    m->answer = NULL;
    http_respond_owned(m->req, 200, JSON_TYPE, body, m->len);
}

static void on_moderated(db_result_t *res, void *user_data)
{
    moderate_t *m = user_data;
    http_request_t *req = m->req;
    if (api_db_failed(req, res))
        return;
    m->answer = db_result_rows(res) == 1 ? db_result_dup(res, 0, 0, &m->len) : NULL;
    if (m->answer == NULL) {
        http_respond_error(req, API_ERR_NOT_FOUND, "ad not found", NULL);
        return;
    }
    int64_t action_id = 0;
    if (db_result_int64(res, 0, 1, &action_id) == 0)
        api_notifications_push_moderated(req->app, req->path_params[0], action_id);
    api_ad_cache_invalidate(req, req->path_params[0], on_moderation_invalidated, m);
}

static void handle_moderate(http_request_t *req)
{
    static const char *const allowed[] = {"action", "note", NULL};
    json_t *body = api_body_json(req, false);
    if (body == NULL)
        return;
    validation_t v = {0};
    const char *action = read_choice(body, req, "action", ACTIONS, &v);
    const char *note = NULL;
    read_text(body, req, "note", NOTE_MAX_CHARS, &v, &note);
    refuse_unknown(body, allowed, &v);
    json_decref(body);
    if (validation_respond(&v, req))
        return;
    moderate_t *m = arena_calloc(&req->arena, 1, sizeof(*m));
    m->req = req;
    api_query_ctx(req, m, &db_q_moderate_ad, DB_WRITE, on_moderated, api_path_param(req, 0),
                  api_user_text(req), action, note);
}

void api_moderation_register(app_t *app)
{
    static const http_route_opts_t write = {.auth = HTTP_AUTH_REQUIRED,
                                            .body_kind = HTTP_BODY_JSON,
                                            .body_limit_bytes = HTTP_BODY_LIMIT_JSON};
    static const http_route_opts_t admin_read = {.auth = HTTP_AUTH_ADMIN};
    static const http_route_opts_t admin_write = {.auth = HTTP_AUTH_ADMIN,
                                                  .body_kind = HTTP_BODY_JSON,
                                                  .body_limit_bytes = HTTP_BODY_LIMIT_JSON};
    app_route(app, HTTP_METHOD_POST, "/api/ads/{id}/report", handle_report, &write);
    app_route(app, HTTP_METHOD_GET, "/api/admin/reports", handle_queue, &admin_read);
    app_route(app, HTTP_METHOD_POST, "/api/admin/ads/{id}/moderate", handle_moderate, &admin_write);
}
