/* Internal to the redis layer: the hooks that put a hiredis connection on a
 * libuv loop. */
#ifndef RURAL24_REDIS_REDIS_INTERNAL_H
#define RURAL24_REDIS_REDIS_INTERNAL_H

#include <hiredis/async.h>
#include <uv.h>

/* Attaches ac to loop: hiredis asks for read/write interest and this file
 * drives redisAsyncHandleRead/Write from a uv_poll_t. The poll handle is closed
 * and freed by hiredis's cleanup hook when the context is freed; the loop must
 * run once more for that close to finish. 0, or -1 (the context is left
 * unattached and the caller frees it). */
int redis__uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
