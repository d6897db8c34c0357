/* db_result_t: reading a statement's rows, and classifying its errors into
 * the few kinds a handler acts on (result.h).
 *
 * Classification, by SQLSTATE class:
 *   - no SQLSTATE (a client-side failure), 08 connection exception, 53
 *     insufficient resources, 57P01-57P03 (shutdown, crash, starting up),
 *     25006 read-only transaction (a write that reached a standby, as after a
 *     failover), or a connection that broke: UNAVAILABLE;
 *   - 57014 query_canceled (statement_timeout): TIMEOUT;
 *   - class 23 (unique, foreign key, check, not null, exclusion): CONSTRAINT,
 *     with the constraint's name;
 *   - anything else: QUERY (a bug: the handler answers 500 and logs it). */
#include "db/internal.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *db_error_name(int err)
{
    switch (err) {
    case DB_OK:
        return "ok";
#define X(name, code, text, message)                                                               \
    case DB_E_##name:                                                                              \
        return text;
        DB_ERROR_MAP(X)
#undef X
    default:
        return "unknown";
    }
}

const char *db_error_message(int err)
{
    switch (err) {
    case DB_OK:
        return "success";
#define X(name, code, text, message)                                                               \
    case DB_E_##name:                                                                              \
        return message;
        DB_ERROR_MAP(X)
#undef X
    default:
        return "unknown database error";
    }
}

api_error_t db_error_api(int err)
{
    switch (err) {
    case DB_E_UNAVAILABLE:
    case DB_E_TIMEOUT:
    case DB_E_BUSY:
        return API_ERR_UNAVAILABLE;
    case DB_E_CONSTRAINT:
        return API_ERR_CONFLICT;
    default:
        return API_ERR_INTERNAL;
    }
}

bool db__pgresult_ok(const PGresult *pg)
{
    if (pg == NULL)
        return false;
    ExecStatusType st = PQresultStatus(pg);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

static int classify(const char *sqlstate, bool connection_bad)
{
    if (connection_bad || sqlstate == NULL || strlen(sqlstate) != 5)
        return DB_E_UNAVAILABLE;
    if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "53", 2) == 0 ||
        strcmp(sqlstate, "57P01") == 0 || strcmp(sqlstate, "57P02") == 0 ||
        strcmp(sqlstate, "57P03") == 0 || strcmp(sqlstate, "25006") == 0)
        return DB_E_UNAVAILABLE;
    if (strcmp(sqlstate, "57014") == 0)
        return DB_E_TIMEOUT;
    if (strncmp(sqlstate, "23", 2) == 0)
        return DB_E_CONSTRAINT;
    return DB_E_QUERY;
}

void db__result_init_error(db_result_t *res, const db_stmt_t *stmt, int error, const char *message)
{
    res->pg = NULL;
    res->error = error;
    res->message = message != NULL ? message : db_error_message(error);
    res->sqlstate = "";
    res->constraint = "";
    res->stmt = stmt;
}

void db__result_init(db_result_t *res, const db_stmt_t *stmt, PGresult *pg, bool connection_bad)
{
    if (!connection_bad && db__pgresult_ok(pg)) {
        res->pg = pg;
        res->error = DB_OK;
        res->message = "";
        res->sqlstate = "";
        res->constraint = "";
        res->stmt = stmt;
        return;
    }
    const char *sqlstate = pg != NULL ? PQresultErrorField(pg, PG_DIAG_SQLSTATE) : NULL;
    int error = classify(sqlstate, connection_bad);
    db__result_init_error(res, stmt, error, NULL);
    res->pg = pg;
    if (pg != NULL) {
        const char *primary = PQresultErrorField(pg, PG_DIAG_MESSAGE_PRIMARY);
        if (primary != NULL)
            res->message = primary;
        if (sqlstate != NULL)
            res->sqlstate = sqlstate;
        const char *constraint = PQresultErrorField(pg, PG_DIAG_CONSTRAINT_NAME);
        if (constraint != NULL)
            res->constraint = constraint;
    }
    if (error == DB_E_UNAVAILABLE && res->message[0] == '\0')
        res->message = db_error_message(error);
}

