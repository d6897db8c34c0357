/* GET /api/search/suggest?q= (API.md): completions for a search box, from
 * category names, attribute values and the words of active ads' titles,
 * tolerant of typos and spacing (trigrams over suggest_terms, refreshed by
 * the suggest_refresh job: jobs/jobs.h). */
#include "api/app.h"
#include "api/reply.h"
#include "api/validate.h"
#include "http/response.h"
#include "db/catalog.h"

#include <stdio.h>
#include <string.h>

enum { Q_MIN_CHARS = 2, Q_MAX_CHARS = 100 };

static void on_suggestions(db_result_t *res, void *user_data)
{
    api_respond_items(user_data, res, "public, max-age=60");
}

static void handle_suggest(http_request_t *req)
{
    const char *q = http_request_query(req, "q");
    size_t chars = 0;
    char *text = q != NULL ? api_trim(&req->arena, q, &chars) : NULL;
    if (text == NULL || chars < Q_MIN_CHARS || chars > Q_MAX_CHARS) {
        json_t *fields = json_pack("{s:s}", "q", "invalid");
        http_respond_error(req, API_ERR_INVALID_PARAMETER, "q: must be 2 to 100 characters",
                           fields);
        return;
    }
    api_query(req, &db_q_suggest, DB_READ, on_suggestions, text);
}

void api_suggest_register(app_t *app)
{
    app_route(app, HTTP_METHOD_GET, "/api/search/suggest", handle_suggest, NULL);
}
