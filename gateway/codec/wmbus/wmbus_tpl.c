/* Transport layer headers (EN 13757-7, OMS Vol.2): which CI has which header,
 * and the configuration field that carries the security mode.
 *   none:  (nothing)
 *   short: ACC STS CF(2)
 *   long:  ID(4) M(2) VER TYPE ACC STS CF(2)
 * Mode 7 adds a configuration field extension byte after CF. Only the CIs a
 * meter sends are here: commands to a meter (0x51, 0x5A, 0x5B ...) are not
 * decoded, as in the wired M-Bus codec. */
#include "wmbus_internal.h"

#define SHORT_LEN 4
#define LONG_LEN 12
#define MODE_7 7

bool wmbus_tpl_kind_of(uint8_t ci, wmbus_tpl_kind *kind, bool *has_apl) {
    *has_apl = true;
    switch (ci) {
    case 0x71: /* alarm, no header */
    case 0x78: /* response, no header */
        *kind = WMBUS_TPL_NONE;
        return true;
    case 0x6E: /* application error, short header */
    case 0x74: /* alarm, short header */
    case 0x7A: /* response, short header */
        *kind = WMBUS_TPL_SHORT;
        return true;
    case 0x6F: /* application error, long header */
    case 0x72: /* response, long header */
    case 0x75: /* alarm, long header */
        *kind = WMBUS_TPL_LONG;
        return true;
    case 0x8A: /* transport layer only, short header */
        *kind = WMBUS_TPL_SHORT, *has_apl = false;
        return true;
    case 0x8B: /* transport layer only, long header */
        *kind = WMBUS_TPL_LONG, *has_apl = false;
        return true;
    default: return false;
    }
}

wmbus_err_code wmbus_tpl_parse(const uint8_t *p, size_t n, wmbus_tpl *out, wmbus_error *err) {
    wmbus_ok(err);
    out->ci = p[0];
    if (!wmbus_tpl_kind_of(p[0], &out->kind, &out->has_apl))
        return wmbus_fail(err, WMBUS_ERR_CI, 0, "CI 0x%02X is not supported", p[0]);
    out->access_number = out->status = 0;
    out->cf = 0;
    out->mode = out->blocks = 0;
    out->has_cfe = false;
    out->cfe = 0;
    out->addr.raw = NULL;
    size_t pos = 1;
    if (out->kind == WMBUS_TPL_NONE) {
        out->len = pos;
        return WMBUS_OK;
    }
    size_t need = 1 + (out->kind == WMBUS_TPL_LONG ? LONG_LEN : SHORT_LEN);
    if (n < need)
        return wmbus_fail(err, WMBUS_ERR_HEADER, n, "CI 0x%02X needs a %zu byte header, have %zu",
                          p[0], need - 1, n - 1);
    if (out->kind == WMBUS_TPL_LONG) {
        /* the long header sends the id before the manufacturer */
        uint8_t ma[8] = {p[5], p[6], p[1], p[2], p[3], p[4], p[7], p[8]};
        wmbus_address_read(ma, &out->addr);
        out->addr.raw = NULL; /* ma is gone after return; callers use p + 1 */
        pos += 8;
    }
    out->access_number = p[pos];
    out->status = p[pos + 1];
    out->cf = wmbus_le16(p + pos + 2);
    out->mode = (out->cf >> 8) & 0x1F;
    out->blocks = (out->cf >> 4) & 0x0F;
    pos += 4;
    if (out->mode == MODE_7) {
        if (pos >= n)
            return wmbus_fail(err, WMBUS_ERR_HEADER, pos,
                              "security mode 7 needs a configuration field extension");
        out->has_cfe = true;
        out->cfe = p[pos++];
    }
    out->len = pos;
    return WMBUS_OK;
}