int db_result_error(const db_result_t *res)
{
    return res->error;
}

const char *db_result_message(const db_result_t *res)
{
    return res->message;
}

const char *db_result_sqlstate(const db_result_t *res)
{
    return res->sqlstate;
}

const char *db_result_constraint(const db_result_t *res)
{
    return res->constraint;
}

const char *db_result_statement(const db_result_t *res)
{
    return res->stmt != NULL && res->stmt->name != NULL ? res->stmt->name : "";
}

static bool has_rows(const db_result_t *res)
{
    return res->error == DB_OK && res->pg != NULL;
}

int db_result_rows(const db_result_t *res)
{
    return has_rows(res) ? PQntuples(res->pg) : 0;
}

int db_result_cols(const db_result_t *res)
{
    return has_rows(res) ? PQnfields(res->pg) : 0;
}

int64_t db_result_affected(const db_result_t *res)
{
    if (!has_rows(res))
        return 0;
    const char *text = PQcmdTuples(res->pg);
    char *end = NULL;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || n < 0)
        return 0;
    return (int64_t)n;
}

static bool in_range(const db_result_t *res, int row, int col)
{
    return has_rows(res) && row >= 0 && col >= 0 && row < PQntuples(res->pg) &&
           col < PQnfields(res->pg);
}

bool db_result_is_null(const db_result_t *res, int row, int col)
{
    return !in_range(res, row, col) || PQgetisnull(res->pg, row, col);
}

const char *db_result_value(const db_result_t *res, int row, int col, size_t *len)
{
    if (db_result_is_null(res, row, col)) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (len != NULL)
        *len = (size_t)PQgetlength(res->pg, row, col);
    return PQgetvalue(res->pg, row, col);
}

char *db_result_dup(const db_result_t *res, int row, int col, size_t *len)
{
    size_t n;
    const char *value = db_result_value(res, row, col, &n);
    if (len != NULL)
        *len = n;
    if (value == NULL)
        return NULL;
    char *copy = xmalloc(n + 1);
    memcpy(copy, value, n);
    copy[n] = '\0';
    return copy;
}

int db_result_int64(const db_result_t *res, int row, int col, int64_t *out)
{
    const char *text = db_result_value(res, row, col, NULL);
    if (text == NULL)
        return -1;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        return -1;
    *out = (int64_t)n;
    return 0;
}

int db_result_bool(const db_result_t *res, int row, int col, bool *out)
{
    const char *text = db_result_value(res, row, col, NULL);
    if (text == NULL || (strcmp(text, "t") != 0 && strcmp(text, "f") != 0))
        return -1;
    *out = text[0] == 't';
    return 0;
}

const char *db_result_column_name(const db_result_t *res, int col)
{
    if (!has_rows(res) || col < 0 || col >= PQnfields(res->pg))
        return "";
    const char *name = PQfname(res->pg, col);
    return name != NULL ? name : "";
}

int db_result_column(const db_result_t *res, const char *name)
{
    return has_rows(res) ? PQfnumber(res->pg, name) : -1;
}

db_result_t *db_result_keep(db_result_t *res)
{
    if (!has_rows(res))
        return NULL;
    db_result_t *kept = xmalloc(sizeof(*kept));
    *kept = *res;
    /* The pool clears what res still points to when the callback returns:
     * nothing now. */
    res->pg = NULL;
    res->error = DB_E_INVALID;
    res->message = db_error_message(DB_E_INVALID);
    return kept;
}

void db_result_release(void *kept)
{
    db_result_t *res = kept;
    if (res == NULL)
        return;
    PQclear(res->pg);
    free(res);
}
