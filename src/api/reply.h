/* The plumbing every handler shares, so that a handler reads as its
 * validation, its statement and its answer:
 *
 *     static void on_user(db_result_t *res, void *user_data)
 *     {
 *         api_respond_row(user_data, res, 200, "user");   // 404 when no row
 *     }
 *     static void handle_get_user(http_request_t *req)
 *     {
 *         api_query(req, &db_q_user_profile, DB_READ, on_user, api_path_param(req, 0));
 *     }
 *
 * api_query() answers the request itself when the database refuses the
 * statement (503), so a handler never writes that branch; api_respond_row()
 * maps a failed statement to its API error (db_error_api(), and a CHECK or
 * foreign-key violation to 400 validation_failed) and passes PostgreSQL's JSON
 * through as bytes. */
#ifndef RURAL24_API_REPLY_H
#define RURAL24_API_REPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "http/request.h"

/* Runs stmt with the given text parameters (NULL is SQL NULL) on behalf of
 * req's user (the replica rule's user, 0 when anonymous); cb gets user_data.
 * Returns true when the query was accepted (cb fires later, exactly once);
 * false when it was refused, after answering req with the error (cb never
 * fires). */
bool api_query_params(http_request_t *req, const db_stmt_t *stmt, db_intent_t intent,
                      db_result_cb cb, void *user_data, const char *const *params, int nparams);

#define API_PARAMS(...)                                                                            \
    (const char *const[])                                                                          \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define API_NPARAMS(...) (int)(sizeof(API_PARAMS(__VA_ARGS__)) / sizeof(const char *))

/* api_query_params() with cb getting req, and the parameters listed. */
#define api_query(req, stmt, intent, cb, ...)                                                      \
    api_query_params((req), (stmt), (intent), (cb), (req), API_PARAMS(__VA_ARGS__),                \
                     API_NPARAMS(__VA_ARGS__))

/* The same with cb getting ctx (a handler's own state for the request). */
#define api_query_ctx(req, ctx, stmt, intent, cb, ...)                                             \
    api_query_params((req), (stmt), (intent), (cb), (ctx), API_PARAMS(__VA_ARGS__),                \
                     API_NPARAMS(__VA_ARGS__))

/* For a statement without parameters. */
#define api_query0(req, stmt, intent, cb)                                                          \
    api_query_params((req), (stmt), (intent), (cb), (req), NULL, 0)

/* When res failed: answers req with the API error for it and returns true.
 * DB_E_CONSTRAINT becomes 400 validation_failed (a CHECK the handler's own
 * validation should have caught, or a row referenced that vanished), the
 * others what db_error_api() says. */
bool api_db_failed(http_request_t *req, db_result_t *res);

/* Column 0 of res's one row (the JSON a statement built), *len bytes; NULL
 * when res has not exactly one row or the column is SQL NULL. res must not
 * have failed (api_db_failed() first). Valid as long as res. */
const char *api_row_json(db_result_t *res, size_t *len);

/* Answers with column 0 of row 0 as the JSON body (application/json) and
 * status, or 404 not_found naming what when the statement returned no row (or
 * SQL NULL), or the error when it failed. */
void api_respond_row(http_request_t *req, db_result_t *res, int status, const char *what);

/* The Content-Type of every JSON answer. */
#define API_JSON_TYPE "application/json; charset=utf-8"

/* Marks an answer as the caller's own: Cache-Control: private, no-store (no
 * shared cache may keep it). */
void api_private_answer(http_request_t *req);

/* True when res is the one row a statement returns (a page, a count);
 * otherwise answers the error (500 for another row count) and returns
 * false. */
bool api_one_row(http_request_t *req, db_result_t *res);

/* True when res is one row; otherwise answers the error, or 404 not_found
 * "<what> not found" when there is no row, and returns false. */
bool api_found(http_request_t *req, db_result_t *res, const char *what);

/* Answers a page keyed by id from a one-row statement (items, has_more,
 * next_id in columns 0 to 2) as the caller's own:
 * {"items":[...],<extra>"next_cursor":"<id>"|null}. extra (NULL for none)
 * is more members ending in a comma, e.g. "\"unread_count\":3,". */
void api_respond_id_page(http_request_t *req, db_result_t *res, const char *extra);

/* Answers 200 {"items":<column 0 of row 0>} ([] for no row or SQL NULL)
 * with Cache-Control: cache_control, or the error when res failed. */
void api_respond_items(http_request_t *req, db_result_t *res, const char *cache_control);

/* {"items":[...]} around column 0 of res's one row (an empty array when
 * there is none), in a new malloc'd buffer of *len bytes the caller owns.
 * res must not have failed. */
char *api_items_json(db_result_t *res, size_t *len);

/* Path parameter i of the route (its typed {id}) as decimal text in the
 * request's arena. */
const char *api_path_param(http_request_t *req, size_t i);

/* An integer as decimal text in the request's arena. */
const char *api_int_text(http_request_t *req, int64_t value);

/* The caller's user id as text ("0" when anonymous). */
const char *api_user_text(http_request_t *req);

/* Query parameter name as a decimal integer in [min, max] (no sign, no
 * leading zeros), or def when absent. Returns true with *out set; false after
 * answering 400 invalid_parameter naming the parameter. */
bool api_query_int(http_request_t *req, const char *name, int64_t min, int64_t max, int64_t def,
                   int64_t *out);

#endif
