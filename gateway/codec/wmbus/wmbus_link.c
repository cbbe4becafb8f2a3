/* Link header of a wireless frame: L, C, manufacturer and address. */
#include "codec/mbus/mbus_app.h"
#include "codec/wmbus/wmbus_internal.h"

void wmbus_address_read(const uint8_t *p, wmbus_address *a) {
    static const char digits[] = "0123456789ABCDEF";
    a->raw = p;
    a->manufacturer = wmbus_le16(p);
    mbus_manufacturer_text(a->manufacturer, a->man);
    a->id_bcd = wmbus_le32(p + 2);
    for (int i = 0; i < 8; i++)
        a->id[i] = digits[(a->id_bcd >> (28 - 4 * i)) & 0xF];
    a->id[8] = '\0';
    a->version = p[6];
    a->device_type = p[7];
}

wmbus_err_code wmbus_link_parse(const uint8_t *f, size_t len, wmbus_link *out, wmbus_error *err) {
    wmbus_ok(err);
    if (len < WMBUS_LINK_HEADER_LEN + 1)
        return wmbus_fail(err, WMBUS_ERR_HEADER, len, "link header and CI need %d bytes, have %zu",
                          WMBUS_LINK_HEADER_LEN + 1, len);
    out->l = f[0];
    out->c = f[1];
    wmbus_address_read(f + 2, &out->addr);
    return WMBUS_OK;
}

/* C fields of EN 13757-4 (primary and secondary station functions). */
const char *wmbus_c_name(uint8_t c) {
    switch (c) {
    case 0x40: return "SND_NKE";
    case 0x43: return "SND_UD3";
    case 0x44: return "SND_NR";
    case 0x46: return "SND_IR";
    case 0x47: return "ACC_NR";
    case 0x48: return "ACC_DMD";
    case 0x53: case 0x73: return "SND_UD";
    case 0x5A: case 0x7A: return "REQ_UD1";
    case 0x5B: case 0x7B: return "REQ_UD2";
    case 0x00: case 0x10: case 0x20: case 0x30: return "ACK";
    case 0x01: case 0x11: case 0x21: case 0x31: return "NACK";
    case 0x06: case 0x16: case 0x26: case 0x36: return "CNF_IR";
    case 0x08: case 0x18: case 0x28: case 0x38: return "RSP_UD";
    default: return NULL;
    }
}

bool wmbus_ci_is_ell(uint8_t ci) {
    return ci >= 0x8C && ci <= 0x8F;
}
