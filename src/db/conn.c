/* One non-blocking libpq connection driven by the libuv loop.
 *
 * A connection goes: (resolving →) connecting → setup → idle ⇄
 * preparing/executing, and back to parked/backoff when it breaks. Its socket
 * is watched by a uv_poll_t; libpq does the protocol. The pool (pool.c)
 * decides when to connect and what to run; this file only drives libpq:
 *
 *   - connecting: PQconnectStartParams, then PQconnectPoll each time the
 *     socket is ready the way the last call asked (libpq's documented loop),
 *     under a DB_CONNECT_TIMEOUT_MS timer, since PQconnectPoll ignores
 *     connect_timeout;
 *   - setup: SET statement_timeout and TimeZone, sent like any query;
 *   - a query: PQsendPrepare the first time this session sees a named
 *     statement, then PQsendQueryPrepared (or PQsendQueryParams for unnamed
 *     ones); PQflush until libpq has sent everything (large parameters), then
 *     PQconsumeInput / PQisBusy / PQgetResult as data arrives;
 *   - broken: the poll handle is closed before PQfinish closes the socket
 *     (libuv's rule for polled descriptors), and the pool is told.
 *
 * Nothing here blocks: libpq runs in non-blocking mode and host names were
 * resolved before PQconnectStartParams (see conninfo.c). */
#include "db/internal.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_RESOLVED_ADDRESSES = 4 };

static void on_poll(uv_poll_t *handle, int status, int events);
static void on_timer(uv_timer_t *timer);

void db__conn_init(db__conn_t *c, db__pool_t *pool)
{
    memset(c, 0, sizeof(*c));
    c->pool = pool;
    c->state = DB__CONN_PARKED;
    c->poll_fd = -1;
    uv_timer_init(pool->loop, &c->timer);
    c->timer.data = c;
    pool->handles_open++;
}

/* --- the socket watcher --- */

static void on_poll_closed(uv_handle_t *handle)
{
    db__pool_t *pool = handle->data;
    free(handle);
    db__pool_handle_closed(pool);
}

static void close_poll(db__conn_t *c)
{
    if (c->poll == NULL)
        return;
    /* uv_close stops watching at once, so the descriptor may be closed (or
     * reused by libpq) right after; the memory goes in the callback. */
    c->poll->data = c->pool;
    uv_close((uv_handle_t *)c->poll, on_poll_closed);
    c->poll = NULL;
    c->poll_fd = -1;
    c->poll_events = 0;
}

/* Watches libpq's current socket for events, replacing the watcher when
 * libpq moved to another socket. With rearm, registers the socket again even
 * when nothing seems to have changed: while connecting, libpq may close its
 * socket and open the next address's, which usually gets the same descriptor
 * number; the kernel forgot the old registration with the old socket, and
 * libuv skips a uv_poll_start whose events it already has. 0 or a negative
 * libuv error. */
static int watch_socket(db__conn_t *c, int events, bool rearm)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return UV_EBADF;
    if (c->poll != NULL && c->poll_fd != fd)
        close_poll(c);
    if (c->poll == NULL) {
        uv_poll_t *poll = xmalloc(sizeof(*poll));
        int rc = uv_poll_init(c->pool->loop, poll, fd);
        if (rc != 0) {
            free(poll);
            return rc;
        }
        poll->data = c;
        c->poll = poll;
        c->poll_fd = fd;
        c->poll_events = 0;
        c->pool->handles_open++;
    }
    if (events != c->poll_events || rearm) {
        int rc = uv_poll_start(c->poll, events, on_poll);
        if (rc != 0)
            return rc;
        c->poll_events = events;
    }
    return 0;
}

static int watch(db__conn_t *c, int events)
{
    return watch_socket(c, events, false);
}

/* --- tearing down --- */

static void forget_session(db__conn_t *c)
{
    close_poll(c);
    if (c->result != NULL) {
        PQclear(c->result);
        c->result = NULL;
    }
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->prepared_count = 0;
    c->flushing = false;
    uv_timer_stop(&c->timer);
}

