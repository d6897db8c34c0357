/* Body parsing and field checks. */
#include "api/validate.h"
#include "http/response.h"

#include <ctype.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

enum { NAME_MAX_CHARS = 100, PHONE_MAX_CHARS = 40 };

const char *const api_provinces[24] = {
    "Buenos Aires",
    "Ciudad Autónoma de Buenos Aires",
    "Catamarca",
    "Chaco",
    "Chubut",
    "Córdoba",
    "Corrientes",
    "Entre Ríos",
    "Formosa",
    "Jujuy",
    "La Pampa",
    "La Rioja",
    "Mendoza",
    "Misiones",
    "Neuquén",
    "Río Negro",
    "Salta",
    "San Juan",
    "San Luis",
    "Santa Cruz",
    "Santa Fe",
    "Santiago del Estero",
    "Tierra del Fuego",
    "Tucumán",
};

bool api_province_valid(const char *s)
{
    for (size_t i = 0; i < sizeof(api_provinces) / sizeof(api_provinces[0]); i++) {
        if (strcmp(s, api_provinces[i]) == 0)
            return true;
    }
    return false;
}

/* True when any string in the document (keys included) holds a NUL. */
static bool has_nul(json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_STRING:
        return memchr(json_string_value(value), '\0', json_string_length(value)) != NULL;
    case JSON_OBJECT: {
        const char *key;
        size_t key_len;
        json_t *member;
        void *tmp;
        json_object_keylen_foreach_safe(value, tmp, key, key_len, member)
        {
            if (memchr(key, '\0', key_len) != NULL || has_nul(member))
                return true;
        }
        return false;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item)
        {
            if (has_nul(item))
                return true;
        }
        return false;
    }
    default:
        return false;
    }
}

json_t *api_body_json(http_request_t *req, bool empty_ok)
{
    if (req->body.len == 0) {
        if (empty_ok)
            return json_object();
        http_respond_error(req, API_ERR_INVALID_JSON, "a JSON object body is required", NULL);
        return NULL;
    }
    json_error_t err;
    /* NULs are let through the parser so that they are reported as the
     * validation error API.md names, like invalid UTF-8. */
    json_t *doc =
        json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (doc == NULL) {
        if (json_error_code(&err) == json_error_invalid_utf8) {
            http_respond_error(req, API_ERR_VALIDATION_FAILED, "strings must be valid UTF-8", NULL);
            return NULL;
        }
        http_respond_error(req, API_ERR_INVALID_JSON, "the request body is not valid JSON", NULL);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        http_respond_error(req, API_ERR_INVALID_JSON, "the request body must be a JSON object",
                           NULL);
        return NULL;
    }
    if (has_nul(doc)) {
        json_decref(doc);
        http_respond_error(req, API_ERR_VALIDATION_FAILED, "strings must not contain NUL", NULL);
        return NULL;
    }
    return doc;
}

void validation_fail(validation_t *v, const char *field, const char *reason, const char *message)
{
    if (v->fields == NULL)
        v->fields = json_object();
    if (json_object_get(v->fields, field) != NULL)
        return;
    json_object_set_new(v->fields, field, json_string(reason));
    if (v->first_message == NULL)
        v->first_message = message;
}

bool validation_respond(validation_t *v, http_request_t *req)
{
    if (v->fields == NULL)
        return false;
    json_t *fields = v->fields;
    v->fields = NULL;
    http_respond_error(req, API_ERR_VALIDATION_FAILED, v->first_message, fields);
    return true;
}

bool api_get_string(json_t *obj, const char *key, bool null_ok, validation_t *v, const char **out)
{
    json_t *member = json_object_get(obj, key);
    *out = NULL;
    if (member == NULL)
        return false;
    if (json_is_null(member) && null_ok)
        return true;
    if (!json_is_string(member)) {
        validation_fail(v, key, "type", "a field has the wrong type");
        return false;
    }
    *out = json_string_value(member);
    return true;
}

size_t api_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    }
    return n;
}

/* White space for trimming: Unicode's White_Space property (U+00A0, U+3000,
 * ...) plus the invisible format characters people paste as spaces. */
static bool is_space_like(ucs4_t cp)
{
    return uc_is_property_white_space(cp) || cp == 0x200B || cp == 0x2060 || cp == 0xFEFF ||
           cp == 0x180E;
}

/* Control characters and the bidirectional overrides, embeddings and
 * isolates, which can make a name display as something else. */
static bool is_forbidden_in_text(ucs4_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061C;
}

/* The byte span of s without the space-like code points at either end. */
static void trim_span(const char *s, size_t len, size_t *start, size_t *end)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t i = 0;
    while (i < len) {
        ucs4_t cp;
        int n = u8_mbtouc(&cp, u + i, len - i);
        if (n <= 0 || !is_space_like(cp))
            break;
        i += (size_t)n;
    }
    size_t last_end = i;
    for (size_t j = i; j < len;) {
        ucs4_t cp;
        int n = u8_mbtouc(&cp, u + j, len - j);
        if (n <= 0)
            n = 1;
        j += (size_t)n;
        if (!is_space_like(cp))
            last_end = j;
    }
    *start = i;
    *end = last_end;
}

