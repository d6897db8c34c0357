/* Lookups into the API error table. */
#include "core/errors.h"

static const struct {
    int status;
    const char *code;
    const char *message;
} error_table[] = {
#define X(name, status, code, message) {status, code, message},
    API_ERROR_MAP(X)
#undef X
};

int api_error_status(api_error_t err)
{
    return error_table[err].status;
}

const char *api_error_code(api_error_t err)
{
    return error_table[err].code;
}

const char *api_error_message(api_error_t err)
{
    return error_table[err].message;
}
