/* libFuzzer target: arbitrary bytes through the server's connection code —
 * parse → limits → route → middleware → respond — without a socket.
 *
 * The server is built once with the real routes (health, ready) and a
 * configuration that sets CORS and TRUST_PROXY so those paths are reached too.
 * Every input runs on a fresh fake connection; ASan/UBSan catch memory and
 * arithmetic errors, and LeakSanitizer leaks across runs. */
#include "api/app.h"
#include "core/config.h"
#include "core/log.h"
#include "http/server.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static app_t app;
static config_t cfg;

static const char *fuzz_env(const char *name, void *user_data)
{
    (void)user_data;
    if (strcmp(name, "FRONTEND_URL") == 0)
        return "http://app.example";
    if (strcmp(name, "TRUST_PROXY") == 0)
        return "127.0.0.1/8,::1";
    if (strcmp(name, "LOG_LEVEL") == 0)
        return "error";
    return NULL;
}

static void setup(void)
{
    char err[256];
    if (config_load(&cfg, fuzz_env, NULL, err, sizeof(err)) != 0)
        abort();
    log_set_level(LOG_ERROR);
    app.config = &cfg;
    app.loop = uv_default_loop();
    app.router = http_router_new();
    api_register_routes(&app);
    http_server_opts_t opts = {.config = &cfg, .router = app.router, .app = &app};
    app.server = http_server_new(app.loop, &opts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (app.server == NULL)
        setup();
    size_t out_len = 0;
    char *out = http_server_feed_fake(app.server, data, size, &out_len);
    /* Every answer starts with a status line. */
    if (out_len > 0 && memcmp(out, "HTTP/1.1 ", 9) != 0)
        abort();
    free(out);
    return 0;
}
