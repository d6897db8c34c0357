/* What the REST send (messages.c) and the WebSocket send (ws.c) share: one
 * validation and one insert, so both answer alike. */
#ifndef RURAL24_API_MESSAGES_H
#define RURAL24_API_MESSAGES_H

#include <jansson.h>
#include <stdint.h>

#include "api/validate.h"
#include "core/arena.h"
#include "db/db.h"

struct app_s;

/* A message to store, validated. */
typedef struct {
    int64_t to;
    int64_t ad_id; /* 0: none */
    const char *body;
} api_message_draft_t;

/* Reads and checks a message's members (to, body, ad_id) of json for
 * sender_id into d (the body copied into arena); every failure goes to v
 * (docs/CHAT.md lists the reasons). */
void api_message_read(json_t *json, int64_t sender_id, arena_t *arena, api_message_draft_t *d,
                      validation_t *v);

/* Stores d (db_query's contract: 0 and cb later, or an error and no cb). */
int api_message_insert(struct app_s *app, int64_t sender_id, const api_message_draft_t *d,
                       db_result_cb cb, void *user_data);

typedef enum {
    API_MESSAGE_STORED,
    API_MESSAGE_NO_RECEIVER, /* 404 */
    API_MESSAGE_NO_AD,       /* 400 validation_failed {"ad_id":"not_found"} */
    API_MESSAGE_FAILED,      /* the statement failed or answered oddly */
} api_message_outcome_t;

/* What the insert's result says; for STORED, *json and *len are the message as
 * PostgreSQL built it (valid during the callback). */
api_message_outcome_t api_message_outcome(db_result_t *res, const char **json, size_t *len);

#endif
