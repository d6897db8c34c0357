/* The users statements, declared once for the auth and me handlers and the
 * `user` command. User JSON is built by PostgreSQL in API.md's shape:
 * {"id","email","name","phone","province","role","created_at"}. */
#ifndef RURAL24_DB_USERS_H
#define RURAL24_DB_USERS_H

#include "db/db.h"

/* Creates a user: $1 email (lower-cased), $2 password hash, $3 name, $4 phone
 * or NULL, $5 province or NULL. One row: id, user JSON. A taken email is
 * DB_E_CONSTRAINT on "users_email_key". */
extern const db_stmt_t db_users_insert;

/* Finds a user for login: $1 email. Zero or one row: id, password_hash, user
 * JSON. */
extern const db_stmt_t db_users_by_email;

/* $1 user id. Zero or one row: user JSON. */
extern const db_stmt_t db_users_by_id;

/* $1 user id. Zero or one row: password_hash (a password change checks the
 * current password against it). */
extern const db_stmt_t db_users_password_hash;

/* Changes a password if it is still the one checked: $1 user id, $2 the hash
 * the current password matched, $3 the new hash. One row (id) when changed,
 * none when the password changed meanwhile. */
extern const db_stmt_t db_users_set_password;

/* $1 user id. Zero or one row: role. */
extern const db_stmt_t db_users_role;

/* Updates a profile: $1 user id; $2 "t" to set name to $3; $4 "t" to set phone
 * to $5 (NULL clears it); $6 "t" to set province to $7 (NULL clears it). Zero
 * or one row: user JSON. */
extern const db_stmt_t db_users_update;

/* Makes a user an admin: $1 email. Zero or one row: id. */
extern const db_stmt_t db_users_promote;

#endif
