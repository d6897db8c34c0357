/* The subcommands of the rural24 program, one file each. Each returns the
 * process exit status: 0 success, 1 failure, 2 bad configuration or usage. */
#ifndef RURAL24_CMD_CMD_H
#define RURAL24_CMD_CMD_H

#include "core/config.h"

/* Loads the configuration from the environment and sets the log level; on a
 * bad value prints one line to stderr and returns 2 (else 0). */
int cmd_load_config(config_t *cfg);

/* `rural24 serve`: the HTTP server until SIGTERM/SIGINT. */
int cmd_serve(int argc, char **argv);

/* `rural24 migrate`: applies pending migrations to DATABASE_URL. */
int cmd_migrate(int argc, char **argv);

/* `rural24 seed`: fills DATABASE_URL with realistic demo data. */
int cmd_seed(int argc, char **argv);

/* `rural24 doctor`: checks indexes, extensions, migrations, statements. */
int cmd_doctor(int argc, char **argv);

/* `rural24 user promote EMAIL`: gives the admin role. */
int cmd_user(int argc, char **argv);

#endif
