/* Argon2id work items on the libuv thread pool. Each job owns copies of its
 * inputs, so callers may free theirs at once; passwords are wiped with
 * sodium_memzero before the job is freed. */
#include "auth/password.h"
#include "core/xmalloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct job_s job_t;

struct job_s {
    uv_work_t work;
    uv_loop_t *loop;
    uv_work_cb run;
    uv_after_work_cb after;
    job_t *next_waiting;
    char *password;
    size_t password_len;
    char hash[AUTH_PASSWORD_HASH_BYTES];
    bool dummy; /* verify against nothing: spend the time, fail */
    bool ok;
    auth_password_hash_cb hash_cb;
    auth_password_verify_cb verify_cb;
    void *user_data;
};

/* At most one hash per core runs at once; the rest wait here, in order. With
 * more hashes than cores the loop thread itself would be starved of CPU (a
 * burst of logins raised the health check's p99 from 10 to 80 ms with
 * libuv's four pool threads on two cores). The queue is bounded: past it a
 * hash is refused (UV_EBUSY; the API answers 503). Loop-thread only. */
enum { MAX_WAITING = 4096 };
static unsigned running, max_running;
static size_t waiting;
static job_t *wait_head, *wait_tail;

static void after_job(uv_work_t *work, int status);

static int start_job(job_t *job)
{
    running++;
    int rc = uv_queue_work(job->loop, &job->work, job->run, after_job);
    if (rc != 0)
        running--;
    return rc;
}

static int submit(job_t *job)
{
    if (max_running == 0) {
        unsigned cores = uv_available_parallelism();
        max_running = cores > 0 ? cores : 1;
    }
    if (running < max_running)
        return start_job(job);
    if (waiting == MAX_WAITING)
        return UV_EBUSY;
    job->next_waiting = NULL;
    if (wait_tail != NULL)
        wait_tail->next_waiting = job;
    else
        wait_head = job;
    wait_tail = job;
    waiting++;
    return 0;
}

static void after_job(uv_work_t *work, int status)
{
    job_t *job = work->data;
    running--;
    /* Start the next waiting hash before this one's callback, which may
     * queue more. A waiting job that cannot start is answered as failed. */
    while (wait_head != NULL && running < max_running) {
        job_t *next = wait_head;
        wait_head = next->next_waiting;
        if (wait_head == NULL)
            wait_tail = NULL;
        waiting--;
        if (start_job(next) != 0)
            next->after(&next->work, UV_ECANCELED);
    }
    job->after(work, status);
}

static job_t *job_new(const char *password, size_t len)
{
    job_t *job = xcalloc(1, sizeof(*job));
    job->password = xmalloc(len + 1);
    memcpy(job->password, password, len);
    job->password[len] = '\0';
    job->password_len = len;
    job->work.data = job;
    return job;
}

static void job_free(job_t *job)
{
    sodium_memzero(job->password, job->password_len);
    free(job->password);
    free(job);
}

int auth_password_hash_sync(const char *password, size_t len, char *out)
{
    return crypto_pwhash_str(out, password, len, AUTH_PASSWORD_OPSLIMIT, AUTH_PASSWORD_MEMLIMIT) ==
                   0
               ? 0
               : -1;
}

static void hash_work(uv_work_t *work)
{
    job_t *job = work->data;
    job->ok = auth_password_hash_sync(job->password, job->password_len, job->hash) == 0;
}

static void hash_done(uv_work_t *work, int status)
{
    job_t *job = work->data;
    job->hash_cb(status == 0 && job->ok ? job->hash : NULL, job->user_data);
    job_free(job);
}

int auth_password_hash(uv_loop_t *loop, const char *password, size_t len, auth_password_hash_cb cb,
                       void *user_data)
{
    job_t *job = job_new(password, len);
    job->hash_cb = cb;
    job->user_data = user_data;
    job->loop = loop;
    job->run = hash_work;
    job->after = hash_done;
    int rc = submit(job);
    if (rc != 0)
        job_free(job);
    return rc;
}

/* A hash of a random password with the same parameters, made once, for the
 * unknown-email case. Built lazily on a worker thread; crypto_pwhash_str is
 * thread-safe and the race to build it twice is harmless but avoided with
 * uv_once. */
static char dummy_hash[AUTH_PASSWORD_HASH_BYTES];
static uv_once_t dummy_once = UV_ONCE_INIT;

static void make_dummy(void)
{
    unsigned char random_password[16];
    randombytes_buf(random_password, sizeof(random_password));
    if (crypto_pwhash_str(dummy_hash, (const char *)random_password, sizeof(random_password),
                          AUTH_PASSWORD_OPSLIMIT, AUTH_PASSWORD_MEMLIMIT) != 0)
        dummy_hash[0] = '\0';
}

static void verify_work(uv_work_t *work)
{
    job_t *job = work->data;
    if (job->dummy) {
        uv_once(&dummy_once, make_dummy);
        /* The answer is irrelevant: only the time spent matters. */
        int spent = crypto_pwhash_str_verify(dummy_hash, job->password, job->password_len);
        (void)spent;
        job->ok = false;
        return;
    }
    job->ok = crypto_pwhash_str_verify(job->hash, job->password, job->password_len) == 0;
}

static void verify_done(uv_work_t *work, int status)
{
    job_t *job = work->data;
    job->verify_cb(status == 0 && job->ok, job->user_data);
    job_free(job);
}

int auth_password_verify(uv_loop_t *loop, const char *password, size_t len, const char *hash,
                         auth_password_verify_cb cb, void *user_data)
{
    job_t *job = job_new(password, len);
    if (hash == NULL || strlen(hash) >= sizeof(job->hash))
        job->dummy = true;
    else
        memcpy(job->hash, hash, strlen(hash) + 1);
    job->verify_cb = cb;
    job->user_data = user_data;
    job->loop = loop;
    job->run = verify_work;
    job->after = verify_done;
    int rc = submit(job);
    if (rc != 0)
        job_free(job);
    return rc;
}
