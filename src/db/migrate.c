/* Applying migrations: `rural24 migrate` (see migrate.h).
 *
 * One run: connect; take the advisory lock (polling pg_try_advisory_lock, so
 * that a waiting instance holds no open snapshot: CREATE INDEX CONCURRENTLY
 * waits for every older snapshot of the database, and a waiter blocked inside
 * pg_advisory_lock() would deadlock with the index build of the instance it
 * waits for); create schema_migrations if needed; refuse to go on if an
 * applied file has changed; apply the pending files in version order, each
 * with its schema_migrations row; rebuild invalid indexes; unlock.
 *
 * Blocking libpq throughout: this is a command-line tool, not the server's
 * loop. */
#include "db/migrate.h"
#include "db/internal.h"
#include "db/sql_split.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* pg_advisory_lock key: "rural24" in ASCII, scoped to the current database. */
#define MIGRATE_LOCK_KEY "32217281466217012"

enum { LOCK_POLL_MS = 200 };

/* Runs one command; 0, or -1 with "what: server message" in err. */
static int exec_command(PGconn *pg, const char *sql, const char *what, char *err, size_t err_size)
{
    PGresult *r = PQexec(pg, sql);
    if (db__pgresult_ok(r)) {
        PQclear(r);
        return 0;
    }
    char line[768];
    db__one_line(r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(pg), line, sizeof(line));
    snprintf(err, err_size, "%s: %s", what, line);
    PQclear(r);
    return -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int take_lock(PGconn *pg, int lock_wait_s, char *err, size_t err_size)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)lock_wait_s * 1000u;
    bool said_waiting = false;
    for (;;) {
        int got = db__exec_bool(pg, "SELECT pg_try_advisory_lock(" MIGRATE_LOCK_KEY ")",
                                "cannot take the migration lock", err, err_size);
        if (got < 0)
            return -1;
        if (got)
            return 0;
        if (!said_waiting) {
            log_info("another migrate holds the migration lock: waiting", NULL);
            log_flush();
            said_waiting = true;
        }
        if (clock_now_ms() >= deadline) {
            snprintf(err, err_size,
                     "another migrate still holds the migration lock after %d s; giving up",
                     lock_wait_s);
            return -1;
        }
        sleep_ms(LOCK_POLL_MS);
    }
}

typedef struct {
    long version;
    char checksum[DB_MIGRATION_CHECKSUM_HEX + 1];
} applied_t;

static int load_applied(PGconn *pg, applied_t **out, size_t *count, char *err, size_t err_size)
{
    PGresult *r = PQexec(pg, "SELECT version, checksum FROM schema_migrations ORDER BY version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char line[512];
        db__one_line(PQresultErrorMessage(r), line, sizeof(line));
        snprintf(err, err_size, "cannot read schema_migrations: %s", line);
        PQclear(r);
        return -1;
    }
    size_t n = (size_t)PQntuples(r);
    applied_t *list = xcalloc(n > 0 ? n : 1, sizeof(*list));
    for (size_t i = 0; i < n; i++) {
        list[i].version = strtol(PQgetvalue(r, (int)i, 0), NULL, 10);
        snprintf(list[i].checksum, sizeof(list[i].checksum), "%s", PQgetvalue(r, (int)i, 1));
    }
    PQclear(r);
    *out = list;
    *count = n;
    return 0;
}

static const applied_t *find_applied(const applied_t *applied, size_t count, long version)
{
    for (size_t i = 0; i < count; i++) {
        if (applied[i].version == version)
            return &applied[i];
    }
    return NULL;
}

static int record(PGconn *pg, const db_migration_t *m, long duration_ms, char *err, size_t err_size)
{
    char version[32], duration[32];
    snprintf(version, sizeof(version), "%ld", m->version);
    snprintf(duration, sizeof(duration), "%ld", duration_ms);
    const char *params[] = {version, m->file_name, m->checksum, duration};
    PGresult *r = PQexecParams(pg,
                               "INSERT INTO schema_migrations (version, name, checksum, "
                               "execution_ms) VALUES ($1, $2, $3, $4)",
                               4, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        char line[512];
        db__one_line(PQresultErrorMessage(r), line, sizeof(line));
        snprintf(err, err_size, "cannot record %s: %s", m->file_name, line);
        rc = -1;
    }
    PQclear(r);
    return rc;
}

