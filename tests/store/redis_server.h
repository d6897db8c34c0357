/* Test helper: a real redis-server in a temporary directory on a free port of
 * 127.0.0.1, started, killed and restarted by the test (never a mock).
 *
 * These functions block (fork, exec, poll for the port with a deadline): call
 * them from test code between loop runs, never from a loop callback. */
#ifndef RURAL24_TESTS_STORE_REDIS_SERVER_H
#define RURAL24_TESTS_STORE_REDIS_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid; /* 0 while not running */
    int port;
    char dir[256]; /* temporary directory holding its log */
} test_redis_t;

/* Starts redis-server (REDIS_SERVER or /usr/bin/redis-server) on a free port
 * and waits until it accepts connections (5 s at most). 0 or -1. */
int test_redis_start(test_redis_t *redis);

/* Starts it again on the same port after test_redis_kill(). 0 or -1. */
int test_redis_restart(test_redis_t *redis);

/* SIGKILL and reap: Redis disappears as in a crash. */
void test_redis_kill(test_redis_t *redis);

/* Kills it if running and removes its directory. */
void test_redis_stop(test_redis_t *redis);

/* Returns a free TCP port on 127.0.0.1 (bound then released), or -1. */
int test_free_port(void);

#endif
