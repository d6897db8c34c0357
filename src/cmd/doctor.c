/* `rural24 doctor`: the database health report (db/doctor.h), then the
 * capacity advisor's verdict on what doctor can see from outside a running
 * server (the configuration's stage and the connection arithmetic; the live
 * signals are in /api/admin/stats).
 *
 *   rural24 doctor [--explain] [--json] [--dir MIGRATIONS_DIR]
 *
 * Exit status: 0 nothing required is missing, 1 a problem (or the database
 * is unreachable), 2 bad usage or configuration. */
#include "cmd/cmd.h"
#include "db/doctor.h"
#include "db/migrate.h"
#include "obs/advisor.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *out)
{
    fprintf(out, "usage: rural24 doctor [--explain] [--json] [--dir MIGRATIONS_DIR]\n");
    return 2;
}

/* The advisor's verdict with what doctor knows: the configuration, the
 * connections in use and max_connections. Instances: doctor does not join the
 * Redis heartbeat, so DOCTOR_INSTANCES (default 1) says how many run. */
static void print_capacity(const config_t *cfg, const db_doctor_figures_t *figures)
{
    advisor_inputs_t in = {0};
    in.cache_miss_rate = -1;
    in.db_in_use = figures->connections_in_use;
    in.redis_enabled = cfg->redis_enabled;
    in.redis_stores = cfg->cache_type != CACHE_MEMORY &&
                      cfg->rate_limit_store == RATE_STORE_REDIS &&
                      cfg->session_store == SESSION_REDIS;
    in.replica = cfg->database_replica_url[0] != '\0';
    in.db_pool_size = cfg->db_pool_size;
    const char *instances = getenv("DOCTOR_INSTANCES");
    in.live_instances = instances != NULL && atoi(instances) > 0 ? atoi(instances) : 1;
    in.db_max_connections = figures->max_connections;
    json_t *v = advisor_evaluate(&in);
    json_t *c = json_object_get(v, "connections");
    printf("\n== Capacity (live signals: GET /api/admin/stats)\n");
    printf("  stage %lld by the configuration\n",
           (long long)json_integer_value(json_object_get(v, "stage")));
    printf(
        "  connections: %lld instance(s) x DB_POOL_SIZE=%lld = %lld of max_connections=%lld (%s)\n",
        (long long)json_integer_value(json_object_get(c, "live_instances")),
        (long long)json_integer_value(json_object_get(c, "db_pool_size")),
        (long long)json_integer_value(json_object_get(c, "needed")),
        (long long)json_integer_value(json_object_get(c, "max_connections")),
        json_string_value(json_object_get(c, "level")));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(v, "advice"), i, a)
    {
        printf("  advice: %s\n", json_string_value(a));
    }
    json_decref(v);
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
    db_doctor_figures_t figures = {0};
    rc = db_doctor(cfg.database_url, &opts, stdout, err, sizeof(err), &figures);
    if (rc < 0) {
        fflush(stdout);
        fprintf(stderr, "rural24 doctor: %s\n", err);
        return 1;
    }
    if (!opts.json)
        print_capacity(&cfg, &figures);
    fflush(stdout);
    return rc;
}
