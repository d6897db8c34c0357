/* The strict HTTP/1.1 rules (http/strict.h), one test per rule: the byte
 * scanner over heads and chunk framing, fed whole and one byte at a time
 * (its state must carry across reads), and the field rules. */
#include <criterion/criterion.h>
#include <string.h>

#include "http/strict.h"
#include "unit/core/leak_check.h"

TestSuite(strict, .fini = unit_check_no_leaks);

/* Scans a head whole and byte by byte; both must agree. */
static http_strict_error_t scan_head(const char *raw)
{
    http_strict_t s;
    size_t bad;
    http__strict_begin_head(&s);
    http_strict_error_t whole = http__strict_scan(&s, raw, strlen(raw), &bad);
    http__strict_begin_head(&s);
    http_strict_error_t split = HTTP_STRICT_OK;
    for (size_t i = 0; raw[i] != '\0' && split == HTTP_STRICT_OK; i++)
        split = http__strict_scan(&s, raw + i, 1, &bad);
    cr_expect_eq(whole, split, "whole and split scans agree on %s", raw);
    return whole;
}

/* Scans a chunked body as the server does: after the head's last LF. */
static http_strict_error_t scan_chunked(const char *body)
{
    http_strict_t s;
    size_t bad;
    http__strict_begin_chunked(&s);
    if (http__strict_scan(&s, "\n", 1, &bad) != HTTP_STRICT_OK)
        return HTTP_STRICT_BARE_CR;
    http_strict_error_t whole = http__strict_scan(&s, body, strlen(body), &bad);
    http__strict_begin_chunked(&s);
    (void)http__strict_scan(&s, "\n", 1, &bad);
    http_strict_error_t split = HTTP_STRICT_OK;
    for (size_t i = 0; body[i] != '\0' && split == HTTP_STRICT_OK; i++)
        split = http__strict_scan(&s, body + i, 1, &bad);
    cr_expect_eq(whole, split, "whole and split scans agree on %s", body);
    return whole;
}

