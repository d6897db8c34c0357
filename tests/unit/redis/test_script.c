/* Pure parts of the redis layer: the script SHA1 that EVALSHA sends, the error
 * table, the option defaults. */
#include <criterion/criterion.h>
#include <string.h>

#include "redis/redis.h"
#include "unit/core/leak_check.h"

TestSuite(redis, .fini = unit_check_no_leaks);

Test(redis, script_sha1_matches_redis)
{
    /* Redis computes the same: SCRIPT LOAD "return 1" answers this SHA. */
    redis_script_t script;
    redis_script_init(&script, "return 1");
    cr_assert_str_eq(script.sha1_hex, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    cr_assert_str_eq(script.source, "return 1");
}

Test(redis, errors_come_from_one_table)
{
    cr_assert_str_eq(redis_strerror(REDIS_E_DOWN), "redis is not connected");
    cr_assert_str_eq(redis_strerror(REDIS_E_TIMEOUT), "redis command timed out");
    cr_assert_str_eq(redis_strerror(12345), "unknown error");
    cr_assert_str_eq(redis_state_name(REDIS_STATE_UP), "up");
    cr_assert_str_eq(redis_state_name(REDIS_STATE_DOWN), "down");
}

Test(redis, option_defaults)
{
    redis_options_t opts;
    redis_options_init(&opts, "127.0.0.1", 6379);
    cr_assert_eq(opts.port, 6379);
    cr_assert_eq(opts.command_timeout_ms, 500);
    cr_assert_eq(opts.connect_timeout_ms, 1000);
    cr_assert_leq(opts.reconnect_min_ms, opts.reconnect_max_ms);
    cr_assert_gt(opts.max_pending, 0);
}
