/* Application layer entry point: pick the header by CI, then hand the rest
 * to the record decoder (variable data) or the fixed structure decoder. */
#include <string.h>
#include "codec/mbus/mbus_internal.h"

#define CI_APP_ERROR 0x70
#define CI_LONG_HEADER 0x72
#define CI_FIXED 0x73
#define CI_FIXED_MSB 0x77
#define CI_NO_HEADER 0x78
#define CI_SHORT_HEADER 0x7A

#define LONG_HEADER_LEN 12
#define SHORT_HEADER_LEN 4

/* Error codes of CI 0x70 as EN 13757-3 lists them. */
const char *mbus_app_error_text(unsigned code) {
    switch (code) {
    case 0: return "Unspecified error";
    case 1: return "Unimplemented CI-Field";
    case 2: return "Buffer too long, truncated";
    case 3: return "Too many records";
    case 4: return "Premature end of record";
    case 5: return "More than 10 DIFE's";
    case 6: return "More than 10 VIFE's";
    case 8: return "Application busy";
    case 9: return "Too many readouts";
    default: return "Reserved error code";
    }
}

static mbus_err_code application_error(const uint8_t *data, size_t len, mbus_data *out,
                                       mbus_error *err) {
    unsigned code = len ? data[0] : 0; /* no byte: general application error */
    out->app_error = (int)code;
    return mbus_fail(err, MBUS_ERR_APPLICATION, 0, "slave reports application error %u: %s", code,
                     mbus_app_error_text(code));
}

static void read_short_header(const uint8_t *d, mbus_header *h) {
    h->present = true;
    h->access_number = d[0];
    h->status = d[1];
    h->signature = (uint16_t)(d[2] | d[3] << 8);
}

static void read_long_header(const uint8_t *d, mbus_header *h) {
    h->is_long = true;
    h->id_bcd = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
    static const char digits[] = "0123456789ABCDEF";
    for (int i = 0; i < 8; i++)
        h->id[i] = digits[(h->id_bcd >> (28 - 4 * i)) & 0xF];
    h->id[8] = '\0';
    h->manufacturer = (uint16_t)(d[4] | d[5] << 8);
    mbus_manufacturer_text(h->manufacturer, h->man);
    h->version = d[6];
    h->medium = d[7];
    read_short_header(d + 8, h);
}

/* Security modes of the configuration word (bits 8..12) that encrypt the
 * records; a decrypted payload starts with two 0x2F fillers. */
static bool is_encrypted(const mbus_header *h, const uint8_t *d, size_t len) {
    unsigned mode = (h->signature >> 8) & 0x1F;
    bool encrypting = mode == 5 || mode == 7 || mode == 8 || mode == 9 || mode == 10 || mode == 13;
    return encrypting && !(len >= 2 && d[0] == 0x2F && d[1] == 0x2F);
}

static void clear(uint8_t ci, mbus_data *out) {
    out->ci = ci;
    memset(&out->hdr, 0, sizeof out->hdr);
    out->fixed = false;
    out->n_records = 0;
    out->more_follows = false;
    out->mfr_data = NULL;
    out->mfr_len = 0;
    out->app_error = -1;
}

mbus_err_code mbus_app_decode(uint8_t ci, const uint8_t *data, size_t len, mbus_data *out,
                              mbus_error *err) {
    mbus_ok(err);
    clear(ci, out);
    size_t header_len;
    switch (ci) {
    case CI_APP_ERROR: return application_error(data, len, out, err);
    case CI_FIXED: return mbus_fixed_decode(data, len, false, out, err);
    case CI_FIXED_MSB: return mbus_fixed_decode(data, len, true, out, err);
    case CI_LONG_HEADER: header_len = LONG_HEADER_LEN; break;
    case CI_SHORT_HEADER: header_len = SHORT_HEADER_LEN; break;
    case CI_NO_HEADER: header_len = 0; break;
    default: return mbus_fail(err, MBUS_ERR_CI, 0, "CI 0x%02X is not supported", ci);
    }
    if (len < header_len)
        return mbus_fail(err, MBUS_ERR_HEADER, len, "CI 0x%02X needs a %zu byte header, have %zu",
                         ci, header_len, len);
    if (ci == CI_LONG_HEADER)
        read_long_header(data, &out->hdr);
    else if (ci == CI_SHORT_HEADER)
        read_short_header(data, &out->hdr);
    if (is_encrypted(&out->hdr, data + header_len, len - header_len))
        return mbus_fail(err, MBUS_ERR_ENCRYPTED, header_len,
                         "records are encrypted (security mode %u)", (out->hdr.signature >> 8) & 0x1F);
    return mbus_records_decode(data, len, header_len, out, err);
}
