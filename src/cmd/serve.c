/* `rural24 serve`: builds the application from the configuration, listens,
 * and runs the loop until a graceful shutdown completes.
 *
 * Shutdown, on the first SIGTERM or SIGINT:
 *   1. readiness turns 503 at once (app->draining), the server keeps serving;
 *   2. after SHUTDOWN_DELAY_S it stops accepting, answers further requests
 *      with Connection: close and closes idle connections;
 *   3. when the last connection is gone, or SHUTDOWN_TIMEOUT_S after step 2,
 *      every handle is closed and the process exits 0.
 * A second signal exits at once with status 1. */
#include "api/app.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/server.h"
#include "version.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { JOBS_WAIT_MS = 1000, JOBS_WAIT_STEP_MS = 10 };

typedef struct {
    app_t app;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uv_timer_t delay_timer;
    uv_timer_t timeout_timer;
    uv_prepare_t log_flusher; /* flushes buffered log lines before the loop waits */
    uv_timer_t jobs_timer;    /* waits, briefly, for the jobs to release their leases */
    int jobs_waits_left;
    int signals_seen;
    bool drained;
} serve_t;

/* One line per request, built without allocation (log.h's log_line_t). The
 * path is logged without its query string, which may carry secrets. */
static void access_log(const http_request_t *req, int status, size_t body_bytes, double duration_ms,
                       void *user_data)
{
    (void)user_data;
    if (!log_enabled(LOG_INFO))
        return;
    log_line_t line;
    log_line_start(&line, LOG_INFO, "request");
    log_line_str(&line, "request_id", req->request_id);
    log_line_str(&line, "method", req->method_name);
    log_line_str(&line, "path", req->path);
    log_line_int(&line, "status", status);
    log_line_int(&line, "bytes", (int64_t)body_bytes);
    log_line_ms(&line, "duration_ms", duration_ms);
    log_line_str(&line, "ip", req->client_ip);
    log_line_end(&line);
}

static void on_prepare(uv_prepare_t *handle)
{
    (void)handle;
    log_flush();
}

