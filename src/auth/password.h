/* Password hashing: Argon2id through libsodium, on the libuv thread pool.
 *
 * One hash costs tens of milliseconds by design, so it never runs on the loop
 * thread: both calls queue the work and call back on the loop. At most one
 * hash per core runs at once (more would starve the loop thread of CPU); the
 * others wait in a bounded FIFO, past which a call fails with UV_EBUSY. The limits
 * (AUTH_PASSWORD_OPSLIMIT, AUTH_PASSWORD_MEMLIMIT) are chosen for this size of
 * machine and are encoded in each stored hash, so changing them later keeps old
 * hashes verifiable. */
#ifndef RURAL24_AUTH_PASSWORD_H
#define RURAL24_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

enum {
    AUTH_PASSWORD_OPSLIMIT = 3,
    AUTH_PASSWORD_MEMLIMIT = 16 * 1024 * 1024,
    AUTH_PASSWORD_HASH_BYTES = 128, /* crypto_pwhash_STRBYTES */
};

/* hash: the encoded hash (NUL-terminated) or NULL on failure; borrowed for
 * the callback's duration. */
typedef void (*auth_password_hash_cb)(const char *hash, void *user_data);

/* matches: whether password matches hash. */
typedef void (*auth_password_verify_cb)(bool matches, void *user_data);

/* Hashes password (len bytes, copied) on the thread pool. 0, or a negative
 * libuv error (then cb is not called). */
int auth_password_hash(uv_loop_t *loop, const char *password, size_t len, auth_password_hash_cb cb,
                       void *user_data);

/* Verifies password against hash (both copied) on the thread pool. With hash
 * NULL it spends the same work against a dummy hash and reports no match, so
 * an unknown email costs as much time as a wrong password. 0, or a negative
 * libuv error (then cb is not called). */
int auth_password_verify(uv_loop_t *loop, const char *password, size_t len, const char *hash,
                         auth_password_verify_cb cb, void *user_data);

/* The synchronous hash, for the seed command and tests (not for the loop).
 * out must hold AUTH_PASSWORD_HASH_BYTES. 0 or -1. */
int auth_password_hash_sync(const char *password, size_t len, char *out);

#endif
