/* libFuzzer target: arbitrary bytes through the server's connection code —
 * parse → limits → route → middleware (auth, rate limit) → handler → respond
 * — without a socket.
 *
 * The application is the real one (app_open), configured with CORS and
 * TRUST_PROXY so those paths are reached too, and a database that cannot be
 * reached (a Unix socket that does not exist: no network), so handlers that
 * need it answer 503 after their validation ran. After each input the loop
 * runs until no request is left in flight (a registration hashes its password
 * on the thread pool first), so every request is answered and freed; ASan and
 * UBSan catch memory and arithmetic errors, LeakSanitizer leaks. */
#include "api/app.h"
#include "core/config.h"
#include "core/log.h"
#include "http/server.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static app_t app;
static config_t cfg;
static bool ready;

static const char *fuzz_env(const char *name, void *user_data)
{
    (void)user_data;
    static const char *const env[][2] = {
        {"FRONTEND_URL", "http://app.example"},
        {"TRUST_PROXY", "127.0.0.1/8,::1"},
        {"LOG_LEVEL", "error"},
        {"DATABASE_URL", "postgresql:///rural24?host=/nonexistent-rural24-fuzz"},
        {"DB_ACQUIRE_TIMEOUT_MS", "1"},
        {"JWT_SECRET", "fuzz-secret-fuzz-secret-fuzz-secret!!"},
    };
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
        if (strcmp(name, env[i][0]) == 0)
            return env[i][1];
    }
    return NULL;
}

static void setup(void)
{
    char err[256];
    if (sodium_init() < 0 || config_load(&cfg, fuzz_env, NULL, err, sizeof(err)) != 0)
        abort();
    log_set_level(LOG_FATAL);
    if (app_open(&app, uv_default_loop(), &cfg, NULL, 0, err, sizeof(err)) != 0)
        abort();
    ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        setup();
    size_t out_len = 0;
    char *out = http_server_feed_fake(app.server, data, size, &out_len);
    /* Every answer starts with a status line. */
    if (out_len > 0 && memcmp(out, "HTTP/1.1 ", 9) != 0)
        abort();
    free(out);
    http_server_stats_t stats;
    http_server_get_stats(app.server, &stats);
    while (stats.requests_in_flight > 0) {
        uv_run(app.loop, UV_RUN_ONCE);
        http_server_get_stats(app.server, &stats);
    }
    return 0;
}
