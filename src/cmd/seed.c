/* `rural24 seed`: fills DATABASE_URL with realistic demo data (db/seed.h).
 *
 *   rural24 seed [--users N] [--ads N] [--messages N] [--seed S] [--password P]
 *                [--if-empty]
 *
 * Defaults: 1,000 users, 10,000 ads, 20,000 messages, seed 42, and the demo
 * password "rural24-demo" for every account (admin@rural24.test is an admin,
 * demo@rural24.test a user). --if-empty does nothing when there are ads
 * already (scripts/run-dev seeds once). The database must be migrated. Exit
 * status: 0,
 * 1 when the seed fails, 2 on bad usage or configuration. */
#include "auth/password.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "db/seed.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_DEFAULT_PASSWORD "rural24-demo"

static int usage(FILE *out)
{
    fprintf(out, "usage: rural24 seed [--users N] [--ads N] [--messages N] [--seed S] "
                 "[--password P] [--if-empty]\n");
    return 2;
}

/* Parses a count option's value: an integer from 0 to max. 0 or -1. */
static int parse_count(const char *text, long long min, long long max, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

int cmd_seed(int argc, char **argv)
{
    long long users = 1000, ads = 10000, messages = 20000, seed = 42;
    const char *password = SEED_DEFAULT_PASSWORD;
    bool if_empty = false;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(opt, "--if-empty") == 0) {
            if_empty = true;
            continue;
        }
        if (i + 1 >= argc)
            return usage(stderr);
        const char *value = argv[++i];
        int rc;
        if (strcmp(opt, "--users") == 0)
            rc = parse_count(value, 0, 10000000, &users);
        else if (strcmp(opt, "--ads") == 0)
            rc = parse_count(value, 0, 10000000, &ads);
        else if (strcmp(opt, "--messages") == 0)
            rc = parse_count(value, 0, 50000000, &messages);
        else if (strcmp(opt, "--seed") == 0)
            rc = parse_count(value, -9223372036854775807LL, 9223372036854775807LL, &seed);
        else if (strcmp(opt, "--password") == 0)
            rc = strlen(value) >= 8 && strlen(value) <= 128 ? 0 : -1;
        else
            rc = -1;
        if (rc != 0) {
            fprintf(stderr, "rural24 seed: bad option %s %s\n", opt, value);
            return usage(stderr);
        }
        if (strcmp(opt, "--password") == 0)
            password = value;
    }

    static config_t cfg;
    int rc = cmd_load_config(&cfg);
    if (rc != 0)
        return rc;

    char hash[AUTH_PASSWORD_HASH_BYTES];
    if (auth_password_hash_sync(password, strlen(password), hash) != 0) {
        fprintf(stderr, "rural24 seed: cannot hash the password\n");
        return 1;
    }
    db_seed_opts_t opts = {
        .users = (long)users,
        .ads = (long)ads,
        .messages = (long)messages,
        .seed = (int64_t)seed,
        .usd_ars_rate = cfg.usd_ars_rate,
        .password_hash = hash,
        .if_empty = if_empty,
    };
    db_seed_report_t report;
    char err[1024];
    if (db_seed(cfg.database_url, &opts, &report, err, sizeof(err)) != 0) {
        fprintf(stderr, "rural24 seed: %s\n", err);
        log_event(LOG_ERROR, "seed failed", "error", json_string(err), NULL);
        return 1;
    }
    if (report.skipped) {
        log_info("seed skipped: the database has ads already", NULL);
        return 0;
    }
    log_info("seed done", "users", json_integer(report.users_total), "ads",
             json_integer(report.ads_total), "messages", json_integer(report.messages_total),
             "favorites", json_integer(report.favorites_total), "duration_s",
             json_real(report.duration_s), NULL);
    return 0;
}
