/* Shared start-up of every subcommand: configuration and logging. */
#include "cmd/cmd.h"
#include "core/log.h"

#include <stdio.h>

int cmd_load_config(config_t *cfg)
{
    char err[512];
    if (config_load_env(cfg, err, sizeof(err)) != 0) {
        /* One clear line naming the variable, on stderr and as a log line, so
         * both a person and a log collector see it. */
        fprintf(stderr, "rural24: configuration error: %s\n", err);
        log_event(LOG_FATAL, "configuration error", "error", json_string(err), NULL);
        return 2;
    }
    log_set_level(cfg->log_level);
    for (size_t i = 0; i < cfg->warning_count; i++)
        log_warn(cfg->warnings[i], NULL);
    return 0;
}
