/* Shared by the core and http unit tests: every test ends by checking that
 * nothing it allocated leaked (libuv's MAKE_VALGRIND_HAPPY).
 *
 * Criterion runs each test in its own process, so LeakSanitizer's report at
 * exit would only be printed, not counted. Instead each suite's .fini asks
 * LeakSanitizer for a check while the test's process is still alive and
 * aborts it when something leaked, which makes the test binary fail with the
 * leak report and the test's name ("crashed during its setup or teardown").
 *
 * Use: TestSuite(name, .fini = unit_check_no_leaks); */
#ifndef RURAL24_TESTS_UNIT_LEAK_CHECK_H
#define RURAL24_TESTS_UNIT_LEAK_CHECK_H

#include <stdio.h>
#include <stdlib.h>

/* GCC says __SANITIZE_ADDRESS__; older clang only answers __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define UNIT_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNIT_HAVE_LSAN 1
#endif
#endif
#ifdef UNIT_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static inline void unit_check_no_leaks(void)
{
#ifdef UNIT_HAVE_LSAN
    if (__lsan_do_recoverable_leak_check() != 0) {
        fprintf(stderr, "unit test leaked memory (see the LeakSanitizer report above)\n");
        abort();
    }
#endif
}

#endif
