/* The image queue of queue.h: a FIFO of waiting jobs in front of
 * uv_queue_work, admitted by count and by memory estimate. */
#include "media/queue.h"
#include "core/xmalloc.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct job_s job_t;

struct job_s {
    uv_work_t work;
    media_queue_t *queue;
    const uint8_t *data;
    size_t len;
    media_info_t info;
    uint64_t estimate_bytes;
    int status;
    media_image_t image;
    media_done_cb cb;
    void *user_data;
    job_t *next;
};

struct media_queue_s {
    uv_loop_t *loop;
    media_queue_opts_t opts;
    job_t *head, *tail; /* waiting, oldest first */
    int waiting;
    int running;
    uint64_t reserved_bytes;
    bool closing;
    media_queue_stats_t stats;
};

media_queue_t *media_queue_new(uv_loop_t *loop, const media_queue_opts_t *opts)
{
    media_queue_t *q = xcalloc(1, sizeof(*q));
    q->loop = loop;
    q->opts = *opts;
    if (q->opts.workers < 1)
        q->opts.workers = 1;
    if (q->opts.queue_max < 0)
        q->opts.queue_max = 0;
    return q;
}

/* On a pool thread. */
static void run_job(uv_work_t *work)
{
    job_t *job = work->data;
    job->status = media_image_process(job->data, job->len, &job->info, &job->image);
}

static void pump(media_queue_t *q);

static void finish_job(uv_work_t *work, int status)
{
    job_t *job = work->data;
    media_queue_t *q = job->queue;
    q->running--;
    q->reserved_bytes -= job->estimate_bytes;
    if (status != 0) /* cancelled: never happens (nothing calls uv_cancel) */
        job->status = MEDIA_E_INTERNAL;
    q->stats.processed_total++;
    if (job->status != 0)
        q->stats.failed_total++;
    /* The job freed what it allocated on its pool thread, but glibc keeps
     * freed heap pages in that thread's arena; when no job runs, give them
     * back (a few hundred microseconds, once per burst of uploads). */
    if (q->running == 0 && q->head == NULL)
        malloc_trim(0);
    /* Start the next ones before this callback, which may queue more. */
    pump(q);
    job->cb(job->status, &job->image, job->user_data);
    free(job);
    if (q->closing && q->running == 0)
        free(q);
}

static bool fits(const media_queue_t *q, const job_t *job)
{
    return q->running < q->opts.workers &&
           q->reserved_bytes + job->estimate_bytes <= q->opts.memory_budget_bytes;
}

static void start(media_queue_t *q, job_t *job)
{
    q->running++;
    q->reserved_bytes += job->estimate_bytes;
    job->work.data = job;
    /* uv_queue_work fails only without a work callback. */
    int rc = uv_queue_work(q->loop, &job->work, run_job, finish_job);
    if (rc != 0)
        abort();
}

static void pump(media_queue_t *q)
{
    while (!q->closing && q->head != NULL && fits(q, q->head)) {
        job_t *job = q->head;
        q->head = job->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->waiting--;
        start(q, job);
    }
}

int media_queue_submit(media_queue_t *q, const uint8_t *data, size_t len, const media_info_t *info,
                       media_done_cb cb, void *user_data)
{
    uint64_t estimate = media_decode_bytes(info);
    if (estimate > q->opts.memory_budget_bytes) {
        q->stats.refused_total++;
        return MEDIA_E_TOO_LARGE_TO_DECODE;
    }
    bool starts_now = !q->closing && q->head == NULL && q->running < q->opts.workers &&
                      q->reserved_bytes + estimate <= q->opts.memory_budget_bytes;
    if (!starts_now && (q->closing || q->waiting >= q->opts.queue_max)) {
        q->stats.refused_total++;
        return MEDIA_E_BUSY;
    }
    job_t *job = xcalloc(1, sizeof(*job));
    job->queue = q;
    job->data = data;
    job->len = len;
    job->info = *info;
    job->estimate_bytes = estimate;
    job->cb = cb;
    job->user_data = user_data;
    if (starts_now) {
        start(q, job);
        return 0;
    }
    if (q->tail != NULL)
        q->tail->next = job;
    else
        q->head = job;
    q->tail = job;
    q->waiting++;
    return 0;
}

void media_queue_close(media_queue_t *q)
{
    q->closing = true;
    while (q->head != NULL) {
        job_t *job = q->head;
        q->head = job->next;
        q->waiting--;
        job->cb(MEDIA_E_BUSY, &job->image, job->user_data);
        free(job);
    }
    q->tail = NULL;
    if (q->running == 0)
        free(q);
}

void media_queue_get_stats(const media_queue_t *q, media_queue_stats_t *out)
{
    *out = q->stats;
    out->running = q->running;
    out->waiting = q->waiting;
    out->reserved_bytes = q->reserved_bytes;
}
