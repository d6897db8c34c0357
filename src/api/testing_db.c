/* Test-only routes that drive the db layer through the real server, for the
 * integration tests of tests/integration/db. Registered only when
 * APP_ENV=test (api_register_routes); none of them exists in production.
 *
 *   GET  /api/_test/db/sleep?ms=N[&write=1]   pg_sleep through the pool (the
 *                                             pool-exhaustion and restart tests)
 *   GET  /api/_test/db/info[?user=U]          which server answered a read:
 *                                             {"in_recovery","port","statement_timeout","timezone"}
 *   POST /api/_test/db/users?email=E[&user=U] inserts a user (a write by U)
 *   GET  /api/_test/db/users/{id}[?user=U]    reads it back (a read by U),
 *                                             with the answering server's in_recovery
 *   POST /api/_test/db/echo                   a raw body (up to 6 MiB) sent as a
 *                                             binary bytea parameter: {"bytes","md5"}
 *   GET  /api/_test/db/error                  a statement that fails (division by zero)
 *   GET  /api/_test/db/clash                  a statement named like test_info:
 *                                             {"clash":true}, not test_info's row
 *   GET  /api/_test/db/stats                  db_stats_json()
 *   GET  /api/_test/db/search-plan?...        the statement GET /api/ads would run
 *                                             for these parameters, EXPLAINed:
 *                                             {"sql","plan"} (EXPLAIN's JSON)
 *   GET  /api/_test/db/hot/{n}                runs hot query n of db/queries.h
 *                                             with its sample parameters:
 *                                             {"label","statement","row":{column: value}}
 *                                             (JSON columns parsed), 404 past the list
 *
 * Database errors map as handlers should map them: db_error_api(). */
#ifdef RURAL24_TEST_ROUTES /* the test build only (app.h) */
#include "api/app.h"
#include "core/xmalloc.h"
#include "db/db.h"
#include "db/queries.h"
#include "api/search.h"
#include "db/ad_search.h"
#include "core/buf.h"
#include "http/response.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const db_stmt_t stmt_sleep = {
    .name = "test_sleep",
    .sql = "SELECT pg_sleep($1::float8 / 1000.0)",
    .param_count = 1,
};

static const db_stmt_t stmt_info = {
    .name = "test_info",
    .sql = "SELECT json_build_object('in_recovery', pg_is_in_recovery(),"
           " 'port', inet_server_port(),"
           " 'statement_timeout', current_setting('statement_timeout'),"
           " 'timezone', current_setting('TimeZone'))",
    .param_count = 0,
};

static const db_stmt_t stmt_user_insert = {
    .name = "test_user_insert",
    .sql = "INSERT INTO users (email, password_hash, name) VALUES ($1, 'test', 'Test user')"
           " RETURNING json_build_object('id', id)",
    .param_count = 1,
};

static const db_stmt_t stmt_user_get = {
    .name = "test_user_get",
    .sql = "SELECT json_build_object('id', id, 'email', email,"
           " 'in_recovery', pg_is_in_recovery()) FROM users WHERE id = $1",
    .param_count = 1,
};

static const db_stmt_t stmt_echo = {
    .name = "test_echo",
    .sql = "SELECT json_build_object('bytes', octet_length($1::bytea), 'md5', md5($1::bytea))",
    .param_count = 1,
    .binary_params = 1u << 0,
};

/* Shares test_info's name on purpose: the pool must not run test_info's SQL
 * for it. */
static const db_stmt_t stmt_name_clash = {
    .name = "test_info",
    .sql = "SELECT json_build_object('clash', true)",
    .param_count = 0,
};

static const db_stmt_t stmt_error = {
    .name = "test_error",
    .sql = "SELECT 1 / (SELECT 0)",
    .param_count = 0,
};

/* Parses a query parameter as an integer in [min, max]; 0 and *out set, 1
 * when absent, -1 when malformed or out of range. */
