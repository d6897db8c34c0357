/* The per-address connection table (http/peers.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "http/peers.h"
#include "unit/core/leak_check.h"

TestSuite(peers, .fini = unit_check_no_leaks);

static netaddr_t addr(const char *text)
{
    netaddr_t a;
    cr_assert_eq(netaddr_parse(text, strlen(text), &a), 0, "%s", text);
    return a;
}

Test(peers, caps_each_address_and_frees_entries_with_the_last_connection)
{
    http_peers_t peers;
    http__peers_init(&peers, 4);
    netaddr_t a = addr("203.0.113.7"), b = addr("203.0.113.8");
    http_peer_t *held[3];
    for (int i = 0; i < 3; i++)
        cr_assert_not_null(held[i] = http__peers_acquire(&peers, &a, 3));
    cr_expect_null(http__peers_acquire(&peers, &a, 3), "a fourth from the same address");
    cr_expect_not_null(http__peers_acquire(&peers, &b, 3), "another address is not affected");
    cr_expect_eq(http__peers_count(&peers, &a), 3);
    http__peers_release(&peers, held[0]);
    cr_expect_not_null(held[0] = http__peers_acquire(&peers, &a, 3), "room again");
    for (int i = 0; i < 3; i++)
        http__peers_release(&peers, held[i]);
    cr_expect_eq(http__peers_count(&peers, &a), 0);
    cr_expect_eq(peers.entries, 1, "only b's entry is left");
    http__peers_free(&peers);
}

Test(peers, ipv6_counts_per_64)
{
    http_peers_t peers;
    http__peers_init(&peers, 4);
    netaddr_t a = addr("2001:db8:1:2::1"), b = addr("2001:db8:1:2:ffff::9");
    netaddr_t c = addr("2001:db8:1:3::1");
    cr_assert_not_null(http__peers_acquire(&peers, &a, 2));
    cr_assert_not_null(http__peers_acquire(&peers, &b, 2));
    cr_expect_null(http__peers_acquire(&peers, &a, 2), "the same /64");
    cr_expect_not_null(http__peers_acquire(&peers, &c, 2), "another /64");
    http__peers_free(&peers);
}

Test(peers, many_addresses_share_few_buckets)
{
    http_peers_t peers;
    http__peers_init(&peers, 1);
    char text[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(text, sizeof(text), "10.0.%d.%d", i / 256, i % 256);
        netaddr_t a = addr(text);
        cr_assert_not_null(http__peers_acquire(&peers, &a, 1));
    }
    cr_expect_eq(peers.entries, 1000);
    netaddr_t a = addr("10.0.3.231");
    cr_expect_eq(http__peers_count(&peers, &a), 1);
    http__peers_free(&peers);
}
