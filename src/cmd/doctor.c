/* `rural24 doctor`: the database health report (db/doctor.h).
 *
 *   rural24 doctor [--explain] [--json] [--dir MIGRATIONS_DIR]
 *
 * Exit status: 0 nothing required is missing, 1 a problem (or the database
 * is unreachable), 2 bad usage or configuration. */
#include "cmd/cmd.h"
#include "db/doctor.h"
#include "db/migrate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *out)
{
    fprintf(out, "usage: rural24 doctor [--explain] [--json] [--dir MIGRATIONS_DIR]\n");
    return 2;
}

int cmd_doctor(int argc, char **argv)
{
    db_doctor_opts_t opts = {0};
    const char *dir_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--explain") == 0) {
            opts.explain = true;
        } else if (strcmp(argv[i], "--json") == 0) {
            opts.json = true;
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir_arg = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            return usage(stderr);
        }
    }
    static config_t cfg;
    int rc = cmd_load_config(&cfg);
    if (rc != 0)
        return rc;

    char dir[PATH_MAX], err[1024];
    if (db_migrations_dir(dir_arg != NULL ? dir_arg : getenv("MIGRATIONS_DIR"), dir, sizeof(dir),
                          err, sizeof(err)) == 0) {
        opts.migrations_dir = dir;
    } else if (!opts.json) {
        printf("(migrations directory not found: %s; checking the production indexes only)\n", err);
    }
    rc = db_doctor(cfg.database_url, &opts, stdout, err, sizeof(err));
    fflush(stdout);
    if (rc < 0) {
        fprintf(stderr, "rural24 doctor: %s\n", err);
        return 1;
    }
    return rc;
}
