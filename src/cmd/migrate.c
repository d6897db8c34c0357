/* `rural24 migrate`: applies the pending migrations to DATABASE_URL.
 *
 *   rural24 migrate [--dir DIR] [--lock-wait SECONDS]
 *
 * The directory is --dir, else MIGRATIONS_DIR, else the one next to the
 * binary (db_migrations_dir). Exit status: 0 done (or nothing to do), 1 a
 * migration failed, a file changed after it was applied, or the database is
 * unreachable; 2 bad configuration or usage. */
#include "cmd/cmd.h"
#include "core/log.h"
#include "db/migrate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: rural24 migrate [--dir DIR] [--lock-wait SECONDS]\n");
    return 2;
}

int cmd_migrate(int argc, char **argv)
{
    const char *dir_arg = NULL;
    long lock_wait_s = 600;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir_arg = argv[++i];
        } else if (strcmp(argv[i], "--lock-wait") == 0 && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            lock_wait_s = strtol(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || end == argv[i] || lock_wait_s < 0 ||
                lock_wait_s > 86400)
                return usage();
        } else if (strcmp(argv[i], "--help") == 0) {
            usage();
            return 0;
        } else {
            return usage();
        }
    }

    static config_t cfg;
    int rc = cmd_load_config(&cfg);
    if (rc != 0)
        return rc;

    char dir[PATH_MAX], err[1024];
    if (db_migrations_dir(dir_arg != NULL ? dir_arg : getenv("MIGRATIONS_DIR"), dir, sizeof(dir),
                          err, sizeof(err)) != 0) {
        fprintf(stderr, "rural24 migrate: %s\n", err);
        return 2;
    }
    db_migrate_report_t report;
    if (db_migrate(cfg.database_url, dir, (int)lock_wait_s, &report, err, sizeof(err)) != 0) {
        fprintf(stderr, "rural24 migrate: %s\n", err);
        log_event(LOG_ERROR, "migrate failed", "error", json_string(err), NULL);
        return 1;
    }
    return 0;
}
