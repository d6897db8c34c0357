/* The users statements (users.h). */
#include "db/users.h"

#define USER_JSON                                                                                  \
    "json_build_object('id', u.id, 'email', u.email, 'name', u.name, 'phone', u.phone, "           \
    "'province', u.province, 'role', u.role, 'created_at', rfc3339(u.created_at))"

const db_stmt_t db_users_insert = {
    .name = "users_insert",
    .sql = "INSERT INTO users AS u (email, password_hash, name, phone, province) "
           "VALUES ($1, $2, $3, $4, $5) RETURNING u.id, " USER_JSON,
    .param_count = 5,
};

const db_stmt_t db_users_by_email = {
    .name = "users_by_email",
    .sql = "SELECT u.id, u.password_hash, " USER_JSON " FROM users u WHERE u.email = $1",
    .param_count = 1,
};

const db_stmt_t db_users_by_id = {
    .name = "users_by_id",
    .sql = "SELECT " USER_JSON " FROM users u WHERE u.id = $1",
    .param_count = 1,
};

const db_stmt_t db_users_password_hash = {
    .name = "users_password_hash",
    .sql = "SELECT password_hash FROM users WHERE id = $1",
    .param_count = 1,
};

const db_stmt_t db_users_set_password = {
    .name = "users_set_password",
    .sql = "UPDATE users SET password_hash = $3, updated_at = now() "
           "WHERE id = $1 AND password_hash = $2 RETURNING id",
    .param_count = 3,
};

const db_stmt_t db_users_role = {
    .name = "users_role",
    .sql = "SELECT role FROM users WHERE id = $1",
    .param_count = 1,
};

const db_stmt_t db_users_update = {
    .name = "users_update",
    .sql = "UPDATE users AS u SET "
           "name = CASE WHEN $2::boolean THEN $3 ELSE u.name END, "
           "phone = CASE WHEN $4::boolean THEN $5 ELSE u.phone END, "
           "province = CASE WHEN $6::boolean THEN $7::province ELSE u.province END "
           "WHERE u.id = $1 RETURNING " USER_JSON,
    .param_count = 7,
};

const db_stmt_t db_users_promote = {
    .name = "users_promote",
    .sql = "UPDATE users SET role = 'admin' WHERE email = lower($1) RETURNING id",
    .param_count = 1,
};
