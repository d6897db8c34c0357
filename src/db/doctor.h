/* `rural24 doctor`: a health report of the database for operators
 * (docs/DATABASE.md, "Doctor").
 *
 * Checks, in order:
 *   - migrations: every file applied, none changed since (when the
 *     migrations directory is known);
 *   - extensions unaccent and pg_trgm installed;
 *   - every index the migrations create (and DESIGN.md's three production
 *     indexes) present and valid;
 *   - the slowest statements from pg_stat_statements, or a hint on enabling it;
 *   - connections in use against max_connections;
 *   - queries running for more than DB_DOCTOR_LONG_QUERY_S seconds;
 *   - with explain: the plan of each hot query (queries.h) on the current data:
 *     it must use one of its indexes and scan neither ads nor messages
 *     sequentially. Prepared (named) statements are explained with their
 *     generic plan, the one PostgreSQL settles on after five executions.
 *
 * Missing migrations, extensions or indexes, an invalid index and a failed
 * plan are problems (exit status 1); the rest are information and warnings.
 * Blocking libpq: for the command line only. */
#ifndef RURAL24_DB_DOCTOR_H
#define RURAL24_DB_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { DB_DOCTOR_LONG_QUERY_S = 5, DB_DOCTOR_TOP_STATEMENTS = 10 };

/* DESIGN.md's production indexes, required whatever the migrations say. */
extern const char *const db_production_indexes[];

typedef struct {
    const char *migrations_dir; /* NULL: skip the migration and index-list checks
                                   that need the files (the production indexes
                                   are still checked) */
    bool explain;               /* also check the hot queries' plans */
    bool json;                  /* explain: one JSON object per query per line
                                   (label, statement, ok, indexes, seq_scans,
                                   plan) instead of the text report */
} db_doctor_opts_t;

/* Figures the report read, for the capacity verdict (cmd/doctor.c). */
typedef struct {
    int connections_in_use; /* client backends on the server */
    int max_connections;
} db_doctor_figures_t;

/* Writes the report to out. Returns 0 when nothing required is missing, 1
 * when a problem was found, -1 (with err set) when the doctor could not run
 * (no connection). */
int db_doctor(const char *url, const db_doctor_opts_t *opts, FILE *out, char *err, size_t err_size,
              db_doctor_figures_t *figures);

#endif
