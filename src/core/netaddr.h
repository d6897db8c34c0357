/* IP addresses and CIDR ranges, for TRUST_PROXY and rate-limit keys. */
#ifndef RURAL24_CORE_NETADDR_H
#define RURAL24_CORE_NETADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct {
    uint8_t bytes[16]; /* IPv4 is stored as an IPv4-mapped IPv6 address */
    bool is_v4;
} netaddr_t;

typedef struct {
    netaddr_t addr;
    unsigned prefix_bits; /* over the 128-bit form */
} netaddr_cidr_t;

/* Parses a textual IPv4 or IPv6 address (no brackets, no port). 0 or -1. */
int netaddr_parse(const char *text, size_t len, netaddr_t *out);

/* Parses "addr" or "addr/prefix". 0 or -1. */
int netaddr_cidr_parse(const char *text, size_t len, netaddr_cidr_t *out);

bool netaddr_cidr_contains(const netaddr_cidr_t *cidr, const netaddr_t *addr);

/* Writes the canonical text of addr into out (at least 46 bytes). */
void netaddr_format(const netaddr_t *addr, char *out, size_t out_size);

#endif
