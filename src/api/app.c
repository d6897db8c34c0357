/* Application wiring shared by the handlers: readiness checks and the table
 * of route registrations. */
#include "api/app.h"

#include <stdlib.h>

void app_add_ready_check(app_t *app, const char *name, app_ready_check_fn fn, void *ctx)
{
    if (app->ready_check_count == APP_MAX_READY_CHECKS)
        abort(); /* a programming error: raise APP_MAX_READY_CHECKS */
    app->ready_checks[app->ready_check_count].name = name;
    app->ready_checks[app->ready_check_count].fn = fn;
    app->ready_checks[app->ready_check_count].ctx = ctx;
    app->ready_check_count++;
}

void api_register_routes(app_t *app)
{
    api_health_register(app);
    api_auth_register(app);
    api_me_register(app);
    if (app->config->app_env == APP_ENV_TEST)
        api_testing_db_register(app);
    if (app->config->app_env == APP_ENV_TEST)
        api_testing_store_register(app);
}
