/* Address parsing over inet_pton(), with IPv4 mapped into IPv6 so that one
 * comparison routine serves both families. */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int netaddr_parse(const char *text, size_t len, netaddr_t *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, text, len);
    tmp[len] = '\0';
    memset(out, 0, sizeof(*out));
    struct in_addr v4;
    if (inet_pton(AF_INET, tmp, &v4) == 1) {
        out->bytes[10] = 0xff;
        out->bytes[11] = 0xff;
        memcpy(out->bytes + 12, &v4, 4);
        out->is_v4 = true;
        return 0;
    }
    struct in6_addr v6;
    if (inet_pton(AF_INET6, tmp, &v6) == 1) {
        memcpy(out->bytes, &v6, 16);
        static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        out->is_v4 = memcmp(out->bytes, mapped_prefix, 12) == 0;
        return 0;
    }
    return -1;
}

int netaddr_cidr_parse(const char *text, size_t len, netaddr_cidr_t *out)
{
    const char *slash = memchr(text, '/', len);
    size_t addr_len = slash ? (size_t)(slash - text) : len;
    if (netaddr_parse(text, addr_len, &out->addr) != 0)
        return -1;
    unsigned max_bits = out->addr.is_v4 ? 32 : 128;
    unsigned bits = max_bits;
    if (slash != NULL) {
        const char *p = slash + 1;
        size_t digits = len - addr_len - 1;
        if (digits == 0 || digits > 3)
            return -1;
        bits = 0;
        for (size_t i = 0; i < digits; i++) {
            if (p[i] < '0' || p[i] > '9')
                return -1;
            bits = bits * 10 + (unsigned)(p[i] - '0');
        }
        if (bits > max_bits)
            return -1;
    }
    out->prefix_bits = out->addr.is_v4 ? bits + 96 : bits;
    return 0;
}

bool netaddr_cidr_contains(const netaddr_cidr_t *cidr, const netaddr_t *addr)
{
    unsigned bits = cidr->prefix_bits;
    unsigned full = bits / 8;
    if (memcmp(cidr->addr.bytes, addr->bytes, full) != 0)
        return false;
    unsigned rest = bits % 8;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (cidr->addr.bytes[full] & mask) == (addr->bytes[full] & mask);
}

void netaddr_format(const netaddr_t *addr, char *out, size_t out_size)
{
    if (addr->is_v4)
        inet_ntop(AF_INET, addr->bytes + 12, out, (socklen_t)out_size);
    else
        inet_ntop(AF_INET6, addr->bytes, out, (socklen_t)out_size);
}