static bool is_live(const db__conn_t *c)
{
    return c->state == DB__CONN_IDLE || c->state == DB__CONN_PREPARING ||
           c->state == DB__CONN_EXECUTING;
}

/* A connection attempt failed (connecting or setup). */
static void connect_failed(db__conn_t *c, const char *message)
{
    char line[512];
    db__one_line(message, line, sizeof(line));
    forget_session(c);
    c->state = DB__CONN_PARKED;
    db__pool_conn_failed(c->pool, c, line);
}

/* A live connection broke. Its query, if any, fails with DB_E_UNAVAILABLE,
 * after the pool has been told (so a callback that queries again finds the
 * pool in its new state). */
static void lost(db__conn_t *c, const char *message)
{
    char line[512];
    db__one_line(message, line, sizeof(line));
    db__pool_t *pool = c->pool;
    db__query_t *q = c->query;
    c->query = NULL;
    bool was_live = is_live(c);
    forget_session(c);
    c->state = DB__CONN_PARKED;
    db__pool_conn_lost(pool, c, was_live, line);
    if (q != NULL)
        db__pool_query_fail(pool, q, DB_E_UNAVAILABLE, "the database connection was lost");
}

/* Whatever broke, during an attempt or on a live connection. */
static void broken(db__conn_t *c, const char *message)
{
    if (c->state == DB__CONN_CONNECTING || c->state == DB__CONN_SETUP)
        connect_failed(c, message);
    else
        lost(c, message);
}

/* --- connecting --- */

static void notice_receiver(void *arg, const PGresult *res)
{
    /* libpq's default prints NOTICEs on stderr; they belong in the log. */
    (void)arg;
    if (log_enabled(LOG_DEBUG)) {
        char line[512];
        db__one_line(PQresultErrorMessage(res), line, sizeof(line));
        log_debug("database notice", "message", json_string(line), NULL);
    }
}

