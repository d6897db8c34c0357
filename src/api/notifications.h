/* Saved searches and notifications (API.md "Saved searches and
 * notifications"): the routes, the scheduled jobs' hooks, and the pushes of
 * notifications other handlers store. docs/NOTIFICATIONS.md has the
 * decisions where API.md is silent. */
#ifndef RURAL24_API_NOTIFICATIONS_H
#define RURAL24_API_NOTIFICATIONS_H

#include <stdint.h>

struct app_s;

/* Pushes the ad_moderated notification that moderate_ad() stored for the
 * admin action action_id on ad_id to its owner's connections (it reads the
 * stored row first; nothing happens when it is not there). Fire and
 * forget: the admin's answer does not wait for it. */
void api_notifications_push_moderated(struct app_s *app, int64_t ad_id, int64_t action_id);

#endif
