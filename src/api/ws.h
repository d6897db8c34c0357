/* Real time (API.md "Real time"): GET /ws and what the rest of the API pushes
 * through it. The connections and their delivery across instances are the
 * ws layer's (ws/hub.h); this file is the protocol of API.md on top: the
 * upgrade's checks, the frames in both directions, the pushes. */
#ifndef RURAL24_API_WS_H
#define RURAL24_API_WS_H

#include <stddef.h>
#include <stdint.h>

struct app_s;

/* Creates the hub (app->hub) and listens to the session manager's
 * revocations; registers GET /ws. */
void api_ws_open(struct app_s *app);
void api_ws_register(struct app_s *app);

/* Frees the hub (after the server drained its connections). */
void api_ws_close(struct app_s *app);

/* {"type":"message","message":<message>} to both users' connections on every
 * instance, except the member except (the sender's own connection, which got
 * an ack; 0: none). */
void api_ws_push_message(struct app_s *app, int64_t sender_id, int64_t receiver_id,
                         const char *message_json, size_t len, uint64_t except);

/* {"type":"read","peer_id":reader_id,"up_to":up_to} to peer_id's connections. */
void api_ws_push_read(struct app_s *app, int64_t reader_id, int64_t peer_id, int64_t up_to);

/* {"type":"notification","notification":<notification>} to user_id's
 * connections (the notification as stored, in API.md's shape). */
void api_ws_push_notification(struct app_s *app, int64_t user_id, const char *notification_json,
                              size_t len);

#endif
