/* Blocking libpq helpers for the command-line tools (migrate, seed, doctor),
 * which run before or beside the server and never on its loop. */
#include "core/log.h"
#include "db/internal.h"

#include <stdio.h>
#include <string.h>

/* Database notices go to the debug log, one line each. */
static void log_notice(void *arg, const char *message)
{
    (void)arg;
    char line[512];
    db__one_line(message, line, sizeof(line));
    log_debug("database notice", "message", json_string(line), NULL);
}

PGconn *db__connect_blocking(const char *url, char *err, size_t err_size)
{
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK) {
        char line[512];
        db__one_line(PQerrorMessage(pg), line, sizeof(line));
        snprintf(err, err_size, "cannot connect to the database: %s", line);
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, log_notice, NULL);
    return pg;
}

int db__exec_bool(PGconn *pg, const char *sql, const char *what, char *err, size_t err_size)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        char line[512];
        db__one_line(PQresultErrorMessage(r), line, sizeof(line));
        snprintf(err, err_size, "%s: %s", what, line);
        PQclear(r);
        return -1;
    }
    int value = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return value;
}
