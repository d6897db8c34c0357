/* The web app's pure rules (src/api/web.c): which paths try to leave the
 * folder, which coding an Accept-Encoding picks, which names carry a content
 * hash, MIME types; and loading a folder: variants attached, links out of it
 * and hidden files skipped, the size cap. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/web.h"

Test(web_path, plain_paths_stay_inside)
{
    const char *ok[] = {"",          "index.html", "assets/app.0123abcd.js",
                        "buscar",    "avisos/123", "a/b/",
                        "..a",       "a..",        "...",
                        "caf%C3%A9", "50%25",      "%zz",
                        "a%2fb"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_expect(!web_path_escapes(ok[i]), "'%s' is inside", ok[i]);
}

Test(web_path, dot_segments_raw_encoded_and_double_encoded_escape)
{
    const char *bad[] = {
        "..",
        "../etc/passwd",
        "assets/../../etc/passwd",
        "a/..",
        "./index.html",
        "a/./b",
        "%2e%2e/etc",
        "%2E%2E%2Fetc",
        "..%2f..%2fetc%2fpasswd",
        "%2e./x",
        ".%2e/x",
        "%252e%252e/x",
        "%25252e%25252e/x",
        "%2525252e%2525252e/x",
        "..\\..\\etc",
        "..%5c..%5cetc",
        "..%255cetc",
        "x%00y",
        "x%2500y",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect(web_path_escapes(bad[i]), "'%s' escapes", bad[i]);
}

/* A file with every variant, and one with the identity only. */
static unsigned char byte;
static web_file_t all = {.variants = {{&byte, 1, ""}, {&byte, 1, ""}, {&byte, 1, ""}}};
static web_file_t gzip_only = {.variants = {{&byte, 1, ""}, {&byte, 1, ""}, {NULL, 0, ""}}};

