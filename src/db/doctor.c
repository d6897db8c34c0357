/* The database health report; see doctor.h. Each check writes its own
 * section; problems are counted, warnings are only printed. */
#include "db/doctor.h"
#include "db/internal.h"
#include "db/migrate.h"
#include "db/queries.h"
#include "db/sql_split.h"
#include "core/xmalloc.h"

#include <jansson.h>
#include <stdarg.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

const char *const db_production_indexes[] = {
    "idx_ads_search_category_date", "idx_messages_user_conversations", "idx_ads_featured", NULL};

typedef struct {
    PGconn *pg;
    FILE *out;
    const db_doctor_opts_t *opts;
    db_doctor_figures_t *figures; /* may be NULL */
    int problems;
} doctor_t;

static void notice_processor(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs of EXPLAIN/PREPARE are noise here */
}

static void problem(doctor_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(doctor_t *d, const char *fmt, ...)
{
    d->problems++;
    if (d->opts->json)
        return;
    fputs("  PROBLEM  ", d->out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->out, fmt, ap);
    va_end(ap);
    fputc('\n', d->out);
}

/* A query's result, or NULL after printing why (not a problem of the
 * database's health: a missing privilege, say). */
static PGresult *query(doctor_t *d, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = PQexecParams(d->pg, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
        return r;
    if (!d->opts->json) {
        char line[512];
        db__one_line(PQresultErrorMessage(r), line, sizeof(line));
        fprintf(d->out, "  (could not check: %s)\n", line);
    }
    PQclear(r);
    return NULL;
}

static void section(doctor_t *d, const char *title)
{
    if (!d->opts->json)
        fprintf(d->out, "\n%s\n", title);
}

/* --- migrations --- */

static void check_migrations(doctor_t *d, const db_migration_t *files, size_t count)
{
    section(d, "Migrations");
    PGresult *r = query(d,
                        "SELECT version, checksum FROM schema_migrations"
                        " WHERE to_regclass('schema_migrations') IS NOT NULL ORDER BY version",
                        0, NULL);
    if (r == NULL) {
        problem(d, "schema_migrations is missing: run `rural24 migrate`");
        return;
    }
    size_t applied = 0;
    for (size_t i = 0; i < count; i++) {
        const char *recorded = NULL;
        for (int row = 0; row < PQntuples(r); row++) {
            if (strtol(PQgetvalue(r, row, 0), NULL, 10) == files[i].version)
                recorded = PQgetvalue(r, row, 1);
        }
        if (recorded == NULL)
            problem(d, "%s is not applied: run `rural24 migrate`", files[i].file_name);
        else if (strcmp(recorded, files[i].checksum) != 0)
            problem(d, "%s changed after it was applied", files[i].file_name);
        else
            applied++;
    }
    if (!d->opts->json)
        fprintf(d->out, "  %zu of %zu migrations applied\n", applied, count);
    PQclear(r);
}

/* --- extensions --- */

static void check_extensions(doctor_t *d)
{
    section(d, "Extensions");
    static const char *const required[] = {"unaccent", "pg_trgm"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        const char *params[] = {required[i]};
        PGresult *r = query(d, "SELECT extversion FROM pg_extension WHERE extname = $1", 1, params);
        if (r == NULL)
            continue;
        if (PQntuples(r) == 0)
            problem(d, "extension %s is missing (run `rural24 migrate`)", required[i]);
        else if (!d->opts->json)
            fprintf(d->out, "  ok       %s %s\n", required[i], PQgetvalue(r, 0, 0));
        PQclear(r);
    }
}

/* --- indexes --- */

static void add_name(char ***names, size_t *count, size_t *capacity, const char *name)
{
    for (size_t i = 0; i < *count; i++) {
        if (strcmp((*names)[i], name) == 0)
            return;
    }
    if (*count == *capacity) {
        *capacity = *capacity == 0 ? 32 : *capacity * 2;
        *names = xrealloc(*names, *capacity * sizeof(**names));
    }
    (*names)[(*count)++] = xstrdup(name);
}

static void check_indexes(doctor_t *d, const db_migration_t *files, size_t file_count)
{
    section(d, "Indexes");
    char **names = NULL;
    size_t count = 0, capacity = 0;
    for (size_t i = 0; db_production_indexes[i] != NULL; i++)
        add_name(&names, &count, &capacity, db_production_indexes[i]);
    for (size_t f = 0; f < file_count; f++) {
        db_sql_span_t *spans;
        size_t n;
        if (db_sql_split(files[f].sql, files[f].sql_len, &spans, &n) != 0)
            continue;
        for (size_t s = 0; s < n; s++) {
            char name[128];
            if (db_sql_created_index(files[f].sql + spans[s].offset, spans[s].length, name,
                                     sizeof(name)))
                add_name(&names, &count, &capacity, name);
        }
        free(spans);
    }
    size_t ok = 0;
    for (size_t i = 0; i < count; i++) {
        const char *params[] = {names[i]};
        PGresult *r = query(d,
                            "SELECT i.indisvalid AND i.indisready, pg_size_pretty("
                            "pg_relation_size(c.oid)) FROM pg_class c"
                            " JOIN pg_index i ON i.indexrelid = c.oid"
                            " WHERE c.relname = $1 AND pg_table_is_visible(c.oid)",
                            1, params);
        if (r == NULL)
            continue;
        if (PQntuples(r) == 0)
            problem(d, "index %s is missing", names[i]);
        else if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
            problem(d,
                    "index %s is INVALID (a failed concurrent build): run `rural24 migrate` to "
                    "rebuild it",
                    names[i]);
        else
            ok++;
        PQclear(r);
    }
    if (!d->opts->json)
        fprintf(d->out, "  %zu of %zu required indexes present and valid\n", ok, count);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* --- statements, connections, long queries --- */

static void one_line_print(FILE *out, const char *prefix, const char *text, size_t max)
{
    char line[1024];
    db__one_line(text, line, sizeof(line));
    if (max >= 3 && strlen(line) > max)
        memcpy(line + max - 3, "...", 4); /* max < sizeof(line) */
    fprintf(out, "%s%s\n", prefix, line);
}

static void check_statements(doctor_t *d)
{
    section(d, "Slowest statements (pg_stat_statements, by mean time)");
    PGresult *r = PQexec(d->pg, "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
    bool installed = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    if (!installed) {
        if (!d->opts->json)
            fprintf(d->out, "  pg_stat_statements is not installed in this database. To enable "
                            "it: shared_preload_libraries = 'pg_stat_statements' in "
                            "postgresql.conf, restart PostgreSQL, then `CREATE EXTENSION "
                            "pg_stat_statements` as a superuser (or run `rural24 migrate`).\n");
        return;
    }
    r = PQexec(d->pg,
               "SELECT round(mean_exec_time::numeric, 2), calls,"
               " round(total_exec_time::numeric), query"
               " FROM pg_stat_statements"
               " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
               "   AND calls >= 3 AND query !~* '^\\s*(EXPLAIN|PREPARE|SET|BEGIN|COMMIT)'"
               " ORDER BY mean_exec_time DESC LIMIT 10");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        if (!d->opts->json) {
            char line[512];
            db__one_line(PQresultErrorMessage(r), line, sizeof(line));
            fprintf(d->out, "  pg_stat_statements is installed but not usable: %s\n", line);
        }
        PQclear(r);
        return;
    }
    if (!d->opts->json) {
        if (PQntuples(r) == 0)
            fprintf(d->out, "  no statement has run three times yet\n");
        for (int i = 0; i < PQntuples(r); i++) {
            char prefix[128];
            snprintf(prefix, sizeof(prefix), "  %9s ms mean  %8s calls  ", PQgetvalue(r, i, 0),
                     PQgetvalue(r, i, 1));
            one_line_print(d->out, prefix, PQgetvalue(r, i, 3), 160);
        }
    }
    PQclear(r);
}

static void check_connections(doctor_t *d)
{
    section(d, "Connections");
    PGresult *r =
        query(d,
              "SELECT (SELECT count(*) FROM pg_stat_activity"
              "        WHERE backend_type = 'client backend'),"
              " current_setting('max_connections')::int,"
              " current_setting('superuser_reserved_connections')::int,"
              " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
              "    AND datname = current_database())",
              0, NULL);
    if (r == NULL)
        return;
    long used = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    long max = strtol(PQgetvalue(r, 0, 1), NULL, 10);
    long reserved = strtol(PQgetvalue(r, 0, 2), NULL, 10);
    long here = strtol(PQgetvalue(r, 0, 3), NULL, 10);
    long usable = max - reserved > 0 ? max - reserved : max;
    if (d->figures != NULL) {
        d->figures->connections_in_use = (int)used;
        d->figures->max_connections = (int)max;
    }
    if (!d->opts->json) {
        fprintf(d->out, "  %ld of %ld connections in use (%ld to this database)%s\n", used, usable,
                here,
                used * 100 >= usable * 80 ? "  WARNING: above 80%; see DB_POOL_SIZE x instances"
                                          : "");
    }
    PQclear(r);
}

static void check_long_queries(doctor_t *d)
{
    section(d, "Queries running longer than 5 s");
    PGresult *r = query(d,
                        "SELECT pid, round(extract(epoch FROM now() - query_start)::numeric, 1),"
                        " state, coalesce(wait_event_type || ':' || wait_event, ''), query"
                        " FROM pg_stat_activity"
                        " WHERE state <> 'idle' AND pid <> pg_backend_pid()"
                        "   AND backend_type = 'client backend'"
                        "   AND now() - query_start > interval '5 seconds'"
                        " ORDER BY query_start",
                        0, NULL);
    if (r == NULL)
        return;
    if (!d->opts->json) {
        if (PQntuples(r) == 0)
            fprintf(d->out, "  none\n");
        for (int i = 0; i < PQntuples(r); i++) {
            char prefix[160];
            snprintf(prefix, sizeof(prefix), "  WARNING pid %s, %s s, %s %s: ", PQgetvalue(r, i, 0),
                     PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
            one_line_print(d->out, prefix, PQgetvalue(r, i, 4), 200);
        }
    }
    PQclear(r);
}

/* --- plans --- */

static bool has_string(const json_t *array, const char *value)
{
    for (size_t i = 0; i < json_array_size(array); i++) {
        if (strcmp(json_string_value(json_array_get(array, i)), value) == 0)
            return true;
    }
    return false;
}

/* Collects index names and sequential scans of ads/messages from a plan
 * node and its children. */
static void walk_plan(const json_t *node, json_t *indexes, json_t *seq_scans)
{
    const char *type = json_string_value(json_object_get(node, "Node Type"));
    const char *index = json_string_value(json_object_get(node, "Index Name"));
    const char *relation = json_string_value(json_object_get(node, "Relation Name"));
    if (index != NULL && !has_string(indexes, index))
        json_array_append_new(indexes, json_string(index));
    if (type != NULL && strcmp(type, "Seq Scan") == 0 && relation != NULL &&
        (strcmp(relation, "ads") == 0 || strcmp(relation, "messages") == 0))
        json_array_append_new(seq_scans, json_string(relation));
    const json_t *children = json_object_get(node, "Plans");
    for (size_t i = 0; i < json_array_size(children); i++)
        walk_plan(json_array_get(children, i), indexes, seq_scans);
}

static void explain_one(doctor_t *d, const db_hot_query_t *h)
{
    const db_stmt_t *stmt = h->stmt;
    PGresult *sample = PQexec(d->pg, h->sample_sql);
    if (PQresultStatus(sample) != PGRES_TUPLES_OK || PQntuples(sample) != 1 ||
        PQnfields(sample) != stmt->param_count) {
        problem(d, "%s: cannot pick sample parameters", h->label);
        PQclear(sample);
        return;
    }
    const char *params[DB_MAX_PARAMS];
    for (int i = 0; i < stmt->param_count; i++)
        params[i] = PQgetisnull(sample, 0, i) ? NULL : PQgetvalue(sample, 0, i);

    PGresult *r;
    if (stmt->custom_plan) {
        size_t n = strlen(stmt->sql) + 32;
        char *sql = xmalloc(n);
        snprintf(sql, n, "EXPLAIN (FORMAT JSON) %s", stmt->sql);
        r = PQexecParams(d->pg, sql, stmt->param_count, NULL, params, NULL, NULL, 0);
        free(sql);
    } else {
        /* What a pool connection runs after five executions: the generic
         * plan of the prepared statement. */
        PQclear(PQexec(d->pg, "DEALLOCATE ALL"));
        r = PQprepare(d->pg, "doctor_explain", stmt->sql, stmt->param_count, NULL);
        PQclear(r);
        PQclear(PQexec(d->pg, "SET plan_cache_mode = force_generic_plan"));
        /* EXECUTE takes expressions, not bind parameters: the sample values
         * go in as literals, quoted by libpq. */
        size_t cap = 64, len = 0;
        char *sql = xmalloc(cap);
        len = (size_t)snprintf(sql, cap, "EXPLAIN (FORMAT JSON) EXECUTE doctor_explain(");
        for (int i = 0; i < stmt->param_count; i++) {
            char *literal =
                params[i] != NULL ? PQescapeLiteral(d->pg, params[i], strlen(params[i])) : NULL;
            const char *text = literal != NULL ? literal : "NULL";
            size_t need = len + strlen(text) + 4;
            if (need > cap) {
                cap = need * 2;
                sql = xrealloc(sql, cap);
            }
            len += (size_t)snprintf(sql + len, cap - len, "%s%s", i > 0 ? ", " : "", text);
            PQfreemem(literal);
        }
        snprintf(sql + len, cap - len, ")");
        r = PQexec(d->pg, sql);
        free(sql);
        PQclear(PQexec(d->pg, "RESET plan_cache_mode"));
    }
    PQclear(sample);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        char line[512];
        db__one_line(PQresultErrorMessage(r), line, sizeof(line));
        problem(d, "%s: EXPLAIN failed: %s", h->label, line);
        PQclear(r);
        return;
    }
    json_t *plan = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    json_t *root = json_object_get(json_array_get(plan, 0), "Plan");
    json_t *indexes = json_array();
    json_t *seq_scans = json_array();
    walk_plan(root, indexes, seq_scans);

    bool uses_expected = false;
    for (size_t k = 0; h->indexes[k] != NULL && !uses_expected; k++)
        uses_expected = has_string(indexes, h->indexes[k]);
    bool ok = root != NULL && uses_expected && json_array_size(seq_scans) == 0;
    if (!ok)
        d->problems++;

    if (d->opts->json) {
        json_t *line = json_pack("{s:s, s:s, s:b, s:O, s:O, s:O}", "query", h->label, "statement",
                                 stmt->name, "ok", ok, "indexes", indexes, "seq_scans", seq_scans,
                                 "plan", plan ? plan : json_null());
        char *text = json_dumps(line, JSON_COMPACT);
        if (text != NULL) {
            fprintf(d->out, "%s\n", text);
            free(text);
        }
        json_decref(line);
    } else {
        char *used = json_dumps(indexes, JSON_COMPACT);
        fprintf(d->out, "  %-8s %s (%s): indexes %s%s\n", ok ? "ok" : "PROBLEM", h->label,
                stmt->name, used != NULL ? used : "[]",
                json_array_size(seq_scans) > 0 ? ", SEQUENTIAL SCAN" : "");
        free(used);
    }
    json_decref(indexes);
    json_decref(seq_scans);
    json_decref(plan);
}

static void check_plans(doctor_t *d)
{
    section(d, "Plans of the hot queries");
    for (size_t i = 0; i < db_hot_query_count; i++)
        explain_one(d, &db_hot_queries[i]);
}

int db_doctor(const char *url, const db_doctor_opts_t *opts, FILE *out, char *err, size_t err_size,
              db_doctor_figures_t *figures)
{
    PGconn *pg = db__connect_blocking(url, err, err_size);
    if (pg == NULL)
        return -1;
    PQsetNoticeProcessor(pg, notice_processor, NULL);
    PQclear(PQexec(pg, "SET statement_timeout = '60s'"));
    doctor_t d = {.pg = pg, .out = out, .opts = opts, .figures = figures};

    db_migration_t *files = NULL;
    size_t file_count = 0;
    if (opts->migrations_dir != NULL) {
        char load_err[512];
        if (db_migrations_load(opts->migrations_dir, &files, &file_count, load_err,
                               sizeof(load_err)) != 0) {
            problem(&d, "%s", load_err);
            files = NULL;
            file_count = 0;
        }
    }
    if (!opts->json) {
        PGresult *r = PQexec(pg, "SELECT current_database(), split_part(version(), ',', 1)");
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            fprintf(out, "Database %s on %s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
        PQclear(r);
    }
    if (opts->migrations_dir != NULL)
        check_migrations(&d, files, file_count);
    check_extensions(&d);
    check_indexes(&d, files, file_count);
    check_statements(&d);
    check_connections(&d);
    check_long_queries(&d);
    if (opts->explain)
        check_plans(&d);
    if (!opts->json)
        fprintf(out, "\n%s\n",
                d.problems == 0 ? "No problems found." : "Problems found: see PROBLEM above.");
    db_migrations_free(files, file_count);
    PQfinish(pg);
    return d.problems == 0 ? 0 : 1;
}
