/* Ad views counted in memory and written in batches (DESIGN.md: no UPDATE per
 * view). Every VIEWS_FLUSH_MS the counts gathered are added in one statement;
 * a crash loses at most that many seconds of views. A flush the database
 * refuses or fails for want of a connection (an outage, a timeout) keeps its
 * counts for the next one: a connection lost just after the statement
 * committed counts them twice. At most
 * VIEWS_MAX_ADS distinct ads are held between flushes; past that a flush
 * starts at once, and while it cannot be handed to the database views of
 * further ads are dropped (counted in dropped). */
#ifndef RURAL24_API_VIEWS_H
#define RURAL24_API_VIEWS_H

#include <stdint.h>

struct app_s;

enum { VIEWS_FLUSH_MS = 3000, VIEWS_MAX_ADS = 65536 };

void api_views_open(struct app_s *app);

/* Writes what is counted (best effort) and stops the timer. */
void api_views_close(struct app_s *app);

/* Counts one view of ad_id. */
void api_views_count(struct app_s *app, int64_t ad_id);

#endif
