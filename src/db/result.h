/* A statement's outcome, as a db_result_cb sees it: rows, or an error kind.
 *
 * The result belongs to the pool: it and every pointer read from it (values,
 * messages, constraint names) are valid only until the callback returns. Copy
 * what must outlive it (db_result_dup() does so in one allocation the caller
 * can hand to http_respond_owned()).
 *
 * Values come in PostgreSQL's text format unless the statement asked for binary
 * results (db_stmt_t.binary_result). A JSON document built by PostgreSQL
 * (json_build_object, json_agg) is column 0 of row 0 and can be answered as is:
 *
 *     size_t len;
 *     const char *body = db_result_value(res, 0, 0, &len);
 *     http_respond(req, 200, "application/json; charset=utf-8", body, len);
 */
#ifndef RURAL24_DB_RESULT_H
#define RURAL24_DB_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

/* The error kinds of the db layer (libuv's UV_ERRNO_MAP pattern: one table for
 * the code, its name and its text). 0 is success. What an API handler answers
 * for each is db_error_api(): UNAVAILABLE, TIMEOUT and BUSY are 503
 * unavailable, CONSTRAINT is the handler's to map (409 email_taken/conflict,
 * 404 for a missing referenced row...), QUERY and INVALID are 500 internal. */
#define DB_ERROR_MAP(X)                                                                            \
    X(UNAVAILABLE, -1, "unavailable",                                                              \
      "the database is unavailable (down, restarting, or no connection was free in time)")         \
    X(TIMEOUT, -2, "timeout", "the statement ran longer than DB_STATEMENT_TIMEOUT_MS")             \
    X(CONSTRAINT, -3, "constraint", "an integrity constraint was violated")                        \
    X(QUERY, -4, "query", "the statement failed")                                                  \
    X(BUSY, -5, "busy", "too many queries are already waiting for a connection")                   \
    X(INVALID, -6, "invalid", "invalid arguments to db_query")

typedef enum {
    DB_OK = 0,
#define X(name, code, text, message) DB_E_##name = code,
    DB_ERROR_MAP(X)
#undef X
} db_error_t;

/* "unavailable", "timeout", ... ("ok" for 0, "unknown" for anything else). */
const char *db_error_name(int err);

/* A sentence describing err. */
const char *db_error_message(int err);

/* The API error a handler answers for a db error other than CONSTRAINT
 * (API_ERR_UNAVAILABLE or API_ERR_INTERNAL; API_ERR_CONFLICT for CONSTRAINT). */
api_error_t db_error_api(int err);

typedef struct db_result_s db_result_t;

/* 0 on success, else a negative db_error_t. */
int db_result_error(const db_result_t *res);

/* The server's message (or the pool's, for UNAVAILABLE/TIMEOUT), "" on
 * success. It may quote a parameter value: log it only where values may be
 * logged, never in the slow-query log. */
const char *db_result_message(const db_result_t *res);

/* The five-character SQLSTATE of a server error ("23505"), else "". */
const char *db_result_sqlstate(const db_result_t *res);

/* For DB_E_CONSTRAINT: the violated constraint's name ("users_email_key"),
 * else "". */
const char *db_result_constraint(const db_result_t *res);

/* The statement's name ("" for anonymous SQL). */
const char *db_result_statement(const db_result_t *res);

/* Rows and columns of a successful result; 0 for an error. */
int db_result_rows(const db_result_t *res);
int db_result_cols(const db_result_t *res);

/* Rows changed by an INSERT/UPDATE/DELETE (its command tag), else 0. */
int64_t db_result_affected(const db_result_t *res);

/* True when (row, col) is SQL NULL or out of range. */
bool db_result_is_null(const db_result_t *res, int row, int col);

/* The bytes of (row, col), NUL-terminated, owned by the result; NULL for SQL
 * NULL or out of range. len (may be NULL) receives the length. */
const char *db_result_value(const db_result_t *res, int row, int col, size_t *len);

/* A malloc'd copy of (row, col), NUL-terminated; the caller frees it (or hands
 * it to http_respond_owned()). NULL for SQL NULL or out of range. */
char *db_result_dup(const db_result_t *res, int row, int col, size_t *len);

/* Parses a text-format integer column. 0, or -1 for NULL, out of range or not
 * an integer. */
int db_result_int64(const db_result_t *res, int row, int col, int64_t *out);

/* A text-format boolean column ("t"/"f"). 0 or -1 like db_result_int64(). */
int db_result_bool(const db_result_t *res, int row, int col, bool *out);

/* Takes a successful result out of its callback, so that its bytes can be
 * answered without a copy: the returned handle owns the rows, and every
 * value read from it stays valid until db_result_release(handle) (which has
 * the shape of http_body_release_fn, to pass to http_respond_ref()). res
 * itself then reads as failed (DB_E_INVALID) with no rows. NULL, and res
 * untouched, when res failed. Call it from the callback only. */
db_result_t *db_result_keep(db_result_t *res);

/* Frees a result db_result_keep() returned (NULL is ignored). */
void db_result_release(void *kept);

/* The name of column col ("" when out of range); owned by the result. */
const char *db_result_column_name(const db_result_t *res, int col);

/* The column number of a column name, or -1. */
int db_result_column(const db_result_t *res, const char *name);

#endif