static void start_libpq(db__conn_t *c, const char *host, const char *hostaddr)
{
    db__pool_t *pool = c->pool;
    size_t n = (size_t)pool->conninfo.count + DB__CONNINFO_EXTRA;
    const char **keywords = xcalloc(n, sizeof(*keywords));
    const char **values = xcalloc(n, sizeof(*values));
    db__conninfo_fill(&pool->conninfo, host, hostaddr, keywords, values);
    c->pg = PQconnectStartParams(keywords, values, 0);
    free(keywords);
    free(values);
    if (c->pg == NULL) {
        connect_failed(c, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        connect_failed(c, PQerrorMessage(c->pg));
        return;
    }
    PQsetNoticeReceiver(c->pg, notice_receiver, NULL);
    c->state = DB__CONN_CONNECTING;
    uv_timer_start(&c->timer, on_timer, DB_CONNECT_TIMEOUT_MS, 0);
    /* libpq: "at the beginning, consider it as if PQconnectPoll returned
     * PGRES_POLLING_WRITING". */
    int rc = watch(c, UV_WRITABLE);
    if (rc != 0)
        connect_failed(c, uv_strerror(rc));
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    db__conn_t *c = req->data;
    db__pool_t *pool = c->pool;
    c->resolving = false;
    pool->resolves_pending--;
    if (pool->closing || c->state != DB__CONN_RESOLVING) {
        uv_freeaddrinfo(res);
        db__pool_maybe_free(pool);
        return;
    }
    if (status != 0) {
        uv_freeaddrinfo(res);
        char message[512];
        snprintf(message, sizeof(message), "could not resolve host \"%s\": %s",
                 pool->conninfo.resolve_host, uv_strerror(status));
        connect_failed(c, message);
        return;
    }
    /* Hand libpq every address (it tries them in order, as it would after
     * its own lookup): host repeated, hostaddr the list. */
    char hostaddr[MAX_RESOLVED_ADDRESSES * (INET6_ADDRSTRLEN + 1)] = "";
    char hosts[MAX_RESOLVED_ADDRESSES * 256] = "";
    size_t hostaddr_len = 0, hosts_len = 0;
    int count = 0;
    for (struct addrinfo *ai = res; ai != NULL && count < MAX_RESOLVED_ADDRESSES;
         ai = ai->ai_next) {
        char text[INET6_ADDRSTRLEN];
        const void *addr = NULL;
        if (ai->ai_family == AF_INET)
            addr = &((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
        else if (ai->ai_family == AF_INET6)
            addr = &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        if (addr == NULL || inet_ntop(ai->ai_family, addr, text, sizeof(text)) == NULL)
            continue;
        if (strstr(hostaddr, text) != NULL)
            continue; /* the same address for another socket type */
        int a = snprintf(hostaddr + hostaddr_len, sizeof(hostaddr) - hostaddr_len, "%s%s",
                         count > 0 ? "," : "", text);
        int h = snprintf(hosts + hosts_len, sizeof(hosts) - hosts_len, "%s%s", count > 0 ? "," : "",
                         pool->conninfo.resolve_host);
        if (a < 0 || h < 0 || (size_t)a >= sizeof(hostaddr) - hostaddr_len ||
            (size_t)h >= sizeof(hosts) - hosts_len)
            break;
        hostaddr_len += (size_t)a;
        hosts_len += (size_t)h;
        count++;
    }
    uv_freeaddrinfo(res);
    if (count == 0) {
        connect_failed(c, "the host name resolved to no usable address");
        return;
    }
    start_libpq(c, hosts, hostaddr);
}

static void start_attempt(db__conn_t *c)
{
    db__pool_t *pool = c->pool;
    if (pool->closing)
        return;
    if (pool->conninfo.resolve_host == NULL) {
        start_libpq(c, NULL, NULL);
        return;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    c->resolve_req.data = c;
    int rc = uv_getaddrinfo(pool->loop, &c->resolve_req, on_resolved, pool->conninfo.resolve_host,
                            NULL, &hints);
    if (rc != 0) {
        connect_failed(c, uv_strerror(rc));
        return;
    }
    c->resolving = true;
    pool->resolves_pending++;
    c->state = DB__CONN_RESOLVING;
}

void db__conn_schedule(db__conn_t *c, uint64_t delay_ms)
{
    if (c->pool->closing)
        return;
    c->state = DB__CONN_BACKOFF;
    uv_timer_start(&c->timer, on_timer, delay_ms, 0);
}

static void on_timer(uv_timer_t *timer)
{
    db__conn_t *c = timer->data;
    switch (c->state) {
    case DB__CONN_BACKOFF:
        start_attempt(c);
        break;
    case DB__CONN_CONNECTING:
    case DB__CONN_SETUP:
        connect_failed(c, "timeout expired while connecting");
        break;
    default:
        break;
    }
}

/* --- sending and receiving --- */

/* Pushes out what libpq has buffered and watches for what comes next. 0, or
 * -1 when the connection is broken (the caller decides what that means). */
static int flush(db__conn_t *c)
{
    int rc = PQflush(c->pg);
    if (rc < 0)
        return -1;
    c->flushing = rc == 1;
    return watch(c, UV_READABLE | (c->flushing ? UV_WRITABLE : 0)) == 0 ? 0 : -1;
}

static void connected(db__conn_t *c)
{
    if (PQsetnonblocking(c->pg, 1) != 0) {
        connect_failed(c, PQerrorMessage(c->pg));
        return;
    }
    /* Session settings every statement relies on. Both values are integers
     * or constants, not request text. */
    char sql[128];
    snprintf(sql, sizeof(sql), "SET statement_timeout = %d; SET TimeZone = 'UTC'",
             c->pool->statement_timeout_ms);
    c->state = DB__CONN_SETUP;
    if (!PQsendQuery(c->pg, sql) || flush(c) != 0)
        connect_failed(c, PQerrorMessage(c->pg));
}

static void step_connect(db__conn_t *c)
{
    int rc = 0;
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        rc = watch_socket(c, UV_READABLE, true);
        break;
    case PGRES_POLLING_WRITING:
        rc = watch_socket(c, UV_WRITABLE, true);
        break;
    case PGRES_POLLING_OK:
        connected(c);
        return;
    default:
        connect_failed(c, PQerrorMessage(c->pg));
        return;
    }
    if (rc != 0)
        connect_failed(c, uv_strerror(rc));
}

static bool statement_prepared(const db__conn_t *c, const db_stmt_t *stmt)
{
    /* A linear scan over pointers: a program has a few dozen statements. */
    for (size_t i = 0; i < c->prepared_count; i++) {
        if (c->prepared[i] == stmt)
            return true;
    }
    return false;
}

static void mark_prepared(db__conn_t *c, const db_stmt_t *stmt)
{
    if (statement_prepared(c, stmt))
        return;
    if (c->prepared_count == c->prepared_capacity) {
        c->prepared_capacity = c->prepared_capacity == 0 ? 16 : c->prepared_capacity * 2;
        c->prepared = xrealloc(c->prepared, c->prepared_capacity * sizeof(*c->prepared));
    }
    c->prepared[c->prepared_count++] = stmt;
}

static bool use_named(const db__conn_t *c, const db_stmt_t *stmt)
{
    return c->pool->prepared_statements && !stmt->custom_plan && stmt->name != NULL &&
           stmt->name[0] != '\0' && db__statement_name_ok(c->pool->db, stmt);
}

/* Sends the query's Bind/Execute (or its one-shot Parse/Bind/Execute). 0 or
 * -1 (broken). */
static int send_execute(db__conn_t *c)
{
    const db__query_t *q = c->query;
    const db_stmt_t *stmt = q->stmt;
    int result_format = stmt->binary_result ? 1 : 0;
    int ok;
    if (use_named(c, stmt))
        ok = PQsendQueryPrepared(c->pg, stmt->name, q->nparams, q->values, q->lengths, q->formats,
                                 result_format);
    else
        ok = PQsendQueryParams(c->pg, stmt->sql, q->nparams, NULL, q->values, q->lengths,
                               q->formats, result_format);
    c->state = DB__CONN_EXECUTING;
    return ok && flush(c) == 0 ? 0 : -1;
}

int db__conn_send(db__conn_t *c, db__query_t *q)
{
    c->query = q;
    q->started_us = clock_now_us();
    int rc;
    if (use_named(c, q->stmt) && !statement_prepared(c, q->stmt)) {
        c->state = DB__CONN_PREPARING;
        rc = PQsendPrepare(c->pg, q->stmt->name, q->stmt->sql, q->stmt->param_count, NULL) &&
                     flush(c) == 0
                 ? 0
                 : -1;
    } else {
        rc = send_execute(c);
    }
    if (rc != 0) {
        /* Give the query back before tearing down, so that no callback runs
         * from inside db_query(). */
        c->query = NULL;
        lost(c, PQerrorMessage(c->pg));
        return -1;
    }
    return 0;
}

static bool is_error(const PGresult *r)
{
    return r != NULL && !db__pgresult_ok(r);
}

/* Keeps the first result, or the first error if one follows. */
static void keep_result(db__conn_t *c, PGresult *r)
{
    if (c->result == NULL) {
        c->result = r;
    } else if (is_error(r) && !is_error(c->result)) {
        PQclear(c->result);
        c->result = r;
    } else {
        PQclear(r);
    }
}

/* Every result of the current operation has arrived. */
static void operation_complete(db__conn_t *c)
{
    db__pool_t *pool = c->pool;
    PGresult *r = c->result;
    c->result = NULL;
    bool bad = PQstatus(c->pg) == CONNECTION_BAD;

    if (c->state == DB__CONN_SETUP) {
        if (bad || !db__pgresult_ok(r)) {
            char line[512];
            db__one_line(r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), line,
                         sizeof(line));
            PQclear(r);
            connect_failed(c, line);
            return;
        }
        PQclear(r);
        uv_timer_stop(&c->timer);
        c->state = DB__CONN_IDLE;
        db__pool_conn_up(pool, c);
        return;
    }

    if (c->state == DB__CONN_PREPARING && !bad) {
        const char *sqlstate = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        /* 42P05: a statement of that name already exists on this session
         * (a pooler handed us a server connection that has it). */
        if (db__pgresult_ok(r) || (sqlstate != NULL && strcmp(sqlstate, "42P05") == 0)) {
            PQclear(r);
            mark_prepared(c, c->query->stmt);
            if (send_execute(c) != 0)
                lost(c, PQerrorMessage(c->pg));
            return;
        }
    }

    /* The query is done (or its preparation failed, which is its result). */
    db__query_t *q = c->query;
    c->query = NULL;
    if (bad) {
        char line[512];
        db__one_line(PQerrorMessage(c->pg), line, sizeof(line));
        lost(c, line);
    } else {
        c->state = DB__CONN_IDLE;
        db__pool_release(pool, c);
    }
    /* Last: the callback may close the pool. */
    db__pool_query_done(pool, q, r, bad);
}

/* Takes what arrived and collects the results. Returns 1 when the
 * operation completed or the connection broke (c may then be reused by
 * another query, or closed), 0 when more is awaited. */
static int read_input(db__conn_t *c)
{
    if (!PQconsumeInput(c->pg)) {
        broken(c, PQerrorMessage(c->pg));
        return 1;
    }
    /* libpq: when PQflush could not send everything and the socket turns
     * readable, consume input and then flush again. */
    if (c->flushing && flush(c) != 0) {
        broken(c, PQerrorMessage(c->pg));
        return 1;
    }
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (r == NULL) {
            operation_complete(c);
            return 1;
        }
        keep_result(c, r);
    }
    return 0;
}

static bool uses_socket(const db__conn_t *c)
{
    return c->state == DB__CONN_SETUP || is_live(c);
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    db__conn_t *c = handle->data;
    if (status < 0) {
        /* libuv reports POLLERR (a refused connect, a reset) as UV_EBADF and
         * stops the watcher. The error belongs to the socket: libpq reads it
         * (PQconnectPoll then tries the next address; PQconsumeInput reports
         * a lost connection), and the watcher is started again below. */
        c->poll_events = 0;
        events = UV_READABLE | UV_WRITABLE;
    }
    switch (c->state) {
    case DB__CONN_CONNECTING:
        step_connect(c); /* it watches again, or gives up */
        return;
    case DB__CONN_SETUP:
    case DB__CONN_PREPARING:
    case DB__CONN_EXECUTING:
        if ((events & UV_WRITABLE) && c->flushing && flush(c) != 0) {
            broken(c, PQerrorMessage(c->pg));
            return;
        }
        if ((events & UV_READABLE) && read_input(c) != 0)
            return;
        break;
    case DB__CONN_IDLE:
        /* Nothing is expected on an idle connection but the server's goodbye
         * (a restart, an idle-session timeout) or a stray notice. */
        if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
            lost(c, PQerrorMessage(c->pg));
            return;
        }
        while (!PQisBusy(c->pg)) {
            PGresult *r = PQgetResult(c->pg);
            if (r == NULL)
                break;
            PQclear(r);
        }
        if (PQstatus(c->pg) == CONNECTION_BAD) {
            lost(c, PQerrorMessage(c->pg));
            return;
        }
        break;
    default:
        return;
    }
    /* Watch again what libuv stopped. */
    if (uses_socket(c) && c->poll_events == 0 &&
        watch(c, UV_READABLE | (c->flushing ? UV_WRITABLE : 0)) != 0)
        broken(c, "cannot watch the database socket");
}

/* --- closing for good --- */

static void on_timer_closed(uv_handle_t *handle)
{
    db__conn_t *c = handle->data;
    db__pool_handle_closed(c->pool);
}

db__query_t *db__conn_close(db__conn_t *c)
{
    db__query_t *q = c->query;
    c->query = NULL;
    forget_session(c);
    free(c->prepared);
    c->prepared = NULL;
    c->prepared_capacity = 0;
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->resolve_req); /* its callback still comes */
    c->state = DB__CONN_CLOSED;
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
    return q;
}