Test(strict, a_good_head_passes_and_the_scan_stops_at_its_end)
{
    cr_expect_eq(scan_head("GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-Y: a b\t c\r\n\r\n"),
                 HTTP_STRICT_OK);
    cr_expect_eq(scan_head("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), HTTP_STRICT_OK,
                 "empty lines before a request are allowed");
    http_strict_t s;
    size_t bad;
    http__strict_begin_head(&s);
    const char *raw = "GET / HTTP/1.1\r\n\r\nbody\n\n \r";
    cr_expect_eq(http__strict_scan(&s, raw, strlen(raw), &bad), HTTP_STRICT_OK);
    cr_expect_eq(bad, strlen("GET / HTTP/1.1\r\n\r\n"), "what follows the head is not scanned");
}

Test(strict, more_than_one_space_in_the_request_line)
{
    cr_expect_eq(scan_head("GET  /a HTTP/1.1\r\n\r\n"), HTTP_STRICT_REQUEST_LINE_SPACES);
    cr_expect_eq(scan_head("GET /a  HTTP/1.1\r\n\r\n"), HTTP_STRICT_REQUEST_LINE_SPACES);
    cr_expect_eq(scan_head(" GET /a HTTP/1.1\r\n\r\n"), HTTP_STRICT_REQUEST_LINE_SPACES);
    cr_expect_eq(scan_head("GET /a HTTP/1.1 \r\n\r\n"), HTTP_STRICT_REQUEST_LINE_SPACES);
    cr_expect_eq(scan_head("GET\t/a HTTP/1.1\r\n\r\n"), HTTP_STRICT_REQUEST_LINE_SPACES);
    cr_expect_eq(scan_head("GET /a b HTTP/1.1\r\n\r\n"), HTTP_STRICT_REQUEST_LINE_SPACES);
}

Test(strict, bare_lf_line_ends)
{
    cr_expect_eq(scan_head("GET / HTTP/1.1\nHost: x\r\n\r\n"), HTTP_STRICT_BARE_LF);
    cr_expect_eq(scan_head("GET / HTTP/1.1\r\nX-Foo: a\nContent-Length: 5\r\n\r\n"),
                 HTTP_STRICT_BARE_LF);
    cr_expect_eq(scan_head("GET / HTTP/1.1\r\nHost: x\r\n\n"), HTTP_STRICT_BARE_LF);
}

Test(strict, bare_cr_line_ends)
{
    cr_expect_eq(scan_head("GET / HTTP/1.1\rHost: x\r\n\r\n"), HTTP_STRICT_BARE_CR);
    cr_expect_eq(scan_head("GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n"), HTTP_STRICT_BARE_CR);
    cr_expect_eq(scan_head("GET / HTTP/1.1\r\nHost: x\r\n\rX"), HTTP_STRICT_BARE_CR);
}

Test(strict, obs_fold)
{
    cr_expect_eq(scan_head("GET / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"),
                 HTTP_STRICT_OBS_FOLD);
    cr_expect_eq(scan_head("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"), HTTP_STRICT_OBS_FOLD);
}

Test(strict, chunk_sizes)
{
    cr_expect_eq(scan_chunked("5\r\nhello\r\n0\r\n\r\n"), HTTP_STRICT_OK);
    cr_expect_eq(scan_chunked("5;ext=1\r\nhello\r\na ;x\r\n0123456789\r\n0\r\n\r\n"),
                 HTTP_STRICT_OK, "extensions, with blanks before the ';'");
    cr_expect_eq(scan_chunked("5 \r\nhello\r\n0\r\n\r\n"), HTTP_STRICT_CHUNK_SIZE);
    cr_expect_eq(scan_chunked("5x\r\nhello\r\n0\r\n\r\n"), HTTP_STRICT_CHUNK_SIZE);
    cr_expect_eq(scan_chunked("5 junk\r\nhello\r\n0\r\n\r\n"), HTTP_STRICT_CHUNK_SIZE);
    cr_expect_eq(scan_chunked("\r\nhello\r\n"), HTTP_STRICT_CHUNK_SIZE);
    cr_expect_eq(scan_chunked("fffffffffffffffff\r\n"), HTTP_STRICT_CHUNK_SIZE);
    cr_expect_eq(scan_chunked("5\nhello\r\n"), HTTP_STRICT_BARE_LF);
    cr_expect_eq(scan_chunked("5\r\nhelloX\r\n"), HTTP_STRICT_CHUNK_DATA_END);
}

Test(strict, chunked_trailers)
{
    cr_expect_eq(scan_chunked("5\r\nhello\r\n0\r\nX-Sum: abc\r\nX-Other: d\r\n\r\n"),
                 HTTP_STRICT_OK, "trailer fields");
    cr_expect_eq(scan_chunked("5\r\nhello\r\n0\r\nX-Sum: a\r\n folded\r\n\r\n"),
                 HTTP_STRICT_OBS_FOLD);
    cr_expect_eq(scan_chunked("5\r\nhello\r\n0\r\nX-Sum: a\nX-B: b\r\n\r\n"), HTTP_STRICT_BARE_LF);
    cr_expect_eq(scan_chunked("5\r\nhello\r\n0\r\nX-Sum: a\rX-B: b\r\n\r\n"), HTTP_STRICT_BARE_CR);
    cr_expect_eq(scan_chunked("5\r\nhello\r\n0\r\n\n"), HTTP_STRICT_BARE_LF,
                 "the empty line ending the trailers");
    /* The scan stops at the end of the trailers: what follows is the next
     * request's, scanned from its start. */
    http_strict_t st;
    size_t bad;
    http__strict_begin_chunked(&st);
    const char *raw = "\n0\r\n\r\nGET / HTTP/1.1\n";
    cr_expect_eq(http__strict_scan(&st, raw, strlen(raw), &bad), HTTP_STRICT_OK);
    cr_expect_eq(bad, strlen("\n0\r\n\r\n"));
}

/* A request of the given header lines, for the field rules. */
static http_strict_error_t fields(unsigned minor, size_t n, const char *const *lines)
{
    http_header_t headers[8];
    for (size_t i = 0; i < n; i++) {
        headers[i].name = (char *)lines[2 * i];
        headers[i].value = (char *)lines[2 * i + 1];
    }
    http_request_t req;
    memset(&req, 0, sizeof(req));
    req.headers = headers;
    req.header_count = n;
    return http__strict_fields(&req, minor);
}

Test(strict, host_on_http_1_1)
{
    const char *good[] = {"Host", "rural24.com.ar:8080"};
    cr_expect_eq(fields(1, 1, good), HTTP_STRICT_OK);
    const char *v6[] = {"host", "[::1]:3000"};
    cr_expect_eq(fields(1, 1, v6), HTTP_STRICT_OK);
    const char *empty[] = {"Host", ""};
    cr_expect_eq(fields(1, 1, empty), HTTP_STRICT_OK);
    cr_expect_eq(fields(1, 0, NULL), HTTP_STRICT_HOST_MISSING);
    cr_expect_eq(fields(0, 0, NULL), HTTP_STRICT_OK, "HTTP/1.0 may leave it out");
    const char *doubled[] = {"Host", "a", "HOST", "a"};
    cr_expect_eq(fields(1, 2, doubled), HTTP_STRICT_HOST_REPEATED);
    const char *spaced[] = {"Host", "a b"};
    cr_expect_eq(fields(1, 1, spaced), HTTP_STRICT_HOST_MALFORMED);
    const char *at[] = {"Host", "user@a"};
    cr_expect_eq(fields(1, 1, at), HTTP_STRICT_HOST_MALFORMED);
    const char *port[] = {"Host", "a:80x"};
    cr_expect_eq(fields(1, 1, port), HTTP_STRICT_HOST_MALFORMED);
    const char *bracket[] = {"Host", "[::1"};
    cr_expect_eq(fields(1, 1, bracket), HTTP_STRICT_HOST_MALFORMED);
}

Test(strict, repeated_singletons)
{
    static const char *const names[] = {"Authorization", "Content-Type", "Origin"};
    for (size_t i = 0; i < 3; i++) {
        const char *lines[] = {"Host", "a", names[i], "x", names[i], "y"};
        cr_expect_eq(fields(1, 3, lines), HTTP_STRICT_FIELD_REPEATED, "%s", names[i]);
    }
    const char *fine[] = {"Host", "a", "Accept", "x", "Accept", "y"};
    cr_expect_eq(fields(1, 3, fine), HTTP_STRICT_OK, "other fields may repeat");
}

Test(strict, error_names)
{
    cr_expect_str_eq(http__strict_error_name(HTTP_STRICT_OBS_FOLD), "obs_fold");
    cr_expect_str_eq(http__strict_error_name(HTTP_STRICT_OK), "ok");
}
