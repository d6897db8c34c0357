/* The capacity advisor's decision table (DESIGN.md) over synthetic inputs:
 * under, at and over each threshold; the stage from the configuration; the
 * advice naming the variables; the alarms; the connection arithmetic. */
#include <criterion/criterion.h>
#include <string.h>

#include "obs/advisor.h"
#include "unit/core/leak_check.h"

TestSuite(advisor, .fini = unit_check_no_leaks);

static advisor_inputs_t quiet(void)
{
    advisor_inputs_t in;
    memset(&in, 0, sizeof(in));
    in.cache_miss_rate = 0.1;
    in.db_pool_size = 10;
    in.live_instances = 1;
    return in;
}

static const char *level(json_t *verdict, const char *signal)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(verdict, "signals"), signal), "level"));
}

static bool advice_mentions(json_t *verdict, const char *text)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(verdict, "advice"), i, a)
    {
        if (strstr(json_string_value(a), text) != NULL)
            return true;
    }
    return false;
}

Test(advisor, a_quiet_instance_stays)
{
    advisor_inputs_t in = quiet();
    json_t *v = advisor_evaluate(&in);
    cr_expect_eq(json_integer_value(json_object_get(v, "stage")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(v, "level")), "ok");
    cr_expect(advice_mentions(v, "stay"));
    cr_expect_eq(json_array_size(json_object_get(v, "alarms")), 0);
    json_decref(v);
}

Test(advisor, each_stage2_signal_under_at_and_over_its_thresholds)
{
    advisor_inputs_t in;
    const struct {
        const char *name;
        double *field;
        double warning, critical;
    } cases[6] = {
        {"users_online", &in.users_online, 200, 300},
        {"requests_per_s", &in.requests_per_s, 50, 100},
        {"db_connections_in_use", &in.db_in_use, 30, 40},
        {"p95_ms", &in.p95_ms, 300, 500},
        {"rss_mb", &in.rss_mb, 350, 400},
        {"cache_miss_rate", &in.cache_miss_rate, 0.30, 0.50},
    };
    for (size_t k = 0; k < 6; k++) {
        struct {
            double value;
            const char *level;
        } points[] = {
            {cases[k].warning * 0.9, "ok"},
            {cases[k].warning, "warning"},
            {cases[k].critical, "warning"}, /* "> critical" moves on */
            {cases[k].critical * 1.1, "critical"},
        };
        for (size_t p = 0; p < 4; p++) {
            in = quiet();
            *cases[k].field = points[p].value;
            json_t *v = advisor_evaluate(&in);
            cr_expect_str_eq(level(v, cases[k].name), points[p].level, "%s at %g", cases[k].name,
                             points[p].value);
            if (strcmp(points[p].level, "critical") == 0) {
                cr_expect(advice_mentions(v, "REDIS_ENABLED=true"), "%s: the stage-2 variables",
                          cases[k].name);
                cr_expect(advice_mentions(v, "SESSION_STORE=redis"));
            }
            json_decref(v);
        }
    }
}

Test(advisor, eighty_requests_a_second_over_an_hour_is_a_warning)
{
    advisor_inputs_t in = quiet();
    in.requests_per_s = 20;
    in.requests_per_s_hour = 85;
    json_t *v = advisor_evaluate(&in);
    cr_expect_str_eq(level(v, "requests_per_s"), "warning");
    json_decref(v);
}

Test(advisor, the_stage_follows_the_configuration_and_stage3_signals)
{
    advisor_inputs_t in = quiet();
    in.redis_enabled = true;
    in.redis_stores = true;
    json_t *v = advisor_evaluate(&in);
    cr_expect_eq(json_integer_value(json_object_get(v, "stage")), 2);
    json_decref(v);

    in.users_online = 1200; /* stage 3's 1000 users online */
    v = advisor_evaluate(&in);
    cr_expect_str_eq(level(v, "users_online_stage3"), "critical");
    cr_expect(advice_mentions(v, "DATABASE_REPLICA_URL"));
    json_decref(v);

    in = quiet();
    in.redis_enabled = in.redis_stores = true;
    in.chat_per_minute = 150;
    v = advisor_evaluate(&in);
    cr_expect_str_eq(level(v, "chat_messages_per_minute"), "critical");
    cr_expect(advice_mentions(v, "move to stage 3"));
    json_decref(v);

    in.replica = true;
    v = advisor_evaluate(&in);
    cr_expect_eq(json_integer_value(json_object_get(v, "stage")), 3);
    json_decref(v);
}

Test(advisor, alarms_of_a_hosted_instance)
{
    advisor_inputs_t in = quiet();
    in.cpu_percent = 85;
    in.rss_mb = 460;
    in.error_5xx_rate = 0.03;
    json_t *v = advisor_evaluate(&in);
    cr_expect_eq(json_array_size(json_object_get(v, "alarms")), 3);
    cr_expect_str_eq(json_string_value(json_object_get(v, "level")), "critical");
    json_decref(v);
}

Test(advisor, connection_arithmetic_with_three_live_instances)
{
    advisor_inputs_t in = quiet();
    in.live_instances = 3;
    in.db_pool_size = 30;
    in.db_max_connections = 100; /* 90 of 100: past the 80% warning */
    json_t *v = advisor_evaluate(&in);
    json_t *c = json_object_get(v, "connections");
    cr_expect_eq(json_integer_value(json_object_get(c, "needed")), 90);
    cr_expect_str_eq(json_string_value(json_object_get(c, "level")), "warning");
    cr_expect(advice_mentions(v, "DB_POOL_SIZE"));
    json_decref(v);

    in.db_pool_size = 34; /* 102 >= 100 */
    v = advisor_evaluate(&in);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(v, "connections"), "level")),
                     "critical");
    json_decref(v);

    in.db_pool_size = 10; /* 30 of 100 */
    v = advisor_evaluate(&in);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(v, "connections"), "level")),
                     "ok");
    json_decref(v);
}
