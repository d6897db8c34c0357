/* hiredis on libuv: the event hooks of a redisAsyncContext, on a uv_poll_t.
 *
 * This is hiredis's own adapters/libuv.h with one fix. The adapter shipped with
 * Debian 12's hiredis 0.14.1 returns early when libuv reports a poll error, and
 * libuv reports POLLERR — which is how a refused connect(2) or a reset
 * connection shows up — only as an error status. hiredis then never learns that
 * the connection failed: its connect callback never fires and the client waits
 * for ever. Like hiredis 1.x, we hand a poll error to hiredis as the events we
 * were waiting for, so its read or write fails and reports the real error. */
#include "redis/redis_internal.h"

#include "core/xmalloc.h"

#include <stdlib.h>

typedef struct {
    redisAsyncContext *context; /* NULL once hiredis let go of it */
    uv_poll_t handle;
    int events;
} uv_events_t;

static void on_poll(uv_poll_t *handle, int status, int events)
{
    uv_events_t *p = handle->data;
    int ready = status < 0 ? p->events : events;
    if (p->context && (ready & UV_READABLE))
        redisAsyncHandleRead(p->context);
    /* Reading may have freed the context (a disconnect): check again. */
    if (p->context && (ready & UV_WRITABLE))
        redisAsyncHandleWrite(p->context);
}

static void update(uv_events_t *p)
{
    if (p->events)
        uv_poll_start(&p->handle, p->events, on_poll);
    else
        uv_poll_stop(&p->handle);
}

static void add_read(void *privdata)
{
    uv_events_t *p = privdata;
    p->events |= UV_READABLE;
    update(p);
}

static void del_read(void *privdata)
{
    uv_events_t *p = privdata;
    p->events &= ~UV_READABLE;
    update(p);
}

static void add_write(void *privdata)
{
    uv_events_t *p = privdata;
    p->events |= UV_WRITABLE;
    update(p);
}

static void del_write(void *privdata)
{
    uv_events_t *p = privdata;
    p->events &= ~UV_WRITABLE;
    update(p);
}

static void on_close(uv_handle_t *handle)
{
    free(handle->data);
}

static void cleanup(void *privdata)
{
    uv_events_t *p = privdata;
    p->context = NULL;
    uv_close((uv_handle_t *)&p->handle, on_close);
}

int redis__uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    if (ac->ev.data != NULL)
        return -1;
    uv_events_t *p = xcalloc(1, sizeof(*p));
    if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
        free(p);
        return -1;
    }
    p->handle.data = p;
    p->context = ac;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = p;
    return 0;
}