static int apply_in_transaction(PGconn *pg, const db_migration_t *m, char *err, size_t err_size)
{
    uint64_t started = clock_now_ms();
    if (exec_command(pg, "BEGIN", m->file_name, err, err_size) != 0)
        return -1;
    if (exec_command(pg, m->sql, m->file_name, err, err_size) != 0 ||
        record(pg, m, (long)(clock_now_ms() - started), err, err_size) != 0 ||
        exec_command(pg, "COMMIT", m->file_name, err, err_size) != 0) {
        PQclear(PQexec(pg, "ROLLBACK"));
        return -1;
    }
    return 0;
}

static int apply_statements(PGconn *pg, const db_migration_t *m, char *err, size_t err_size)
{
    uint64_t started = clock_now_ms();
    db_sql_span_t *spans;
    size_t count;
    if (db_sql_split(m->sql, m->sql_len, &spans, &count) != 0) {
        snprintf(err, err_size, "%s: unterminated quote, dollar quote or comment", m->file_name);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        char *statement = xstrndup(m->sql + spans[i].offset, spans[i].length);
        char what[DB_MIGRATION_NAME_MAX + 32];
        snprintf(what, sizeof(what), "%s, statement %zu", m->file_name, i + 1);
        rc = exec_command(pg, statement, what, err, err_size);
        free(statement);
        if (rc != 0)
            break;
    }
    free(spans);
    if (rc == 0)
        rc = record(pg, m, (long)(clock_now_ms() - started), err, err_size);
    return rc;
}

/* Rebuilds every invalid index in the user schemas: the leftovers of a failed
 * CREATE INDEX CONCURRENTLY (REINDEX CONCURRENTLY rebuilds them in place) and
 * of a failed REINDEX CONCURRENTLY (the _ccnew/_ccold copies, dropped). */
static int rebuild_invalid_indexes(PGconn *pg, size_t *rebuilt, char *err, size_t err_size)
{
    PGresult *r = PQexec(pg, "SELECT n.nspname, c.relname,"
                             "       c.relname ~ '_cc(new|old)[0-9]*$' AS leftover"
                             "  FROM pg_index i"
                             "  JOIN pg_class c ON c.oid = i.indexrelid"
                             "  JOIN pg_namespace n ON n.oid = c.relnamespace"
                             " WHERE NOT i.indisvalid"
                             "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                             "   AND n.nspname !~ '^pg_toast'"
                             " ORDER BY 1, 2");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char line[512];
        db__one_line(PQresultErrorMessage(r), line, sizeof(line));
        snprintf(err, err_size, "cannot look for invalid indexes: %s", line);
        PQclear(r);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *schema = PQgetvalue(r, i, 0);
        const char *name = PQgetvalue(r, i, 1);
        bool leftover = strcmp(PQgetvalue(r, i, 2), "t") == 0;
        char *qschema = PQescapeIdentifier(pg, schema, strlen(schema));
        char *qname = PQescapeIdentifier(pg, name, strlen(name));
        if (qschema == NULL || qname == NULL) {
            snprintf(err, err_size, "cannot quote the index name %s", name);
            rc = -1;
        } else {
            char sql[1024];
            snprintf(sql, sizeof(sql),
                     leftover ? "DROP INDEX CONCURRENTLY IF EXISTS %s.%s"
                              : "REINDEX INDEX CONCURRENTLY %s.%s",
                     qschema, qname);
            log_warn(leftover ? "dropping the leftover of a failed index rebuild"
                              : "rebuilding an invalid index",
                     "index", json_string(name), NULL);
            char what[300];
            snprintf(what, sizeof(what), "rebuilding invalid index %s", name);
            rc = exec_command(pg, sql, what, err, err_size);
            if (rc == 0)
                (*rebuilt)++;
        }
        PQfreemem(qschema);
        PQfreemem(qname);
    }
    PQclear(r);
    return rc;
}