static int query_int(http_request_t *req, const char *name, int64_t min, int64_t max, int64_t *out)
{
    const char *text = http_request_query(req, name);
    if (text == NULL)
        return 1;
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return -1;
    *out = (int64_t)value;
    return 0;
}

static void respond_db_error(http_request_t *req, const db_result_t *res)
{
    int err = db_result_error(res);
    if (err == DB_E_CONSTRAINT) {
        char message[256];
        snprintf(message, sizeof(message), "constraint %s", db_result_constraint(res));
        http_respond_error(req, API_ERR_CONFLICT, message, NULL);
        return;
    }
    http_respond_error(req, db_error_api(err), NULL, NULL);
}

/* Answers with column 0 of row 0 (JSON built by PostgreSQL), 404 without a
 * row. */
static void on_json_row(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (db_result_error(res) != 0) {
        respond_db_error(req, res);
        return;
    }
    size_t len;
    const char *body = db_result_value(res, 0, 0, &len);
    if (body == NULL) {
        http_respond_error(req, API_ERR_NOT_FOUND, NULL, NULL);
        return;
    }
    http_respond(req, 200, "application/json; charset=utf-8", body, len);
}

static void on_created(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (db_result_error(res) != 0) {
        respond_db_error(req, res);
        return;
    }
    size_t len;
    const char *body = db_result_value(res, 0, 0, &len);
    http_respond(req, 201, "application/json; charset=utf-8", body, len);
}

static void on_slept(db_result_t *res, void *user_data)
{
    http_request_t *req = user_data;
    if (db_result_error(res) != 0) {
        respond_db_error(req, res);
        return;
    }
    http_respond_json(req, 200, json_pack("{s:b}", "slept", 1));
}

/* Submits or answers the refusal at once. */
static void run(http_request_t *req, const db_stmt_t *stmt, const char *const *params,
                const int *lengths, int nparams, db_intent_t intent, int64_t user_id,
                db_result_cb cb)
{
    app_t *app = req->app;
    int rc = db_query(app->db, stmt, params, lengths, nparams, intent, user_id, cb, req);
    if (rc != 0)
        http_respond_error(req, db_error_api(rc), db_error_message(rc), NULL);
}

/* Like run() with a user_data of the caller's, which the callback frees;
 * freed here when the query is refused. */
static void run_with(http_request_t *req, const db_stmt_t *stmt, void *user_data, db_result_cb cb)
{
    app_t *app = req->app;
    int rc = db_query(app->db, stmt, NULL, NULL, 0, DB_READ, 0, cb, user_data);
    if (rc != 0) {
        free(user_data);
        http_respond_error(req, db_error_api(rc), db_error_message(rc), NULL);
    }
}

static int64_t user_param(http_request_t *req)
{
    int64_t user = 0;
    if (query_int(req, "user", 1, INT64_MAX, &user) != 0)
        return 0;
    return user;
}

static void handle_sleep(http_request_t *req)
{
    int64_t ms = 0, write = 0;
    if (query_int(req, "ms", 0, 60000, &ms) != 0 || query_int(req, "write", 0, 1, &write) < 0) {
        http_respond_error(req, API_ERR_INVALID_PARAMETER, "ms: 0 to 60000", NULL);
        return;
    }
    char ms_text[24];
    snprintf(ms_text, sizeof(ms_text), "%lld", (long long)ms);
    const char *params[] = {ms_text};
    run(req, &stmt_sleep, params, NULL, 1, write == 1 ? DB_WRITE : DB_READ, user_param(req),
        on_slept);
}

static void handle_info(http_request_t *req)
{
    run(req, &stmt_info, NULL, NULL, 0, DB_READ, user_param(req), on_json_row);
}

