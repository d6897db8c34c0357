/* Names and emails (api/validate.h): Unicode white space trimmed, control
 * characters and direction overrides refused, NFC; an ASCII local part and
 * an internationalised domain stored as its ASCII form. */
#include <criterion/criterion.h>
#include <string.h>

#include "api/validate.h"
#include "unit/core/leak_check.h"

static arena_t arena;

static void setup(void)
{
    arena_init(&arena);
}

static void teardown(void)
{
    arena_free(&arena);
    unit_check_no_leaks();
}

TestSuite(validate, .init = setup, .fini = teardown);

Test(validate, names_are_trimmed_of_unicode_spaces)
{
    size_t chars;
    cr_expect_str_eq(api_clean_text(&arena, "\xc2\xa0\xe3\x80\x80 Ana \xe2\x80\x8b", &chars),
                     "Ana");
    cr_expect_eq(chars, 3);
    const char *only_spaces = api_clean_text(&arena, "\xc2\xa0\xe3\x80\x80\xe2\x80\x8b", &chars);
    cr_assert_not_null(only_spaces);
    cr_expect_eq(chars, 0, "a name of U+00A0, U+3000 and U+200B is empty");
}

Test(validate, control_characters_and_bidi_overrides_are_refused)
{
    cr_expect_null(api_clean_text(&arena, "Ana\x07", NULL));
    cr_expect_null(api_clean_text(&arena, "Ana\nPaz", NULL));
    cr_expect_null(api_clean_text(&arena, "A\xc2\x85na", NULL), "C1 control U+0085");
    cr_expect_null(api_clean_text(&arena,
                                  "\xe2\x80\xae"
                                  "anA",
                                  NULL),
                   "U+202E RLO");
    cr_expect_null(api_clean_text(&arena,
                                  "a\xe2\x81\xa6"
                                  "b",
                                  NULL),
                   "U+2066 LRI");
    cr_expect_not_null(api_clean_text(&arena, "José María", NULL));
}

Test(validate, names_are_stored_in_nfc)
{
    /* "José" with a combining acute accent becomes the precomposed é. */
    size_t chars;
    cr_expect_str_eq(api_clean_text(&arena, "Jose\xcc\x81", &chars), "Jos\xc3\xa9");
    cr_expect_eq(chars, 4);
}

Test(validate, emails)
{
    cr_expect_str_eq(api_email_normalize(&arena, "Ana@Example.COM"), "ana@example.com");
    cr_expect_str_eq(api_email_normalize(&arena, "ana@campo\xc3\xb1"
                                                 "and\xc3\xba.com.ar"),
                     "ana@xn--campoand-h3a7g.com.ar", "an IDN domain in its ASCII form");
    cr_expect_null(api_email_normalize(&arena, "an\xc3\xa1@example.com"), "non-ASCII local part");
    cr_expect_null(api_email_normalize(&arena, "\xef\xbd\x81"
                                               "na@example.com"),
                   "a full-width letter in the local part");
    const char *fw = api_email_normalize(&arena, "ana@\xef\xbd\x85xample.com");
    cr_expect(fw == NULL || strcmp(fw, "ana@example.com") == 0,
              "a full-width domain is refused or maps to the ASCII one: %s", fw ? fw : "(null)");
    cr_expect_null(api_email_normalize(&arena, "ana@@example.com"));
    cr_expect_null(api_email_normalize(&arena, "ana@example"));
}
