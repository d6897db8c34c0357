/* Addresses and CIDR ranges (TRUST_PROXY, rate-limit keys): both families,
 * IPv4 mapped into IPv6, prefix edges, and the canonical text form. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/netaddr.h"
#include "unit/core/leak_check.h"

TestSuite(netaddr, .fini = unit_check_no_leaks);

static int parse(const char *text, netaddr_t *out)
{
    return netaddr_parse(text, strlen(text), out);
}

static bool in(const char *cidr_text, const char *addr_text)
{
    netaddr_cidr_t cidr;
    netaddr_t a;
    cr_assert_eq(netaddr_cidr_parse(cidr_text, strlen(cidr_text), &cidr), 0, "%s", cidr_text);
    cr_assert_eq(parse(addr_text, &a), 0, "%s", addr_text);
    return netaddr_cidr_contains(&cidr, &a);
}

static void expect_format(const char *text, const char *canonical)
{
    netaddr_t a;
    char out[64];
    cr_assert_eq(parse(text, &a), 0, "%s", text);
    netaddr_format(&a, out, sizeof(out));
    cr_expect_str_eq(out, canonical, "%s", text);
}

Test(netaddr, parses_both_families)
{
    netaddr_t a;
    cr_assert_eq(parse("192.0.2.7", &a), 0);
    cr_expect(a.is_v4);
    static const unsigned char mapped[16] = {0, 0, 0,    0,    0,   0, 0, 0,
                                             0, 0, 0xff, 0xff, 192, 0, 2, 7};
    cr_expect_arr_eq(a.bytes, mapped, 16);

    cr_assert_eq(parse("2001:db8::1", &a), 0);
    cr_expect_not(a.is_v4);
    cr_assert_eq(parse("::ffff:192.0.2.7", &a), 0);
    cr_expect(a.is_v4, "an IPv4-mapped address is IPv4");
    cr_expect_arr_eq(a.bytes, mapped, 16);
}

Test(netaddr, refuses_what_is_not_an_address)
{
    static const char *const bad[] = {"",          "1.2.3",      "1.2.3.4.5", "256.1.1.1",
                                      "1.2.3.4 ",  " 1.2.3.4",   "[::1]",     "::1%eth0x",
                                      "localhost", "1.2.3.4:80", "gggg::1",   "unknown"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        netaddr_t a;
        cr_expect_eq(parse(bad[i], &a), -1, "'%s' was accepted", bad[i]);
    }
    char long_text[100];
    memset(long_text, '1', sizeof(long_text));
    netaddr_t a;
    cr_expect_eq(netaddr_parse(long_text, sizeof(long_text), &a), -1);
}

Test(netaddr, uses_only_len_bytes)
{
    netaddr_t a;
    const char *text = "10.0.0.1, 10.0.0.2";
    cr_assert_eq(netaddr_parse(text, 8, &a), 0);
    char out[64];
    netaddr_format(&a, out, sizeof(out));
    cr_expect_str_eq(out, "10.0.0.1");
}

Test(netaddr, v4_cidr_edges)
{
    cr_expect(in("10.0.0.0/8", "10.255.255.255"));
    cr_expect_not(in("10.0.0.0/8", "11.0.0.0"));
    cr_expect(in("192.168.1.0/25", "192.168.1.127"));
    cr_expect_not(in("192.168.1.0/25", "192.168.1.128"));
    cr_expect(in("203.0.113.5/32", "203.0.113.5"));
    cr_expect_not(in("203.0.113.5/32", "203.0.113.4"));
    cr_expect(in("203.0.113.5", "203.0.113.5"));
    cr_expect(in("0.0.0.0/0", "8.8.8.8"));
    cr_expect_not(in("0.0.0.0/0", "2001:db8::1"), "an IPv4 /0 holds only IPv4");
    cr_expect(in("10.1.2.3/8", "10.9.9.9"), "host bits in the range are ignored");
}

Test(netaddr, v6_cidr_edges)
{
    cr_expect(in("2001:db8::/32", "2001:db8:ffff::1"));
    cr_expect_not(in("2001:db8::/32", "2001:db9::1"));
    cr_expect(in("fe80::/10", "febf::1"));
    cr_expect_not(in("fe80::/10", "fec0::1"));
    cr_expect(in("::1/128", "::1"));
    cr_expect_not(in("::1", "::2"));
    cr_expect(in("::/0", "2001:db8::1"));
    cr_expect(in("::/0", "10.1.1.1"), "an IPv6 /0 holds IPv4-mapped addresses too");
}

Test(netaddr, cidr_refuses_bad_prefixes)
{
    static const char *const bad[] = {"10.0.0.0/33", "::/129",        "10.0.0.0/", "10.0.0.0/-1",
                                      "10.0.0.0/1a", "10.0.0.0/0008", "/8",        "10.0.0.0/8/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        netaddr_cidr_t c;
        cr_expect_eq(netaddr_cidr_parse(bad[i], strlen(bad[i]), &c), -1, "'%s' was accepted",
                     bad[i]);
    }
}

Test(netaddr, format_is_canonical)
{
    expect_format("192.0.2.7", "192.0.2.7");
    expect_format("::ffff:192.0.2.7", "192.0.2.7");
    expect_format("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    expect_format("::1", "::1");
}
