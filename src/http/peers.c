/* The per-address connection table of peers.h. */
#include "http/peers.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

struct http_peer_s {
    http_peer_t *next;
    uint8_t key[16];
    uint32_t count;
};

/* The key: an IPv4 address whole, an IPv6 address by its first 64 bits. */
static void make_key(const netaddr_t *addr, uint8_t key[16])
{
    memcpy(key, addr->bytes, 16);
    if (!addr->is_v4)
        memset(key + 8, 0, 8);
}

/* FNV-1a over the key, which an attacker does not choose freely enough to
 * matter: an entry per address, and a chain per bucket of colliding ones. */
static size_t bucket_of(const http_peers_t *peers, const uint8_t key[16])
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 16; i++) {
        h ^= key[i];
        h *= 1099511628211ULL;
    }
    return (size_t)(h ^ (h >> 32)) & (peers->bucket_count - 1);
}

void http__peers_init(http_peers_t *peers, size_t expected_entries)
{
    size_t n = 64;
    while (n < expected_entries && n < ((size_t)1 << 20))
        n *= 2;
    peers->buckets = xcalloc(n, sizeof(*peers->buckets));
    peers->bucket_count = n;
    peers->entries = 0;
}

void http__peers_free(http_peers_t *peers)
{
    for (size_t b = 0; b < peers->bucket_count; b++) {
        http_peer_t *p = peers->buckets[b];
        while (p != NULL) {
            http_peer_t *next = p->next;
            free(p);
            p = next;
        }
    }
    free(peers->buckets);
    memset(peers, 0, sizeof(*peers));
}

http_peer_t *http__peers_acquire(http_peers_t *peers, const netaddr_t *addr, uint32_t max)
{
    uint8_t key[16];
    make_key(addr, key);
    size_t b = bucket_of(peers, key);
    for (http_peer_t *p = peers->buckets[b]; p != NULL; p = p->next) {
        if (memcmp(p->key, key, 16) != 0)
            continue;
        if (p->count >= max)
            return NULL;
        p->count++;
        return p;
    }
    if (max == 0)
        return NULL;
    http_peer_t *p = xmalloc(sizeof(*p));
    memcpy(p->key, key, 16);
    p->count = 1;
    p->next = peers->buckets[b];
    peers->buckets[b] = p;
    peers->entries++;
    return p;
}

void http__peers_release(http_peers_t *peers, http_peer_t *peer)
{
    if (--peer->count > 0)
        return;
    size_t b = bucket_of(peers, peer->key);
    http_peer_t **link = &peers->buckets[b];
    while (*link != NULL && *link != peer)
        link = &(*link)->next;
    if (*link == peer)
        *link = peer->next;
    peers->entries--;
    free(peer);
}

uint32_t http__peers_count(const http_peers_t *peers, const netaddr_t *addr)
{
    uint8_t key[16];
    make_key(addr, key);
    for (http_peer_t *p = peers->buckets[bucket_of(peers, key)]; p != NULL; p = p->next) {
        if (memcmp(p->key, key, 16) == 0)
            return p->count;
    }
    return 0;
}
