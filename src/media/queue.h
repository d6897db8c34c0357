/* The image queue: media_image_process() on the libuv thread pool, with a
 * bound on how many run at once (IMAGE_WORKERS), on the memory they may take
 * together (IMAGE_MEMORY_BUDGET_MB, against media_decode_bytes() of each
 * header) and on how many may wait (IMAGE_QUEUE_MAX). The loop thread only
 * queues and collects; it never decodes.
 *
 * Jobs start in arrival order: one that does not fit the memory left waits
 * at the head (and holds the others back) until running jobs give theirs
 * back, so a large image cannot be overtaken forever. One that could never
 * fit (its estimate alone is over the budget) is refused at once.
 *
 *     int rc = media_queue_submit(app->images, body, len, &info, on_processed, req);
 *     if (rc != 0)
 *         ... 503 for MEDIA_E_BUSY, 400 for MEDIA_E_TOO_LARGE_TO_DECODE
 *
 * All calls are loop-thread only. */
#ifndef RURAL24_MEDIA_QUEUE_H
#define RURAL24_MEDIA_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "media/image.h"
#include "media/sniff.h"

typedef struct media_queue_s media_queue_t;

typedef struct {
    int workers;                  /* jobs running at once, >= 1 */
    int queue_max;                /* jobs waiting, >= 0 */
    uint64_t memory_budget_bytes; /* the running jobs' estimates together */
} media_queue_opts_t;

/* Fires exactly once per accepted job, on the loop, never inside
 * media_queue_submit(). status is 0 with *image filled (the callback owns it:
 * media_image_free()), or a media_error_t (image then holds nothing):
 * what media_image_process() returned, or MEDIA_E_BUSY when the queue closed
 * before the job started. */
typedef void (*media_done_cb)(int status, media_image_t *image, void *user_data);

/* A queue on loop; free it with media_queue_close(). */
media_queue_t *media_queue_new(uv_loop_t *loop, const media_queue_opts_t *opts);

/* Queues the processing of data[0..len) (borrowed: it must stay valid until
 * cb fires), whose header info describes. 0 when accepted (cb fires later);
 * MEDIA_E_BUSY when IMAGE_QUEUE_MAX jobs already wait or the queue is
 * closing; MEDIA_E_TOO_LARGE_TO_DECODE when its estimate alone is over the
 * budget. A refused job's cb never fires. */
int media_queue_submit(media_queue_t *q, const uint8_t *data, size_t len, const media_info_t *info,
                       media_done_cb cb, void *user_data);

/* Fails every waiting job with MEDIA_E_BUSY (their callbacks run during this
 * call) and refuses new ones; running jobs finish and call back as usual, and
 * the queue frees itself after the last. */
void media_queue_close(media_queue_t *q);

typedef struct {
    int running;
    int waiting;
    uint64_t reserved_bytes; /* estimates of the running jobs */
    uint64_t processed_total;
    uint64_t failed_total;  /* processed with an error (undecodable...) */
    uint64_t refused_total; /* refused: queue full or too large */
} media_queue_stats_t;

void media_queue_get_stats(const media_queue_t *q, media_queue_stats_t *out);

#endif
