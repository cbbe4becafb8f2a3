/* Extended link layer (EN 13757-4, CI 0x8C..0x8F):
 *   8C: CC ACC                 8D: CC ACC SN(4) [payload CRC(2)]
 *   8E: CC ACC M(2) A(6)       8F: CC ACC M(2) A(6) SN(4) [payload CRC(2)]
 * The session number's top three bits say how the payload (from the payload
 * CRC on) is encrypted: 0 not, 1 AES-128-CTR. */
#include "codec/wmbus/wmbus_internal.h"

wmbus_err_code wmbus_ell_parse(const uint8_t *p, size_t n, wmbus_ell *out, wmbus_error *err) {
    wmbus_ok(err);
    uint8_t ci = p[0];
    if (!wmbus_ci_is_ell(ci))
        return wmbus_fail(err, WMBUS_ERR_CI, 0, "CI 0x%02X is not an extended link layer", ci);
    out->ci = ci;
    out->has_addr = ci == 0x8E || ci == 0x8F;
    out->has_sn = ci == 0x8D || ci == 0x8F;
    size_t need = 3 + (out->has_addr ? 8 : 0) + (out->has_sn ? 4 + 2 : 0);
    if (n < need)
        return wmbus_fail(err, WMBUS_ERR_HEADER, n, "ELL CI 0x%02X needs %zu bytes, have %zu", ci,
                          need, n);
    out->cc = p[1];
    out->acc = p[2];
    size_t pos = 3;
    if (out->has_addr) {
        wmbus_address_read(p + pos, &out->addr);
        pos += 8;
    }
    out->sn = 0;
    out->sn_raw = NULL;
    out->enc = 0;
    if (out->has_sn) {
        out->sn_raw = p + pos;
        out->sn = wmbus_le32(p + pos);
        out->enc = out->sn >> 29;
        pos += 4;
    }
    out->len = pos;
    return WMBUS_OK;
}
