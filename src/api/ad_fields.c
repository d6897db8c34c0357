/* An ad's fields; see ad_fields.h. Reasons, as docs/CATALOG.md lists them:
 * required, type, min_length, max_length, invalid, min, max, decimals,
 * not_found, unknown. */
#include "api/ad_fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    TITLE_MIN = 5,
    TITLE_MAX = 120,
    DESCRIPTION_MAX = 5000,
    LOCALITY_MAX = 100,
    ATTRIBUTES_MAX_BYTES = 8192,
    ATTRIBUTE_TEXT_MAX = 200,
};

static const double PRICE_MAX = 999999999999.99;

extern const char *const api_price_units[];

static bool in_list(const char *s, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(s, *list) == 0)
            return true;
    }
    return false;
}

static const char *const MEMBERS_CREATE[] = {"title",      "description", "price",    "currency",
                                             "price_unit", "category_id", "province", "locality",
                                             "attributes", NULL};

/* A string member with its length in code points (after trimming when trim). */
static bool read_text(json_t *body, http_request_t *req, const char *key, bool null_ok, bool trim,
                      size_t min, size_t max, validation_t *v, bool *has, const char **out)
{
    json_t *value = json_object_get(body, key);
    *has = value != NULL;
    *out = NULL;
    if (value == NULL || (json_is_null(value) && null_ok))
        return true;
    if (!json_is_string(value)) {
        validation_fail(v, key, "type", "must be a string");
        return false;
    }
    size_t chars;
    const char *text = json_string_value(value);
    if (trim)
        text = api_trim(&req->arena, text, &chars);
    else
        chars = api_utf8_chars(text);
    char message[64];
    if (chars < min) {
        snprintf(message, sizeof(message), "%s is too short", key);
        validation_fail(v, key, "min_length", message);
        return false;
    }
    if (chars > max) {
        snprintf(message, sizeof(message), "%s is too long", key);
        validation_fail(v, key, "max_length", message);
        return false;
    }
    /* Copied: the body's JSON is freed before the statement runs. */
    *out = trim ? text : arena_strndup(&req->arena, text, strlen(text));
    return true;
}

static void read_price(json_t *body, http_request_t *req, validation_t *v, ad_fields_t *out)
{
    json_t *value = json_object_get(body, "price");
    out->has_price = value != NULL;
    if (value == NULL || json_is_null(value))
        return;
    if (!json_is_number(value)) {
        validation_fail(v, "price", "type", "price must be a number or null");
        return;
    }
    double price = json_number_value(value);
    if (!isfinite(price) || price < 0) {
        validation_fail(v, "price", "min", "price must not be negative");
        return;
    }
    if (price > PRICE_MAX) {
        validation_fail(v, "price", "max", "price is too large");
        return;
    }
    double cents = price * 100.0;
    if (fabs(cents - round(cents)) > 1e-6 * (cents > 1 ? cents : 1)) {
        validation_fail(v, "price", "decimals", "price has more than 2 decimals");
        return;
    }
    out->price = json_is_integer(value)
                     ? arena_printf(&req->arena, "%lld", (long long)json_integer_value(value))
                     : arena_printf(&req->arena, "%.2f", price);
}

/* Checks attributes against category c; records "attributes.KEY" reasons. */
static void check_attributes(json_t *attrs, const category_t *c, validation_t *v)
{
    const char *key;
    json_t *value;
    json_object_foreach(attrs, key, value)
    {
        char field[96];
        snprintf(field, sizeof(field), "attributes.%.80s", key);
        json_t *attr = category_attribute(c, key);
        if (attr == NULL) {
            validation_fail(v, field, "unknown", "not an attribute of this category");
            continue;
        }
        const char *type = json_string_value(json_object_get(attr, "type"));
        type = type != NULL ? type : "";
        if (strcmp(type, "number") == 0) {
            if (!json_is_number(value) || !isfinite(json_number_value(value)))
                validation_fail(v, field, "type", "must be a number");
        } else if (strcmp(type, "bool") == 0) {
            if (!json_is_boolean(value))
                validation_fail(v, field, "type", "must be true or false");
        } else if (!json_is_string(value)) {
            validation_fail(v, field, "type", "must be a string");
        } else if (strcmp(type, "enum") == 0) {
            size_t i;
            json_t *option;
            bool found = false;
            json_array_foreach(json_object_get(attr, "options"), i, option)
            {
                if (json_equal(option, value))
                    found = true;
            }
            if (!found)
                validation_fail(v, field, "invalid", "not one of the options");
        } else {
            size_t chars = api_utf8_chars(json_string_value(value));
            if (chars == 0 || chars > ATTRIBUTE_TEXT_MAX)
                validation_fail(v, field, "max_length", "must be 1 to 200 characters");
        }
    }
}