static void handle_user_insert(http_request_t *req)
{
    const char *email = http_request_query(req, "email");
    if (email == NULL) {
        http_respond_error(req, API_ERR_INVALID_PARAMETER, "email is required", NULL);
        return;
    }
    const char *params[] = {email};
    run(req, &stmt_user_insert, params, NULL, 1, DB_WRITE, user_param(req), on_created);
}

static void handle_user_get(http_request_t *req)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)req->path_params[0]);
    const char *params[] = {id_text};
    run(req, &stmt_user_get, params, NULL, 1, DB_READ, user_param(req), on_json_row);
}

static void handle_echo(http_request_t *req)
{
    const char *params[] = {req->body.data != NULL ? req->body.data : ""};
    int lengths[] = {(int)req->body.len};
    run(req, &stmt_echo, params, lengths, 1, DB_WRITE, 0, on_json_row);
}

static void handle_clash(http_request_t *req)
{
    run(req, &stmt_name_clash, NULL, NULL, 0, DB_READ, 0, on_json_row);
}

static void handle_error(http_request_t *req)
{
    run(req, &stmt_error, NULL, NULL, 0, DB_WRITE, 0, on_json_row);
}

static void handle_stats(http_request_t *req)
{
    app_t *app = req->app;
    http_respond_json(req, 200, db_stats_json(app->db));
}

/* The sample-parameter queries of db_hot_queries, as unnamed statements. */
enum { MAX_HOT = 64 };
static db_stmt_t hot_samples[MAX_HOT];

typedef struct {
    http_request_t *req;
    size_t index;
} hot_call_t;

/* The hot query's one row as an object; columns that hold JSON are parsed. */
static void on_hot_result(db_result_t *res, void *user_data)
{
    hot_call_t *call = user_data;
    http_request_t *req = call->req;
    const db_hot_query_t *h = &db_hot_queries[call->index];
    free(call);
    if (db_result_error(res) != 0) {
        http_respond_error(req, db_error_api(db_result_error(res)), db_result_message(res), NULL);
        return;
    }
    json_t *row = json_object();
    for (int col = 0; db_result_rows(res) > 0 && col < db_result_cols(res); col++) {
        size_t len;
        const char *value = db_result_value(res, 0, col, &len);
        json_t *v = value == NULL ? json_null() : json_loadb(value, len, JSON_DECODE_ANY, NULL);
        if (v == NULL)
            v = json_stringn(value, len);
        json_object_set_new(row, db_result_column_name(res, col), v);
    }
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:o, s:i}", "label", h->label, "statement",
                                h->stmt->name, "row", row, "rows", db_result_rows(res)));
}

static void on_hot_sample(db_result_t *res, void *user_data)
{
    hot_call_t *call = user_data;
    http_request_t *req = call->req;
    const db_hot_query_t *h = &db_hot_queries[call->index];
    if (db_result_error(res) != 0 || db_result_rows(res) != 1 ||
        db_result_cols(res) != h->stmt->param_count) {
        free(call);
        http_respond_error(req, API_ERR_INTERNAL, "sample parameters", NULL);
        return;
    }
    const char *params[DB_MAX_PARAMS];
    for (int i = 0; i < h->stmt->param_count; i++)
        params[i] = db_result_value(res, 0, i, NULL);
    app_t *app = req->app;
    int rc = db_query(app->db, h->stmt, params, NULL, h->stmt->param_count, DB_READ, 0,
                      on_hot_result, call);
    if (rc != 0) {
        free(call);
        http_respond_error(req, db_error_api(rc), db_error_message(rc), NULL);
    }
}

static void handle_hot(http_request_t *req)
{
    int64_t n = req->path_params[0];
    if (n < 1 || (size_t)n > db_hot_query_count || (size_t)n > MAX_HOT) {
        http_respond_error(req, API_ERR_NOT_FOUND, NULL, NULL);
        return;
    }
    hot_call_t *call = xmalloc(sizeof(*call));
    call->req = req;
    call->index = (size_t)n - 1;
    run_with(req, &hot_samples[call->index], call, on_hot_sample);
}

