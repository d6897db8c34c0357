/* The redis-server helper of redis_server.h. */
#include "redis_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

static bool port_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return ok;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int spawn(test_redis_t *redis)
{
    const char *binary = getenv("REDIS_SERVER");
    if (!binary || !binary[0])
        binary = "/usr/bin/redis-server";
    char port_text[16], log_path[300];
    snprintf(port_text, sizeof(port_text), "%d", redis->port);
    snprintf(log_path, sizeof(log_path), "%s/redis.log", redis->dir);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Die with the test process, even when it crashes, and hold none of
         * its pipes (a test runner waits for them to close). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        execl(binary, "redis-server", "--port", port_text, "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--dir", redis->dir, "--logfile", log_path, "--loglevel",
              "warning", "--daemonize", "no", (char *)NULL);
        _exit(127);
    }
    redis->pid = pid;
    /* Wait for the port, or for the process to die (port taken). */
    for (int i = 0; i < 500; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            redis->pid = 0;
            return -1;
        }
        if (port_accepts(redis->port))
            return 0;
        sleep_ms(10);
    }
    test_redis_kill(redis);
    return -1;
}

int test_redis_start(test_redis_t *redis)
{
    memset(redis, 0, sizeof(*redis));
    const char *tmp = getenv("TMPDIR");
    snprintf(redis->dir, sizeof(redis->dir), "%s/rural24-redis-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(redis->dir))
        return -1;
    /* Another process may grab the port between the probe and the bind: try a
     * few ports. */
    for (int attempt = 0; attempt < 5; attempt++) {
        redis->port = test_free_port();
        if (redis->port > 0 && spawn(redis) == 0)
            return 0;
    }
    return -1;
}

int test_redis_restart(test_redis_t *redis)
{
    if (redis->pid != 0)
        return -1;
    for (int attempt = 0; attempt < 50; attempt++) {
        if (spawn(redis) == 0)
            return 0;
        sleep_ms(20);
    }
    return -1;
}

void test_redis_kill(test_redis_t *redis)
{
    if (redis->pid == 0)
        return;
    kill(redis->pid, SIGKILL);
    int status;
    while (waitpid(redis->pid, &status, 0) < 0 && errno == EINTR)
        ;
    redis->pid = 0;
}

void test_redis_stop(test_redis_t *redis)
{
    test_redis_kill(redis);
    if (redis->dir[0]) {
        char path[320];
        snprintf(path, sizeof(path), "%s/redis.log", redis->dir);
        unlink(path);
        rmdir(redis->dir);
        redis->dir[0] = '\0';
    }
}
