/* If-None-Match against a strong ETag (src/http/etag.c), RFC 9110's weak
 * comparison over a list. */
#include <criterion/criterion.h>

#include "http/etag.h"

static const char TAG[] = "\"0123abcd\"";

Test(etag, matches)
{
    cr_assert(http_etag_none_match("\"0123abcd\"", TAG));
    cr_assert(http_etag_none_match("W/\"0123abcd\"", TAG), "weak comparison");
    cr_assert(http_etag_none_match("\"x\", \"0123abcd\"", TAG));
    cr_assert(http_etag_none_match("\"x\",W/\"0123abcd\" , \"y\"", TAG));
    cr_assert(http_etag_none_match(" \t\"0123abcd\"\t ", TAG));
    cr_assert(http_etag_none_match(", ,\"0123abcd\",", TAG), "empty list elements");
    cr_assert(http_etag_none_match("*", TAG));
    cr_assert(http_etag_none_match(" * ", TAG));
    cr_assert(http_etag_none_match("\"0123abcd\"", "W/\"0123abcd\""));
}

Test(etag, does_not_match)
{
    cr_assert_not(http_etag_none_match(NULL, TAG));
    cr_assert_not(http_etag_none_match("", TAG));
    cr_assert_not(http_etag_none_match("\"0123abc\"", TAG));
    cr_assert_not(http_etag_none_match("\"0123ABCD\"", TAG), "octet for octet");
    cr_assert_not(http_etag_none_match("0123abcd", TAG), "unquoted");
    cr_assert_not(http_etag_none_match("w/\"0123abcd\"", TAG), "W is upper case");
    cr_assert_not(http_etag_none_match("\"\"", TAG));
    cr_assert_not(http_etag_none_match("W/", TAG));
    cr_assert_not(http_etag_none_match("*, \"0123abcd\"", TAG), "* is alone or nothing");
    cr_assert_not(http_etag_none_match("\"0123abcd", TAG), "unterminated");
    cr_assert_not(http_etag_none_match("\"a b\", \"0123abcd\"", TAG), "malformed element first");
    cr_assert_not(http_etag_none_match("\"x\" \"0123abcd\"", TAG), "no comma");
    cr_assert_not(http_etag_none_match("\"0123abcd\"", "not-a-tag"));
}