typedef struct {
    http_request_t *req;
    const char *sql;
} plan_call_t;

static void on_plan(db_result_t *res, void *user_data)
{
    plan_call_t *call = user_data;
    http_request_t *req = call->req;
    int err = db_result_error(res);
    if (err != 0) {
        http_respond_error(req, db_error_api(err), db_result_message(res), NULL);
        return;
    }
    buf_t plan;
    buf_init(&plan, (size_t)1 << 26);
    for (int i = 0; i < db_result_rows(res); i++)
        buf_append_str(&plan, db_result_value(res, i, 0, NULL));
    buf_append(&plan, "", 1);
    json_t *body = json_object();
    json_object_set_new(body, "sql", json_string(call->sql));
    json_object_set_new(body, "plan", json_loads(plan.data, 0, NULL));
    buf_free(&plan);
    http_respond_json(req, 200, body);
}

/* EXPLAINs the search statement built for this request's parameters, by the
 * same parser and builder as GET /api/ads, with the same parameters. */
static void handle_search_plan(http_request_t *req)
{
    app_t *app = req->app;
    api_search_t s;
    if (!api_search_parse(req, app->categories, API_SEARCH_FULL, "", &s))
        return;
    db_stmt_t *stmt;
    const char **params;
    int nparams;
    ad_search_build(&s.search, &req->arena, &stmt, &params, &nparams);
    plan_call_t *call = arena_calloc(&req->arena, 1, sizeof(*call));
    call->req = req;
    call->sql = stmt->sql;
    db_stmt_t *explain = arena_calloc(&req->arena, 1, sizeof(*explain));
    explain->name = "";
    explain->sql = arena_printf(&req->arena, "EXPLAIN (FORMAT JSON) %s", stmt->sql);
    explain->param_count = nparams;
    explain->custom_plan = true;
    int rc = db_query(app->db, explain, params, NULL, nparams, DB_READ, 0, on_plan, call);
    if (rc != 0)
        http_respond_error(req, db_error_api(rc), db_error_message(rc), NULL);
}

void api_testing_db_register(app_t *app)
{
    static const http_route_opts_t plain = {.rate_class = HTTP_RATE_NONE};
    static const http_route_opts_t raw_body = {
        .rate_class = HTTP_RATE_NONE,
        .body_kind = HTTP_BODY_RAW,
        .body_limit_bytes = 6 * 1024 * 1024,
    };
    app_route(app, HTTP_METHOD_GET, "/api/_test/db/sleep", handle_sleep, &plain);
    app_route(app, HTTP_METHOD_GET, "/api/_test/db/info", handle_info, &plain);
    app_route(app, HTTP_METHOD_POST, "/api/_test/db/users", handle_user_insert, &plain);
    app_route(app, HTTP_METHOD_GET, "/api/_test/db/users/{id}", handle_user_get, &plain);
    app_route(app, HTTP_METHOD_POST, "/api/_test/db/echo", handle_echo, &raw_body);
    app_route(app, HTTP_METHOD_GET, "/api/_test/db/error", handle_error, &plain);
    app_route(app, HTTP_METHOD_GET, "/api/_test/db/clash", handle_clash, &plain);
    app_route(app, HTTP_METHOD_GET, "/api/_test/db/stats", handle_stats, &plain);
    app_route(app, HTTP_METHOD_GET, "/api/_test/db/search-plan", handle_search_plan, &plain);
    for (size_t i = 0; i < db_hot_query_count && i < MAX_HOT; i++) {
        hot_samples[i].name = ""; /* unnamed: run once per request */
        hot_samples[i].sql = db_hot_queries[i].sample_sql;
        hot_samples[i].param_count = 0;
    }
    app_route(app, HTTP_METHOD_GET, "/api/_test/db/hot/{n}", handle_hot, &plain);
}

#endif /* RURAL24_TEST_ROUTES */
