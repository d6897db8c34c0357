/* a malformed REDIS_URL is echoed in the start-up error line, password
 * included (src/core/config.c config_load, the REDIS_URL failure). That line
 * goes to stderr and, as a "configuration error" event, to the JSON log
 * (src/cmd/serve.c), i.e. to whatever collects logs. A URL that is fine except
 * for, say, the database number leaks the Redis password. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/config.h"

static const char *test_getenv(const char *name, void *user_data)
{
    (void)user_data;
    if (strcmp(name, "REDIS_URL") == 0)
        return "redis://:Sup3rS3cretRedisPw@redis.internal:6379/16"; /* db 16: out of range */
    return NULL;
}

Test(config_secret, redis_url_error_does_not_print_the_password)
{
    config_t cfg;
    char err[512];
    cr_assert_neq(config_load(&cfg, test_getenv, NULL, err, sizeof(err)), 0);
    cr_expect_null(strstr(err, "Sup3rS3cretRedisPw"), "the error line carries the password: %s",
                   err);
}
