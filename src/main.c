/* rural24: the command line. Parses the subcommand and hands over to it; all
 * the work lives in src/cmd and the layers below. */
#include "cmd/cmd.h"
#include "core/log.h"
#include "version.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} command_t;

static const command_t commands[] = {
    {"serve", "run the HTTP API server (the default)", cmd_serve},
    {"migrate", "apply pending database migrations (migrations/NNN_name.sql)", cmd_migrate},
    {"seed", "fill the database with demo data: seed [--users N] [--ads N] [--messages N]",
     cmd_seed},
    {"doctor", "check the database: indexes, slow statements, connections [--explain]", cmd_doctor},
    {"user", "manage users: user promote EMAIL (gives the admin role)", cmd_user},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: rural24 [COMMAND] [OPTIONS]\n\n"
                 "Rural24, the classifieds marketplace for the Argentine countryside.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nOptions:\n"
                 "  --help     show this help\n"
                 "  --version  show the version\n\n"
                 "Configuration comes from environment variables; see README.md.\n");
}

int main(int argc, char **argv)
{
    log_init();
    if (sodium_init() < 0) {
        fprintf(stderr, "rural24: libsodium failed to initialise\n");
        return 1;
    }
    const char *name = argc > 1 ? argv[1] : "serve";
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("rural24 %s\n", RURAL24_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc > 1 ? argc - 1 : argc, argc > 1 ? argv + 1 : argv);
    }
    fprintf(stderr, "rural24: unknown command '%s'\n\n", name);
    usage(stderr);
    return 2;
}
