/* The fields of an ad as POST /api/ads and PATCH /api/ads/{id} take them
 * (API.md "Create/update fields"), read and checked in one place. */
#ifndef RURAL24_API_AD_FIELDS_H
#define RURAL24_API_AD_FIELDS_H

#include <jansson.h>
#include <stdbool.h>

#include "api/categories.h"
#include "api/validate.h"
#include "http/request.h"

/* What the ad holds now, for a PATCH (the checks that span fields — a
 * currency for a price, attributes for the category — see the result). */
typedef struct {
    int64_t category_id;
    const char *attributes; /* JSON text */
    bool has_price;
    bool has_currency;
} ad_current_t;

/* The fields sent, as text for the statement (NULL: SQL NULL); has_* says
 * whether a member was sent at all. */
typedef struct {
    bool has_title, has_description, has_price, has_currency, has_price_unit, has_category,
        has_province, has_locality, has_attributes, has_status;
    const char *title, *description, *price, *currency, *price_unit, *category_id, *province,
        *locality, *attributes, *status;
} ad_fields_t;

/* Reads body into out, recording every bad field in v. creating: POST (title,
 * category_id and province required; status refused) or PATCH (current
 * describes the ad; status allowed). Strings land in req's arena. */
void ad_fields_read(json_t *body, http_request_t *req, const category_index_t *index, bool creating,
                    const ad_current_t *current, validation_t *v, ad_fields_t *out);

#endif
