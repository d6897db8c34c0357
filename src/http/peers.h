/* Open connections per client address, for MAX_CONNECTIONS_PER_IP: a small
 * chained hash table keyed by the peer's address (an IPv6 client by its /64,
 * since one host holds a whole /64). An entry lives while its address has a
 * connection open, so the table never holds more entries than connections.
 * Internal to src/http. */
#ifndef RURAL24_HTTP_PEERS_H
#define RURAL24_HTTP_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "core/netaddr.h"

typedef struct http_peer_s http_peer_t;

typedef struct {
    http_peer_t **buckets;
    size_t bucket_count; /* a power of two */
    size_t entries;
} http_peers_t;

/* An empty table sized for about expected_entries addresses. */
void http__peers_init(http_peers_t *peers, size_t expected_entries);

/* Frees every entry and the buckets. */
void http__peers_free(http_peers_t *peers);

/* Counts one more connection from addr unless it already has max open:
 * returns its entry (hand it back to http__peers_release when the connection
 * closes), or NULL when over the cap. */
http_peer_t *http__peers_acquire(http_peers_t *peers, const netaddr_t *addr, uint32_t max);

/* One connection of this entry's address closed; the entry goes with the
 * last one. */
void http__peers_release(http_peers_t *peers, http_peer_t *peer);

/* Connections open from addr (0 when none). */
uint32_t http__peers_count(const http_peers_t *peers, const netaddr_t *addr);

#endif
