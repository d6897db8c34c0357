/* Request-body parsing and field validation shared by the handlers.
 *
 * api_body_json() turns a request body into a JSON object or answers the
 * error itself (400 invalid_json, 400 validation_failed for NUL or invalid
 * UTF-8 inside strings). The field checks collect their complaints in a
 * validation_t, answered in one 400 validation_failed listing every bad
 * field, as API.md shows: {"fields":{"title":"min_length"}}. */
#ifndef RURAL24_API_VALIDATE_H
#define RURAL24_API_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* The 24 Argentine jurisdictions, exactly as API.md spells them. */
extern const char *const api_provinces[24];

/* True when s is one of api_provinces. */
bool api_province_valid(const char *s);

/* Parses req's body as a JSON object. Returns a new reference the caller
 * owns, or NULL after having answered the request with the error. An empty
 * body counts as {} when empty_ok. */
json_t *api_body_json(http_request_t *req, bool empty_ok);

typedef struct {
    json_t *fields; /* {"field": "reason"}; NULL while all is well */
    const char *first_message;
} validation_t;

/* Records a bad field (the first reason per field wins). */
void validation_fail(validation_t *v, const char *field, const char *reason, const char *message);

/* Answers 400 validation_failed with the fields and returns true when any
 * check failed (the validation's memory is released either way). */
bool validation_respond(validation_t *v, http_request_t *req);

/* Reads an optional string member. Returns true when present and a string
 * (in *out; NULL when it is JSON null and null_ok), records "type" when it is
 * of another type, and returns false when absent. */
bool api_get_string(json_t *obj, const char *key, bool null_ok, validation_t *v, const char **out);

/* Copies s with leading and trailing white space removed into the arena
 * (Unicode white space, and the zero-width spaces people paste as such);
 * *chars receives its length in code points. */
char *api_trim(arena_t *arena, const char *s, size_t *chars);

/* A display text such as a name: trimmed as api_trim does, refused (NULL)
 * when it holds a control character or a bidirectional override, embedding
 * or isolate, and returned in NFC in the arena. */
char *api_clean_text(arena_t *arena, const char *s, size_t *chars);

/* Code points in a UTF-8 string (assumed valid: jansson checked it). */
size_t api_utf8_chars(const char *s);

/* Email: well-formed (one @, a dot in the domain, no spaces or control
 * characters), at most 254 chars, an ASCII local part; an internationalised
 * domain becomes its ASCII (punycode) form. Writes the lower-cased form into
 * the arena and returns it, or NULL. */
char *api_email_normalize(arena_t *arena, const char *email);

/* Reads the profile members of a register or PATCH /api/me body: name
 * (trimmed, 1 to 100 chars; required when name_required), phone (optional,
 * null clears it, at most 40 chars) and province (optional, null clears it,
 * one of api_provinces). Strings land in req's arena; has_* say whether the
 * member was sent at all. */
void api_read_profile(json_t *body, http_request_t *req, validation_t *v, bool name_required,
                      const char **name, bool *has_phone, const char **phone, bool *has_province,
                      const char **province);

#endif
