/* vmbus_telegram: a virtual meter's RSP_UD pages (see vmbus_telegram.h). */
#include "north/mbus_virtual/vmbus_telegram.h"

#include <string.h>

#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_link.h"
#include "north/mbus_virtual/vmbus_record.h"

#define HEADER_LEN 12
/* user data after C, A, CI: 252 bytes; the header, and one byte for DIF 0x1F */
#define RECORDS_MAX (MBUS_FRAME_MAX - 9 - HEADER_LEN - 1)

static bool of_meter(const dp *p, const char *meter) {
    return p->origin.meter && p->origin.record >= 0 && strcmp(p->origin.meter, meter) == 0;
}

static bool stale(const dp *p, const vmbus_telegram_in *in) {
    if (p->quality & (DPQ_INVALID | DPQ_NOT_TOPICAL))
        return true;
    return in->expiration_ns > 0 && in->now_wall_ns - p->ts_ns > in->expiration_ns;
}

/* Walk the meter's records, page by page; the records of `page` go to recs.
 * Returns the number of pages; *status collects the meter's state. */
static unsigned paginate(const vmbus_telegram_in *in, unsigned page, uint8_t *recs, size_t *len,
                         uint8_t *status) {
    unsigned pages = 0;
    size_t used = 0;
    *len = 0;
    for (size_t i = 0; i < datahub_count(in->hub); i++) {
        const dp *p = datahub_at(in->hub, i);
        uint8_t rec[64];
        size_t n = of_meter(p, in->meter) ? vmbus_record_encode(p, rec, sizeof rec) : 0;
        if (n == 0)
            continue;
        if (pages == 0 || used + n > RECORDS_MAX)
            pages++, used = 0;
        if (pages - 1 == page) {
            memcpy(recs + *len, rec, n);
            *len += n;
            if (stale(p, in))
                *status |= VMBUS_STATUS_TEMPORARY_ERROR;
        }
        used += n;
    }
    return pages ? pages : 1; /* a meter without records still answers, with its header */
}

size_t vmbus_telegram_build(const vmbus_telegram_in *in, unsigned page, uint8_t *out, size_t cap,
                            bool *more) {
    uint8_t data[MBUS_FRAME_MAX];
    size_t len;
    uint8_t status = 0;
    const dh_meter *m = datahub_get_meter(in->hub, in->meter);
    if (m && m->status && strcmp(m->status, "ok") != 0)
        status |= VMBUS_STATUS_TEMPORARY_ERROR;
    unsigned pages = paginate(in, page, data + HEADER_LEN, &len, &status);
    if (page >= pages)
        return 0;
    *more = page + 1 < pages;
    mbus_encode_long_header(data, in->address.id_bcd, in->address.manufacturer,
                            in->address.version, in->address.medium, in->access, status, 0);
    len += HEADER_LEN;
    if (*more)
        data[len++] = 0x1F;
    return mbus_encode_long(out, cap, MBUS_C_RSP_UD, in->primary, 0x72, data, len);
}

size_t vmbus_telegram_records(const datahub *hub, const char *meter) {
    size_t n = 0;
    for (size_t i = 0; i < datahub_count(hub); i++) {
        const dp *p = datahub_at(hub, i);
        uint8_t rec[64];
        if (of_meter(p, meter) && vmbus_record_encode(p, rec, sizeof rec))
            n++;
    }
    return n;
}
