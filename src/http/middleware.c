/* The server's built-in middleware: request ids, the client address behind
 * trusted proxies, CORS, and the headers every response carries. These run
 * for every request, before the application's own middleware chain. */
#include "core/netaddr.h"
#include "http/internal.h"
#include "http/response.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* Generated ids: 16 hex digits from a counter mixed with a per-process random
 * key (splitmix64), so ids are unique within a process, unpredictable across
 * processes, and cost no system call per request. */
static uint64_t id_key;
static uint64_t id_counter;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool request_id_valid(const char *id)
{
    size_t len = strlen(id);
    if (len < 1 || len > HTTP_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

void http__assign_request_id(http_request_t *req)
{
    const char *given = http_request_header(req, "X-Request-Id");
    if (given != NULL && request_id_valid(given)) {
        snprintf(req->request_id, sizeof(req->request_id), "%s", given);
        return;
    }
    if (id_key == 0) {
        if (getrandom(&id_key, sizeof(id_key), 0) != (ssize_t)sizeof(id_key))
            id_key = (uint64_t)(uintptr_t)&id_key ^ 0x9e3779b97f4a7c15ULL;
        id_key |= 1;
    }
    snprintf(req->request_id, sizeof(req->request_id), "%016llx",
             (unsigned long long)mix64(id_key + ++id_counter * 0x9e3779b97f4a7c15ULL));
}

static bool trusted(const config_t *config, const netaddr_t *addr)
{
    for (size_t i = 0; i < config->trust_proxy.range_count; i++) {
        if (netaddr_cidr_contains(&config->trust_proxy.ranges[i], addr))
            return true;
    }
    return false;
}

/* Parses the entries of X-Forwarded-For into addrs, keeping the right-most
 * max of them: those are the ones the trusted proxies appended, while
 * everything further left is whatever the client chose to send. An entry that
 * is not an address (a port or brackets included) cuts the list there, as
 * nothing left of it can be trusted. */
static size_t parse_forwarded(const char *xff, netaddr_t *addrs, size_t max)
{
    size_t n = 0;     /* entries kept, at most max */
    size_t first = 0; /* ring start once full */
    const char *p = xff;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end == start)
            continue;
        netaddr_t addr;
        if (netaddr_parse(start, (size_t)(end - start), &addr) != 0) {
            n = 0;
            first = 0;
            continue;
        }
        if (n < max) {
            addrs[(first + n) % max] = addr;
            n++;
        } else {
            addrs[first] = addr;
            first = (first + 1) % max;
        }
    }
    if (first != 0) {
        /* Unroll the ring so that addrs is oldest first. */
        netaddr_t tmp[32];
        for (size_t i = 0; i < n; i++)
            tmp[i] = addrs[(first + i) % max];
        memcpy(addrs, tmp, n * sizeof(netaddr_t));
    }
    return n;
}

void http__resolve_client_ip(http_request_t *req, const char *peer_ip, const config_t *config)
{
    snprintf(req->client_ip, sizeof(req->client_ip), "%s", peer_ip);
    const trust_proxy_t *tp = &config->trust_proxy;
    if (tp->mode == TRUST_PROXY_NONE)
        return;
    /* Repeated X-Forwarded-For lines form one list (RFC 9110 5.3): some
     * proxies add a line of their own instead of appending to the client's,
     * and reading only the first would trust what the client wrote. */
    const char *xff = NULL;
    for (size_t i = 0; i < req->header_count; i++) {
        if (strcasecmp(req->headers[i].name, "X-Forwarded-For") != 0)
            continue;
        xff = xff == NULL ? req->headers[i].value
                          : arena_printf(&req->arena, "%s,%s", xff, req->headers[i].value);
    }
    if (xff == NULL)
        return;
    /* The chain, oldest first: the X-Forwarded-For entries, then the peer. */
    netaddr_t chain[33];
    size_t n = parse_forwarded(xff, chain, 32);
    if (netaddr_parse(peer_ip, strlen(peer_ip), &chain[n]) != 0)
        return;
    n++;
    size_t client;
    switch (tp->mode) {
    case TRUST_PROXY_ALL:
        client = 0;
        break;
    case TRUST_PROXY_HOPS:
        client = n > tp->hops ? n - 1 - tp->hops : 0;
        break;
    case TRUST_PROXY_LIST:
    default:
        /* Right to left past the trusted proxies. */
        client = n - 1;
        while (client > 0 && trusted(config, &chain[client]))
            client--;
        break;
    }
    netaddr_format(&chain[client], req->client_ip, sizeof(req->client_ip));
}

void http__cors_check(http_request_t *req, const config_t *config)
{
    if (config->frontend_url[0] == '\0')
        return;
    const char *origin = http_request_header(req, "Origin");
    if (origin != NULL && strcasecmp(origin, config->frontend_url) == 0)
        req->state->origin = config->frontend_url;
}

bool http__cors_preflight(http_request_t *req)
{
    if (req->method != HTTP_METHOD_OPTIONS || http_request_header(req, "Origin") == NULL ||
        http_request_header(req, "Access-Control-Request-Method") == NULL)
        return false;
    if (req->state->origin != NULL) {
        http_response_header(req, "Access-Control-Allow-Methods",
                             "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        http_response_header(req, "Access-Control-Allow-Headers",
                             "Authorization, Content-Type, X-Request-Id, If-None-Match");
        http_response_header(req, "Access-Control-Max-Age", "600");
    }
    http_respond_empty(req, 204);
    return true;
}

int http__append_standard_headers(buf_t *head, const http_request_t *req)
{
    static const char security[] =
        "X-Frame-Options: DENY\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
        "Referrer-Policy: strict-origin-when-cross-origin\r\n";
    static const char cors_rest[] =
        "\r\nAccess-Control-Allow-Credentials: true\r\n"
        "Access-Control-Expose-Headers: X-Request-Id, Location, Retry-After, "
        "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset\r\n";
    int rc = buf_append(head, "X-Request-Id: ", 14);
    rc |= buf_append_str(head, req->request_id);
    rc |= buf_append(head, "\r\n", 2);
    rc |= buf_append(head, security, sizeof(security) - 1);
    if (req->state->origin != NULL) {
        rc |= buf_append_str(head, "Access-Control-Allow-Origin: ");
        rc |= buf_append_str(head, req->state->origin);
        rc |= buf_append(head, cors_rest, sizeof(cors_rest) - 1);
    }
    /* Every answer depends on Origin once CORS is on, also those without CORS
     * headers: a shared cache must not serve one origin's answer to another. */
    if (req->state->origin != NULL ||
        (req->server != NULL && req->server->config->frontend_url[0] != '\0'))
        rc |= buf_append_str(head, "Vary: Origin\r\n");
    return rc;
}