static int migrate_locked(PGconn *pg, const db_migration_t *files, size_t file_count,
                          db_migrate_report_t *report, char *err, size_t err_size)
{
    if (exec_command(pg,
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version bigint PRIMARY KEY,"
                     " name text NOT NULL,"
                     " checksum text NOT NULL,"
                     " applied_at timestamptz NOT NULL DEFAULT now(),"
                     " execution_ms integer NOT NULL DEFAULT 0)",
                     "creating schema_migrations", err, err_size) != 0)
        return -1;

    applied_t *applied;
    size_t applied_count;
    if (load_applied(pg, &applied, &applied_count, err, err_size) != 0)
        return -1;
    report->applied_before = applied_count;

    /* Every check before any change: a changed file stops the run. */
    int rc = 0;
    for (size_t i = 0; i < file_count && rc == 0; i++) {
        const applied_t *a = find_applied(applied, applied_count, files[i].version);
        if (a != NULL && strcmp(a->checksum, files[i].checksum) != 0) {
            snprintf(err, err_size,
                     "migration %s was changed after it was applied (recorded checksum %.12s, "
                     "file now %.12s): restore the applied version and put the change in a "
                     "new migration",
                     files[i].file_name, a->checksum, files[i].checksum);
            rc = -1;
        }
    }
    for (size_t i = 0; i < applied_count && rc == 0; i++) {
        bool found = false;
        for (size_t j = 0; j < file_count && !found; j++)
            found = files[j].version == applied[i].version;
        if (!found)
            log_warn("an applied migration has no file here (a newer release applied it?)",
                     "version", json_integer(applied[i].version), NULL);
    }

    long max_applied = applied_count > 0 ? applied[applied_count - 1].version : -1;
    for (size_t i = 0; i < file_count && rc == 0; i++) {
        const db_migration_t *m = &files[i];
        if (find_applied(applied, applied_count, m->version) != NULL)
            continue;
        if (m->version < max_applied)
            log_warn("applying a migration older than the newest applied one", "migration",
                     json_string(m->file_name), NULL);
        uint64_t started = clock_now_ms();
        rc = m->no_transaction ? apply_statements(pg, m, err, err_size)
                               : apply_in_transaction(pg, m, err, err_size);
        if (rc == 0) {
            report->applied_now++;
            log_info("migration applied", "migration", json_string(m->file_name), "transaction",
                     json_boolean(!m->no_transaction), "duration_ms",
                     json_integer((json_int_t)(clock_now_ms() - started)), NULL);
            log_flush(); /* a long migration: show progress as it goes */
        }
    }
    free(applied);
    if (rc == 0)
        rc = rebuild_invalid_indexes(pg, &report->indexes_rebuilt, err, err_size);
    return rc;
}

int db_migrate(const char *url, const char *dir, int lock_wait_s, db_migrate_report_t *report,
               char *err, size_t err_size)
{
    memset(report, 0, sizeof(*report));
    db_migration_t *files;
    size_t file_count;
    if (db_migrations_load(dir, &files, &file_count, err, err_size) != 0)
        return -1;

    PGconn *pg = db__connect_blocking(url, err, err_size);
    if (pg == NULL) {
        db_migrations_free(files, file_count);
        return -1;
    }

    int rc = exec_command(pg,
                          "SET statement_timeout = 0; SET lock_timeout = 0;"
                          " SET client_min_messages = warning",
                          "session setup", err, err_size);
    if (rc == 0)
        rc = take_lock(pg, lock_wait_s, err, err_size);
    if (rc == 0) {
        rc = migrate_locked(pg, files, file_count, report, err, err_size);
        /* Released with the session anyway; explicit for a clean log. */
        PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    }
    if (rc == 0)
        log_info("migrations up to date", "directory", json_string(dir), "applied_now",
                 json_integer((json_int_t)report->applied_now), "total",
                 json_integer((json_int_t)(report->applied_before + report->applied_now)),
                 "indexes_rebuilt", json_integer((json_int_t)report->indexes_rebuilt), NULL);
    PQfinish(pg);
    db_migrations_free(files, file_count);
    return rc;
}
