/* Splitting a SQL script into statements, the way psql does, for migrations
 * that must run statement by statement outside a transaction (CREATE INDEX
 * CONCURRENTLY cannot run in a multi-statement query string: PostgreSQL wraps
 * those in an implicit transaction).
 *
 * A statement ends at a semicolon outside quotes and comments: '...' strings
 * (with '' and, in E'...' strings, backslash escapes), "..." identifiers,
 * $tag$...$tag$ dollar quotes, -- line comments and nested block (slash-star)
 * comments. Pure; unit-tested in tests/unit/db/sql_split.c. */
#ifndef RURAL24_DB_SQL_SPLIT_H
#define RURAL24_DB_SQL_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t offset; /* of the statement's first non-blank character */
    size_t length; /* up to, not including, the semicolon; trailing blanks trimmed */
} db_sql_span_t;

enum { DB_SQL_E_UNTERMINATED = -1 };

/* Splits sql[0..len) into statements, skipping those that hold nothing but
 * blanks and comments. *out (the caller frees it with free()) receives the
 * spans, *count their number. 0, or DB_SQL_E_UNTERMINATED when a quote, a
 * dollar quote or a block comment is not closed (*out is then NULL). */
int db_sql_split(const char *sql, size_t len, db_sql_span_t **out, size_t *count);

/* True when the statement sql[0..len) cannot run inside a transaction block:
 * CREATE [UNIQUE] INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX ...
 * CONCURRENTLY, VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM. Leading comments
 * are skipped; keywords are case-insensitive. */
bool db_sql_needs_no_transaction(const char *sql, size_t len);

/* When sql[0..len) is a CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS]
 * name ... statement, copies the index name into out (lower-cased, as
 * PostgreSQL folds unquoted names) and returns true. */
bool db_sql_created_index(const char *sql, size_t len, char *out, size_t out_size);

#endif
