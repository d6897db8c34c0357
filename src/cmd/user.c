/* `rural24 user promote EMAIL`: gives a user the admin role. The command line
 * is the only way to make an admin, so no API request can escalate itself.
 *
 * Runs the statement through the same pool the server uses, on a loop of its
 * own. Exit status: 0 done, 1 no such user or the database failed, 2 bad
 * configuration or usage. */
#include "cmd/cmd.h"
#include "core/log.h"
#include "db/db.h"
#include "db/users.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *email;
    db_t *db;
    int status;
} promote_t;

static int usage(void)
{
    fprintf(stderr, "usage: rural24 user promote EMAIL\n");
    return 2;
}

static void on_promoted(db_result_t *res, void *user_data)
{
    promote_t *p = user_data;
    int err = db_result_error(res);
    if (err != 0) {
        fprintf(stderr, "rural24: cannot promote %s: %s\n", p->email, db_error_message(err));
        p->status = 1;
    } else if (db_result_rows(res) == 0) {
        fprintf(stderr, "rural24: no user has the email %s\n", p->email);
        p->status = 1;
    } else {
        printf("%s is now an admin\n", p->email);
        p->status = 0;
    }
    /* Done: closing the pool lets the loop end. */
    db_close(p->db, NULL, NULL);
    p->db = NULL;
}

int cmd_user(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "promote") != 0)
        return usage();
    static config_t cfg;
    int rc = cmd_load_config(&cfg);
    if (rc != 0)
        return rc;
    uv_loop_t loop;
    uv_loop_init(&loop);
    db_t *db = NULL;
    char err[512];
    if (db_new(&loop, &cfg, &db, err, sizeof(err)) != 0) {
        fprintf(stderr, "rural24: configuration error: %s\n", err);
        uv_loop_close(&loop);
        return 2;
    }
    promote_t p = {.email = argv[2], .db = db, .status = 1};
    db_wait_ready(db, 5000);
    const char *params[] = {p.email};
    rc = db_query(db, &db_users_promote, params, NULL, 1, DB_WRITE, 0, on_promoted, &p);
    if (rc != 0) {
        fprintf(stderr, "rural24: cannot promote %s: %s\n", p.email, db_error_message(rc));
        db_close(db, NULL, NULL);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        log_warn("loop closed with handles still open", NULL);
    return p.status;
}