Test(web_coding, q_values_and_preferences)
{
    struct {
        const char *accept;
        web_coding_t want;
    } cases[] = {
        {NULL, WEB_IDENTITY},
        {"", WEB_IDENTITY},
        {"br", WEB_BR},
        {"gzip", WEB_GZIP},
        {"gzip, br", WEB_BR},
        {"br, gzip", WEB_BR},
        {"gzip;q=1, br;q=0.9", WEB_GZIP},
        {"br;q=0", WEB_IDENTITY},
        {"br;q=0, gzip;q=0.001", WEB_GZIP},
        {"*", WEB_BR},
        {"*;q=0", WEB_IDENTITY},
        {"*;q=0.5, br;q=0", WEB_GZIP},
        {"identity;q=1, gzip;q=0.5", WEB_IDENTITY},
        {"gzip;q=0.5, identity;q=0.4", WEB_GZIP},
        {"x-gzip", WEB_GZIP},
        {"  BR ; Q=0.7 ,gzip;q=0.6", WEB_BR},
        {"br;q=2", WEB_IDENTITY},
        {"br;q=0.1234", WEB_IDENTITY},
        {"br;q=", WEB_IDENTITY},
        {"deflate, compress", WEB_IDENTITY},
        {",,, br", WEB_BR},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(web_pick_coding(cases[i].accept, &all), cases[i].want, "'%s': %d, want %d",
                     cases[i].accept ? cases[i].accept : "(none)",
                     web_pick_coding(cases[i].accept, &all), cases[i].want);
}

Test(web_coding, only_built_variants_are_chosen)
{
    cr_expect_eq(web_pick_coding("br", &gzip_only), WEB_IDENTITY);
    cr_expect_eq(web_pick_coding("br, gzip", &gzip_only), WEB_GZIP);
    cr_expect_eq(web_pick_coding("br;q=1, gzip;q=0.1", &gzip_only), WEB_GZIP);
}

Test(web_names, fingerprints_and_types)
{
    cr_expect(web_name_is_fingerprinted("assets/app.0123abcd.js"));
    cr_expect(web_name_is_fingerprinted("app.0123456789abcdef.css"));
    cr_expect(web_name_is_fingerprinted("a.b.deadbeef00.js.map"));
    cr_expect(!web_name_is_fingerprinted("app.js"));
    cr_expect(!web_name_is_fingerprinted("index.html"));
    cr_expect(!web_name_is_fingerprinted("app.0123ABCD.js"), "lowercase hex only");
    cr_expect(!web_name_is_fingerprinted("app.0123abc.js"), "at least 8 digits");
    cr_expect(!web_name_is_fingerprinted("0123abcd.js"), "a name before the hash");
    cr_expect(!web_name_is_fingerprinted("assets.0123abcd/app.js"));
    cr_expect_str_eq(web_mime_type("index.html"), "text/html; charset=utf-8");
    cr_expect_str_eq(web_mime_type("a/app.1.js"), "text/javascript; charset=utf-8");
    cr_expect_str_eq(web_mime_type("x.CSS"), "text/css; charset=utf-8");
    cr_expect_str_eq(web_mime_type("m.webmanifest"), "application/manifest+json");
    cr_expect_str_eq(web_mime_type("f.woff2"), "font/woff2");
    cr_expect_str_eq(web_mime_type("favicon.ico"), "image/x-icon");
    cr_expect_str_eq(web_mime_type("README"), "application/octet-stream");
    cr_expect_str_eq(web_mime_type(".html"), "application/octet-stream");
}

/* ---- loading ------------------------------------------------------------ */

static char dir[64];

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void make_dir(void)
{
    cr_assert(sodium_init() >= 0);
    snprintf(dir, sizeof(dir), "/tmp/rural24-web-unit-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(web_load, .init = make_dir, .fini = remove_dir);

Test(web_load, files_variants_links_and_hidden_names)
{
    char sub[128], link[128];
    snprintf(sub, sizeof(sub), "%s/assets", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    put("index.html", "<html></html>");
    put("index.html.gz", "gz");
    put("index.html.br", "br");
    put("assets/app.0123abcd.js", "js");
    put("assets/app.0123abcd.js.gz", "jsgz");
    put("alone.txt.br", "orphan");
    put(".env", "SECRET");
    put("bad name.txt", "x");
    snprintf(link, sizeof(link), "%s/passwd", dir);
    cr_assert_eq(symlink("/etc/passwd", link), 0);
    snprintf(link, sizeof(link), "%s/alias.html", dir);
    cr_assert_eq(symlink("index.html", link), 0);

    web_t web;
    char err[256] = "";
    cr_assert_eq(web_load(&web, dir, err, sizeof(err)), 0, "%s", err);
    cr_expect(web.loaded);
    cr_expect_eq(web.count, 3, "index.html, alias.html, assets/app.0123abcd.js");
    const web_file_t *index = web_find(&web, "index.html");
    cr_assert_not_null(index);
    cr_expect_eq(web.index, index);
    cr_expect(index->html);
    cr_expect(!index->immutable);
    cr_expect_eq(index->variants[WEB_GZIP].len, 2);
    cr_expect_eq(memcmp(index->variants[WEB_BR].bytes, "br", 2), 0);
    cr_expect_eq(strlen(index->variants[WEB_IDENTITY].etag), 66);
    cr_expect_neq(strcmp(index->variants[WEB_IDENTITY].etag, index->variants[WEB_GZIP].etag), 0);
    const web_file_t *js = web_find(&web, "assets/app.0123abcd.js");
    cr_assert_not_null(js);
    cr_expect(js->immutable);
    cr_expect_null(js->variants[WEB_BR].bytes);
    cr_expect_not_null(web_find(&web, "alias.html"));
    cr_expect_null(web_find(&web, "passwd"));
    cr_expect_null(web_find(&web, ".env"));
    cr_expect_null(web_find(&web, "alone.txt"));
    cr_expect_null(web_find(&web, "alone.txt.br"));
    cr_expect_eq(web.total_bytes, 13 + 2 + 2 + 2 + 4 + 13);
    web_free(&web);
}

Test(web_load, missing_folder_is_not_an_error)
{
    web_t web;
    char err[256] = "";
    cr_expect_eq(web_load(&web, "/nonexistent/rural24/web", err, sizeof(err)), 0);
    cr_expect(!web.loaded);
    cr_expect_null(web_find(&web, "index.html"));
    web_free(&web);
    cr_expect_eq(web_load(&web, "", err, sizeof(err)), 0);
    cr_expect(!web.loaded);
    web_free(&web);
}

Test(web_load, over_the_size_cap_is_refused)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/big.bin", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), WEB_MAX_BYTES + 1), 0);
    fclose(f);
    web_t web;
    char err[256] = "";
    cr_expect_eq(web_load(&web, dir, err, sizeof(err)), -1);
    cr_expect(strstr(err, "16 MiB") != NULL, "%s", err);
    web_free(&web);
}
