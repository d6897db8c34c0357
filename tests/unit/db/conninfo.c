/* Connection strings: what start-up refuses (one line naming the variable,
 * no password in it), and when the host must be resolved off the loop. */
#include <criterion/criterion.h>
#include <string.h>

#include "../core/leak_check.h"
#include "db/db.h"
#include "db/internal.h"

TestSuite(db_conninfo, .fini = unit_check_no_leaks);

static int check(const char *url, char *err, size_t size)
{
    err[0] = '\0';
    return db_check_url("DATABASE_URL", url, err, size);
}

Test(db_conninfo, valid_urls_and_keyword_strings)
{
    char err[256];
    const char *ok[] = {
        "postgresql://rural24@127.0.0.1:54320/rural24",
        "postgres://u:p@db.internal/app?sslmode=require&connect_timeout=5",
        "postgresql:///rural24?host=/var/run/postgresql",
        "postgresql://h1:5432,h2:5433/db?target_session_attrs=read-write",
        "host=127.0.0.1 port=5432 dbname=x user=y",
        "postgresql://[::1]:5432/db",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_assert_eq(check(ok[i], err, sizeof(err)), 0, "%s: %s", ok[i], err);
}

Test(db_conninfo, broken_urls_are_one_line_naming_the_variable)
{
    char err[256];
    const char *bad[] = {
        "postgresql://127.0.0.1:notaport/db",
        "postgresql://127.0.0.1:99999/db",
        "postgresql://127.0.0.1/db?bogus_option=1",
        "postgresql://127.0.0.1/db?sslmode=sometimes",
        "postgresql://[::1/db",
        "host=x connect_timeout=soon",
        "postgresql://127.0.0.1/db?target_session_attrs=whatever",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(check(bad[i], err, sizeof(err)), -1, "%s accepted", bad[i]);
        cr_assert(strncmp(err, "DATABASE_URL: ", 14) == 0, "%s -> %s", bad[i], err);
        cr_assert_null(strchr(err, '\n'), "one line: %s", err);
    }
}

Test(db_conninfo, the_password_never_appears_in_the_message)
{
    char err[512];
    cr_assert_eq(check("postgresql://user:s3cretpw@[::1/db", err, sizeof(err)), -1);
    cr_assert_null(strstr(err, "s3cretpw"), "%s", err);
}

static const char *resolve_host_of(const char *url)
{
    static char host[256];
    db__conninfo_t ci;
    char err[256];
    cr_assert_eq(db__conninfo_parse("X", url, &ci, err, sizeof(err)), 0, "%s", err);
    if (ci.resolve_host == NULL) {
        db__conninfo_free(&ci);
        return NULL;
    }
    strncpy(host, ci.resolve_host, sizeof(host) - 1);
    db__conninfo_free(&ci);
    return host;
}

Test(db_conninfo, host_names_are_resolved_by_us_ip_addresses_are_not)
{
    cr_assert_str_eq(resolve_host_of("postgresql://u@db.internal:5432/x"), "db.internal");
    cr_assert_str_eq(resolve_host_of("host=localhost dbname=x"), "localhost");
    cr_assert_null(resolve_host_of("postgresql://u@127.0.0.1:5432/x"));
    cr_assert_null(resolve_host_of("postgresql://u@[::1]:5432/x"));
    cr_assert_null(resolve_host_of("host=/var/run/postgresql dbname=x"));
    cr_assert_null(resolve_host_of("postgresql:///x"));
    cr_assert_null(resolve_host_of("host=db.internal hostaddr=10.0.0.5 dbname=x"));
    cr_assert_null(resolve_host_of("postgresql://a,b/x"), "host lists are libpq's");
}

Test(db_conninfo, fill_overrides_host_and_adds_defaults)
{
    db__conninfo_t ci;
    char err[256];
    cr_assert_eq(
        db__conninfo_parse("X", "postgresql://u@db.internal:6432/app", &ci, err, sizeof(err)), 0);
    const char *kw[32], *val[32];
    db__conninfo_fill(&ci, "db.internal,db.internal", "10.0.0.1,10.0.0.2", kw, val);
    bool saw_host = false, saw_hostaddr = false, saw_app = false, saw_gss = false;
    int n = 0;
    for (; kw[n] != NULL; n++) {
        if (strcmp(kw[n], "host") == 0) {
            cr_assert_str_eq(val[n], "db.internal,db.internal");
            cr_assert_not(saw_host, "host once");
            saw_host = true;
        }
        if (strcmp(kw[n], "hostaddr") == 0) {
            cr_assert_str_eq(val[n], "10.0.0.1,10.0.0.2");
            saw_hostaddr = true;
        }
        if (strcmp(kw[n], "fallback_application_name") == 0)
            saw_app = strcmp(val[n], "rural24") == 0;
        if (strcmp(kw[n], "gssencmode") == 0)
            saw_gss = strcmp(val[n], "disable") == 0;
    }
    cr_assert(saw_host && saw_hostaddr && saw_app && saw_gss);
    cr_assert_leq(n, ci.count + DB__CONNINFO_EXTRA);
    db__conninfo_free(&ci);
}

Test(db_conninfo, one_line_collapses_libpq_messages)
{
    char out[128];
    db__one_line("connection to server failed: Connection refused\n\tIs the server running?\n", out,
                 sizeof(out));
    cr_assert_str_eq(out, "connection to server failed: Connection refused Is the server running?");
    db__one_line(NULL, out, sizeof(out));
    cr_assert_str_eq(out, "");
}