void ad_fields_read(json_t *body, http_request_t *req, const category_index_t *index, bool creating,
                    const ad_current_t *current, validation_t *v, ad_fields_t *out)
{
    memset(out, 0, sizeof(*out));
    const char *member;
    json_t *value;
    json_object_foreach(body, member, value)
    {
        if (!in_list(member, MEMBERS_CREATE) && (creating || strcmp(member, "status") != 0)) {
            char field[96];
            snprintf(field, sizeof(field), "%.90s", member);
            validation_fail(v, field, "unknown", "not a field of an ad");
        }
    }

    read_text(body, req, "title", false, true, TITLE_MIN, TITLE_MAX, v, &out->has_title,
              &out->title);
    if (creating && !out->has_title)
        validation_fail(v, "title", "required", "title is required");
    read_text(body, req, "description", true, false, 0, DESCRIPTION_MAX, v, &out->has_description,
              &out->description);
    if (out->has_description && out->description == NULL)
        out->description = ""; /* null clears it */
    read_text(body, req, "locality", true, true, 0, LOCALITY_MAX, v, &out->has_locality,
              &out->locality);
    read_price(body, req, v, out);

    if (read_text(body, req, "currency", true, false, 0, 8, v, &out->has_currency,
                  &out->currency) &&
        out->currency != NULL && strcmp(out->currency, "ARS") != 0 &&
        strcmp(out->currency, "USD") != 0)
        validation_fail(v, "currency", "invalid", "currency must be ARS or USD");
    if (read_text(body, req, "price_unit", false, false, 0, 16, v, &out->has_price_unit,
                  &out->price_unit) &&
        out->price_unit != NULL && !in_list(out->price_unit, api_price_units))
        validation_fail(v, "price_unit", "invalid", "not a price unit");
    if (creating && !out->has_price_unit)
        out->price_unit = "total";
    if (read_text(body, req, "province", false, false, 0, 64, v, &out->has_province,
                  &out->province) &&
        out->province != NULL && !api_province_valid(out->province))
        validation_fail(v, "province", "invalid", "not an Argentine province");
    if (creating && !out->has_province)
        validation_fail(v, "province", "required", "province is required");
    if (!creating &&
        read_text(body, req, "status", false, false, 0, 16, v, &out->has_status, &out->status) &&
        out->status != NULL && strcmp(out->status, "active") != 0 &&
        strcmp(out->status, "paused") != 0 && strcmp(out->status, "sold") != 0)
        validation_fail(v, "status", "invalid", "status must be active, paused or sold");

    /* A price needs a currency: the one sent, or the one the ad has. */
    bool price_after = out->has_price ? out->price != NULL : (!creating && current->has_price);
    bool currency_after =
        out->has_currency ? out->currency != NULL : (!creating && current->has_currency);
    if (price_after && !currency_after)
        validation_fail(v, "currency", "required", "a price needs a currency");

    /* The category, then the attributes against the category the ad ends
     * with. */
    const category_t *category = NULL;
    json_t *cat = json_object_get(body, "category_id");
    out->has_category = cat != NULL;
    if (cat != NULL) {
        if (!json_is_integer(cat)) {
            validation_fail(v, "category_id", "type", "category_id must be an integer");
        } else if (index != NULL &&
                   (category = category_by_id(index, json_integer_value(cat))) == NULL) {
            validation_fail(v, "category_id", "not_found", "no such category");
        } else {
            out->category_id =
                arena_printf(&req->arena, "%lld", (long long)json_integer_value(cat));
        }
    } else if (creating) {
        validation_fail(v, "category_id", "required", "category_id is required");
    } else if (index != NULL) {
        category = category_by_id(index, current->category_id);
    }

    json_t *attrs = json_object_get(body, "attributes");
    out->has_attributes = attrs != NULL;
    json_t *checked = NULL;
    if (attrs != NULL) {
        if (!json_is_object(attrs)) {
            validation_fail(v, "attributes", "type", "attributes must be an object");
        } else {
            /* jansson's default separators (", " and ": ") are those of
             * PostgreSQL's jsonb text, which the table's 8 KiB check measures. */
            char *text = json_dumps(attrs, JSON_PRESERVE_ORDER);
            size_t bytes = text != NULL ? strlen(text) : 0;
            free(text);
            if (bytes > ATTRIBUTES_MAX_BYTES)
                validation_fail(v, "attributes", "max_length", "attributes exceed 8 KiB");
            else
                checked = attrs;
            char *compact = json_dumps(attrs, JSON_COMPACT | JSON_PRESERVE_ORDER);
            out->attributes = arena_strndup(&req->arena, compact, compact ? strlen(compact) : 0);
            free(compact);
        }
    } else if (!creating && out->has_category && current->attributes != NULL) {
        /* A new category must allow what the ad already carries. */
        checked = json_loads(current->attributes, 0, NULL);
        if (checked != NULL && category != NULL)
            check_attributes(checked, category, v);
        json_decref(checked);
        checked = NULL;
    } else if (creating) {
        out->attributes = "{}";
    }
    if (checked != NULL && category != NULL)
        check_attributes(checked, category, v);
}
