/* Splitting migration scripts into statements, and telling which ones must
 * run outside a transaction. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../core/leak_check.h"
#include "db/sql_split.h"

TestSuite(db_sql_split, .fini = unit_check_no_leaks);

/* Splits and checks the statements' texts. */
static void expect(const char *sql, size_t n, const char *const *want)
{
    db_sql_span_t *spans;
    size_t count;
    cr_assert_eq(db_sql_split(sql, strlen(sql), &spans, &count), 0, "split %s", sql);
    cr_assert_eq(count, n, "statement count of %s: %zu", sql, count);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(spans[i].length, strlen(want[i]), "statement %zu length", i);
        cr_assert(memcmp(sql + spans[i].offset, want[i], spans[i].length) == 0,
                  "statement %zu: %.*s", i, (int)spans[i].length, sql + spans[i].offset);
    }
    free(spans);
}

Test(db_sql_split, plain_statements_and_blanks)
{
    expect("SELECT 1; SELECT 2;\n\n  SELECT 3  ", 3,
           (const char *const[]){"SELECT 1", "SELECT 2", "SELECT 3"});
    expect("", 0, NULL);
    expect(" ;;\n; ", 0, NULL);
}

Test(db_sql_split, comments_are_not_statements_and_hide_semicolons)
{
    expect("-- a; b\nSELECT 1; /* x; /* nested; */ y; */ SELECT 2; -- trailing;", 2,
           (const char *const[]){"SELECT 1", "SELECT 2"});
    expect("-- only a comment; really\n/* and; another */", 0, NULL);
}

Test(db_sql_split, quotes_hide_semicolons)
{
    expect("SELECT 'a;b', 'it''s;'; SELECT \"we;ird\"", 2,
           (const char *const[]){"SELECT 'a;b', 'it''s;'", "SELECT \"we;ird\""});
    expect("SELECT E'a\\';b'; SELECT 2", 2, (const char *const[]){"SELECT E'a\\';b'", "SELECT 2"});
}

Test(db_sql_split, dollar_quotes_hide_semicolons)
{
    const char *sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
                      "DO $body$ BEGIN PERFORM 1; RAISE NOTICE '$$;'; END $body$;\n"
                      "SELECT $1::int";
    expect(sql, 3,
           (const char *const[]){"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$",
                                 "DO $body$ BEGIN PERFORM 1; RAISE NOTICE '$$;'; END $body$",
                                 "SELECT $1::int"});
}

Test(db_sql_split, unterminated_is_an_error)
{
    const char *bad[] = {"SELECT 'x", "SELECT \"x", "/* open", "SELECT $$ x", "SELECT $t$ x $$"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        db_sql_span_t *spans = (db_sql_span_t *)1;
        size_t count = 99;
        cr_assert_eq(db_sql_split(bad[i], strlen(bad[i]), &spans, &count), DB_SQL_E_UNTERMINATED,
                     "%s", bad[i]);
        cr_assert_null(spans);
        cr_assert_eq(count, 0);
    }
}

static bool no_tx(const char *sql)
{
    return db_sql_needs_no_transaction(sql, strlen(sql));
}

Test(db_sql_split, statements_that_cannot_run_in_a_transaction)
{
    cr_assert(no_tx("CREATE INDEX CONCURRENTLY i ON t (a)"));
    cr_assert(no_tx("  -- why\n create unique index concurrently if not exists i on t (a)"));
    cr_assert(no_tx("/* x */ DROP INDEX CONCURRENTLY IF EXISTS i"));
    cr_assert(no_tx("REINDEX INDEX CONCURRENTLY i"));
    cr_assert(no_tx("REINDEX (VERBOSE) TABLE CONCURRENTLY t"));
    cr_assert(no_tx("VACUUM ANALYZE t"));
    cr_assert(no_tx("CREATE DATABASE x"));
    cr_assert(no_tx("ALTER SYSTEM SET work_mem = '8MB'"));

    cr_assert_not(no_tx("CREATE INDEX i ON t (a)"));
    cr_assert_not(no_tx("CREATE INDEX concurrently_named ON t (a)"));
    cr_assert_not(no_tx("REINDEX INDEX i"));
    cr_assert_not(no_tx("DROP INDEX i"));
    cr_assert_not(no_tx("-- CREATE INDEX CONCURRENTLY in a comment\nSELECT 1"));
    cr_assert_not(no_tx("SELECT 'CREATE INDEX CONCURRENTLY'"));
    cr_assert_not(no_tx(""));
}

static const char *created(const char *sql)
{
    static char name[64];
    return db_sql_created_index(sql, strlen(sql), name, sizeof(name)) ? name : NULL;
}

Test(db_sql_split, names_of_created_indexes)
{
    cr_assert_str_eq(created("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON t (x)"), "idx_a");
    cr_assert_str_eq(created("create unique index Idx_B on t (x)"), "idx_b");
    cr_assert_str_eq(created("-- c\nCREATE INDEX idx_c ON t USING gin (v)"), "idx_c");
    cr_assert_null(created("CREATE INDEX ON t (x)"));
    cr_assert_null(created("CREATE TABLE t (x int)"));
    cr_assert_null(created("DROP INDEX idx_a"));
}
