/* GCRA arithmetic; the explanation is in gcra.h. */
#include "store/gcra.h"

void gcra_init(gcra_t *gcra, uint32_t limit, uint32_t period_s)
{
    if (limit == 0)
        limit = 1;
    if (period_s == 0)
        period_s = 1;
    int64_t period_us = (int64_t)period_s * 1000000;
    gcra->limit = limit;
    gcra->interval_us = (period_us + limit - 1) / limit;
    gcra->window_us = gcra->interval_us * limit;
}

void gcra_check(const gcra_t *gcra, int64_t tat_us, int64_t now_us, gcra_result_t *out)
{
    int64_t tat = tat_us > now_us ? tat_us : now_us;
    int64_t new_tat = tat + gcra->interval_us;
    out->limit = gcra->limit;
    if (new_tat - now_us > gcra->window_us) {
        out->allowed = false;
        out->remaining = 0;
        out->reset_us = tat - now_us;
        out->retry_after_us = new_tat - gcra->window_us - now_us;
        out->tat_us = tat_us;
        return;
    }
    out->allowed = true;
    out->remaining = (uint32_t)((now_us + gcra->window_us - new_tat) / gcra->interval_us);
    out->reset_us = new_tat - now_us;
    out->retry_after_us = 0;
    out->tat_us = new_tat;
}

uint32_t gcra_ceil_seconds(int64_t us)
{
    if (us <= 0)
        return 0;
    int64_t s = (us + 999999) / 1000000;
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}