static void close_walk_cb(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

static void finish(serve_t *s);

static void on_jobs_wait(uv_timer_t *timer)
{
    finish(container_of(timer, serve_t, jobs_timer));
}

static void finish(serve_t *s)
{
    if (s->drained)
        return;
    /* The jobs' leases are released before the database closes (another
     * instance then takes them at once), for at most JOBS_WAIT_MS. */
    if (!s->app.jobs_stopped && s->jobs_waits_left-- > 0) {
        uv_timer_start(&s->jobs_timer, on_jobs_wait, JOBS_WAIT_STEP_MS, 0);
        return;
    }
    s->drained = true;
    log_info("shutdown complete", NULL);
    /* The pools and stores close their own handles (with their own close
     * callbacks), so the walk below must not close them first. */
    app_close(&s->app);
    /* Close what is left (timers, signals, stores' handles); uv_run then
     * returns once their close callbacks ran. */
    uv_walk(s->app.loop, close_walk_cb, NULL);
}

static serve_t *the_serve; /* the one serve_t of this process, for on_drained */

static void on_drained_cb(http_server_t *server)
{
    (void)server;
    log_info("all connections closed", NULL);
    finish(the_serve);
}

static void on_timeout(uv_timer_t *timer)
{
    serve_t *s = container_of(timer, serve_t, timeout_timer);
    log_warn("shutdown timeout reached: closing remaining connections", "timeout_s",
             json_integer(s->app.config->shutdown_timeout_s), NULL);
    http_server_close_all(s->app.server);
    finish(s);
}

static void start_drain(serve_t *s)
{
    log_info("shutdown: no longer accepting; draining connections", NULL);
    uv_timer_start(&s->timeout_timer, on_timeout,
                   (uint64_t)s->app.config->shutdown_timeout_s * 1000u, 0);
    http_server_drain(s->app.server, on_drained_cb);
}

static void on_delay(uv_timer_t *timer)
{
    start_drain(container_of(timer, serve_t, delay_timer));
}

static void on_signal(uv_signal_t *handle, int signum)
{
    serve_t *s = handle->data;
    s->signals_seen++;
    if (s->signals_seen > 1) {
        log_warn("second signal: exiting at once", "signal", json_integer(signum), NULL);
        log_flush();
        _exit(1);
    }
    s->app.draining = true;
    app_shutdown_begin(&s->app);
    log_info("shutdown: readiness now 503", "signal",
             json_string(signum == SIGTERM ? "SIGTERM" : "SIGINT"), "delay_s",
             json_integer(s->app.config->shutdown_delay_s), NULL);
    if (s->app.config->shutdown_delay_s > 0)
        uv_timer_start(&s->delay_timer, on_delay, (uint64_t)s->app.config->shutdown_delay_s * 1000u,
                       0);
    else
        start_drain(s);
}

/* Sizes libuv's thread pool before anything starts it (it reads
 * UV_THREADPOOL_SIZE once, at the first work item). The pool runs the
 * password hashes (at most one per core, auth/password.c), the image jobs
 * (IMAGE_WORKERS) and the DNS lookups of the database and Redis
 * reconnections; with libuv's default of 4 threads, two hashes and two
 * images would leave a reconnection's lookup waiting behind seconds of
 * decoding. So: one thread per hash, one per image worker, and two for the
 * lookups. A value the operator set wins. */
static void size_thread_pool(const config_t *cfg)
{
    if (getenv("UV_THREADPOOL_SIZE") != NULL)
        return;
    unsigned threads = uv_available_parallelism() + (unsigned)cfg->image_workers + 2;
    if (threads < 4)
        threads = 4;
    if (threads > 1024) /* libuv's own ceiling */
        threads = 1024;
    char text[16];
    snprintf(text, sizeof(text), "%u", threads);
    setenv("UV_THREADPOOL_SIZE", text, 1);
}

/* glibc raises its mmap threshold each time a large mmapped block is freed
 * (up to 32 MiB), after which image-sized buffers (request bodies, decoded
 * pixels, encodings) come from the heaps of the pool threads' arenas and
 * stay in the process after the job: ten concurrent uploads left 315 MB
 * resident for good. A fixed threshold turns that off, so every buffer of
 * 256 KiB or more is mapped for its lifetime and returned when freed. */
static void tune_allocator(void)
{
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static config_t cfg;
    int rc = cmd_load_config(&cfg);
    if (rc != 0)
        return rc;

    size_thread_pool(&cfg);
    tune_allocator();

    /* A peer that closes while we write must not kill the process. */
    signal(SIGPIPE, SIG_IGN);

    static serve_t s;
    memset(&s, 0, sizeof(s));
    the_serve = &s;
    app_t *app = &s.app;
    char err[512];
    if (app_open(app, uv_default_loop(), &cfg, access_log, 2000, err, sizeof(err)) != 0) {
        fprintf(stderr, "rural24: configuration error: %s\n", err);
        log_event(LOG_FATAL, "configuration error", "error", json_string(err), NULL);
        log_flush();
        return 2;
    }

    /* Signal handlers first: a SIGTERM that arrives the moment the port is
     * open must start a drain, not kill the process. */
    uv_signal_init(app->loop, &s.sigterm);
    uv_signal_init(app->loop, &s.sigint);
    s.sigterm.data = &s;
    s.sigint.data = &s;
    uv_signal_start(&s.sigterm, on_signal, SIGTERM);
    uv_signal_start(&s.sigint, on_signal, SIGINT);

    rc = http_server_listen(app->server, cfg.host, cfg.port);
    if (rc != 0) {
        log_event(LOG_FATAL, "cannot listen", "host", json_string(cfg.host), "port",
                  json_integer(cfg.port), "error", json_string(uv_strerror(rc)), NULL);
        log_flush();
        app_close(app);
        uv_walk(app->loop, close_walk_cb, NULL);
        uv_run(app->loop, UV_RUN_DEFAULT);
        app_free(app);
        (void)uv_loop_close(app->loop);
        return 1;
    }
    log_info("server listening", "host", json_string(cfg.host), "port", json_integer(cfg.port),
             "version", json_string(RURAL24_VERSION), "env",
             json_string(config_app_env_name(cfg.app_env)), "cache",
             json_string(config_cache_type_name(cfg.cache_type)), "rate_limit_store",
             json_string(config_rate_store_name(cfg.rate_limit_store)), "session_store",
             json_string(config_session_store_name(cfg.session_store)), NULL);

    uv_timer_init(app->loop, &s.delay_timer);
    uv_timer_init(app->loop, &s.timeout_timer);
    uv_timer_init(app->loop, &s.jobs_timer);
    s.jobs_waits_left = JOBS_WAIT_MS / JOBS_WAIT_STEP_MS;
    uv_prepare_init(app->loop, &s.log_flusher);
    uv_prepare_start(&s.log_flusher, on_prepare);
    uv_unref((uv_handle_t *)&s.log_flusher);

    uv_run(app->loop, UV_RUN_DEFAULT);

    app_free(app);
    rc = uv_loop_close(app->loop);
    if (rc != 0)
        log_warn("loop closed with handles still open", "error", json_string(uv_strerror(rc)),
                 NULL);
    log_info("exit", "status", json_integer(0), NULL);
    log_flush();
    return 0;
}
