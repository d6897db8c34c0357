/* Schema migrations: numbered SQL files applied in order and recorded in
 * schema_migrations with a checksum (docs/DATABASE.md, "Migrations").
 *
 *   migrations/NNN_name.sql   NNN: the version, any number of digits; name:
 *                             [A-Za-z0-9_]. Applied in version order.
 *
 * A file runs in one transaction, together with its schema_migrations row,
 * unless its first line is "-- rural24:no-transaction" or it holds a statement
 * that cannot run in a transaction (CREATE INDEX CONCURRENTLY, ...): then its
 * statements run one by one and must be idempotent (IF NOT EXISTS), since a
 * failure leaves the earlier ones applied and the file is run again next time.
 *
 * These functions use blocking libpq: they are for the `migrate` and `doctor`
 * commands, never for the server's loop. */
#ifndef RURAL24_DB_MIGRATE_H
#define RURAL24_DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

enum {
    DB_MIGRATION_NAME_MAX = 128,
    DB_MIGRATION_CHECKSUM_HEX = 64, /* SHA-256 */
};

/* The first-line marker of a file that must run outside a transaction. */
#define DB_MIGRATION_NO_TRANSACTION_MARKER "rural24:no-transaction"

typedef struct {
    long version;
    char file_name[DB_MIGRATION_NAME_MAX];        /* "004_indexes.sql" */
    char checksum[DB_MIGRATION_CHECKSUM_HEX + 1]; /* hex SHA-256 of the bytes */
    char *sql;                                    /* the file, NUL-terminated; owned */
    size_t sql_len;
    bool no_transaction;
} db_migration_t;

/* Finds the migrations directory: dir_override when not NULL/empty (the
 * MIGRATIONS_DIR variable), else the first of <bindir>/../migrations,
 * <bindir>/../../migrations, <bindir>/../share/rural24/migrations and
 * ./migrations that exists (bindir: where the running binary is, so both
 * build/rural24 and build/asan/rural24 find the repository's). 0 with the
 * path in out, or -1 with err set. */
int db_migrations_dir(const char *dir_override, char *out, size_t out_size, char *err,
                      size_t err_size);

/* Loads every migration file of dir, sorted by version, with its checksum.
 * *out (freed with db_migrations_free) and *count receive them. 0, or -1 with
 * err set: unreadable directory or file, two files with one version, a
 * malformed .sql file name. Other files (README.md) are ignored. */
int db_migrations_load(const char *dir, db_migration_t **out, size_t *count, char *err,
                       size_t err_size);

void db_migrations_free(db_migration_t *migrations, size_t count);

typedef struct {
    size_t applied_before; /* already recorded when the run started */
    size_t applied_now;    /* applied by this run */
    size_t indexes_rebuilt;
} db_migrate_report_t;

/* Applies the pending migrations of dir to the database at url, holding a
 * session advisory lock (polled with pg_try_advisory_lock, so a waiting
 * instance holds no snapshot that a concurrent index build would wait for)
 * for at most lock_wait_s seconds. Refuses to run when an applied file has
 * changed. Afterwards rebuilds every index left invalid by a failed
 * concurrent build. Logs each step. 0, or -1 with one line in err. */
int db_migrate(const char *url, const char *dir, int lock_wait_s, db_migrate_report_t *report,
               char *err, size_t err_size);

#endif