char *api_trim(arena_t *arena, const char *s, size_t *chars)
{
    size_t start, end;
    trim_span(s, strlen(s), &start, &end);
    char *out = arena_strndup(arena, s + start, end - start);
    if (chars != NULL)
        *chars = api_utf8_chars(out);
    return out;
}

char *api_clean_text(arena_t *arena, const char *s, size_t *chars)
{
    size_t start, end;
    trim_span(s, strlen(s), &start, &end);
    const uint8_t *u = (const uint8_t *)s + start;
    size_t len = end - start;
    for (size_t i = 0; i < len;) {
        ucs4_t cp;
        int n = u8_mbtouc(&cp, u + i, len - i);
        if (n <= 0 || is_forbidden_in_text(cp))
            return NULL;
        i += (size_t)n;
    }
    size_t nfc_len = 0;
    uint8_t *nfc = u8_normalize(UNINORM_NFC, u, len, NULL, &nfc_len);
    if (nfc == NULL)
        return NULL;
    char *out = arena_strndup(arena, (const char *)nfc, nfc_len);
    free(nfc);
    if (chars != NULL)
        *chars = api_utf8_chars(out);
    return out;
}

char *api_email_normalize(arena_t *arena, const char *email)
{
    size_t len = strlen(email);
    if (len < 3 || len > 254)
        return NULL;
    const char *at = strchr(email, '@');
    if (at == NULL || at == email || strchr(at + 1, '@') != NULL)
        return NULL;
    const char *domain = at + 1;
    const char *dot = strrchr(domain, '.');
    if (dot == NULL || dot == domain || dot[1] == '\0' || (size_t)(at - email) > 64)
        return NULL;
    if (strstr(domain, "..") != NULL || domain[0] == '.' || domain[0] == '-')
        return NULL;
    /* The local part is ASCII; an internationalised domain is stored as its
     * ASCII form (IDNA2008 with the UTS #46 mapping, so full-width letters
     * become the ASCII ones they look like, and one address has one form). */
    size_t local_len = (size_t)(at - email);
    bool domain_ascii = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c >= 0x80 && i < local_len)
            return NULL;
        if (c >= 0x80)
            domain_ascii = false;
    }
    char *ascii_domain = NULL;
    if (!domain_ascii) {
        if (idn2_to_ascii_8z(domain, &ascii_domain, IDN2_NONTRANSITIONAL) != IDN2_OK)
            return NULL;
        domain = ascii_domain;
    }
    size_t domain_len = strlen(domain);
    if (local_len + 1 + domain_len > 254 || strchr(domain, '.') == NULL) {
        free(ascii_domain);
        return NULL;
    }
    char *out = arena_alloc(arena, local_len + 1 + domain_len + 1);
    memcpy(out, email, local_len);
    out[local_len] = '@';
    memcpy(out + local_len + 1, domain, domain_len + 1);
    free(ascii_domain);
    for (size_t i = 0; out[i] != '\0'; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c <= ' ' || c >= 0x7f || c == '(' || c == ')' || c == '<' || c == '>' || c == ',' ||
            c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']')
            return NULL;
        out[i] = (char)tolower(c);
    }
    return out;
}

/* Checks name, phone and province for register and PATCH /api/me; each
 * present member is checked, required ones must be present. */
void api_read_profile(json_t *body, http_request_t *req, validation_t *v, bool name_required,
                      const char **name, bool *has_phone, const char **phone, bool *has_province,
                      const char **province)
{
    const char *raw = NULL;
    *name = NULL;
    if (api_get_string(body, "name", false, v, &raw)) {
        size_t chars = 0;
        char *trimmed = api_clean_text(&req->arena, raw, &chars);
        if (trimmed == NULL)
            validation_fail(v, "name", "invalid_characters",
                            "name must not contain control characters or direction overrides");
        else if (chars == 0)
            validation_fail(v, "name", "required", "name must not be empty");
        else if (chars > NAME_MAX_CHARS)
            validation_fail(v, "name", "max_length", "name must have at most 100 characters");
        *name = trimmed;
    } else if (name_required && json_object_get(body, "name") == NULL) {
        validation_fail(v, "name", "required", "name is required");
    }
    *has_phone = json_object_get(body, "phone") != NULL;
    *phone = NULL;
    if (api_get_string(body, "phone", true, v, &raw) && raw != NULL) {
        size_t chars;
        char *trimmed = api_trim(&req->arena, raw, &chars);
        if (chars > PHONE_MAX_CHARS)
            validation_fail(v, "phone", "max_length", "phone must have at most 40 characters");
        *phone = chars > 0 ? trimmed : NULL;
    }
    *has_province = json_object_get(body, "province") != NULL;
    *province = NULL;
    if (api_get_string(body, "province", true, v, &raw) && raw != NULL) {
        if (!api_province_valid(raw))
            validation_fail(v, "province", "invalid",
                            "province must be one of the 24 Argentine jurisdictions");
        *province = arena_strndup(&req->arena, raw, strlen(raw));
    }
}
