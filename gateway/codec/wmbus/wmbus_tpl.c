/* Transport layer headers (EN 13757-7, OMS Vol.2): which CI has which header,
 * and the configuration field that carries the security mode.
 *   none:  (nothing)
 *   short: ACC STS CF(2)
 *   long:  ID(4) M(2) VER TYPE ACC STS CF(2)
 * Mode 7 adds a configuration field extension byte after CF. The CI table
 * is the one of EN 13757-7:2018 (Table 2) and OMS Vol.2: every CI with a
 * transport header is listed with what follows the header, so an encrypted
 * payload is decrypted whatever it carries. CI 0x70 (application error
 * without header) and the wired fixed data structure stay with the M-Bus
 * application decoder. */
#include "codec/wmbus/wmbus_internal.h"

#define SHORT_LEN 4
#define LONG_LEN 12
#define MODE_7 7

#define N WMBUS_TPL_NONE
#define S WMBUS_TPL_SHORT
#define L WMBUS_TPL_LONG
static const wmbus_ci_info ci_table[] = {
    {0x50, N, WMBUS_APL_OTHER, true, "application_reset_or_select"},
    {0x51, N, WMBUS_APL_OTHER, true, "command_to_device"},
    {0x52, N, WMBUS_APL_OTHER, true, "selection_of_device"},
    {0x53, L, WMBUS_APL_OTHER, true, "application_reset_or_select"},
    {0x54, N, WMBUS_APL_OTHER, true, "request_of_selected_application"},
    {0x55, L, WMBUS_APL_OTHER, true, "request_of_selected_application"},
    {0x5A, S, WMBUS_APL_OTHER, true, "command_to_device"},
    {0x5B, L, WMBUS_APL_OTHER, true, "command_to_device"},
    {0x60, L, WMBUS_APL_OTHER, true, "cosem_to_device"},
    {0x61, S, WMBUS_APL_OTHER, true, "cosem_to_device"},
    {0x64, L, WMBUS_APL_OTHER, true, "obis_to_device"},
    {0x65, S, WMBUS_APL_OTHER, true, "obis_to_device"},
    {0x66, N, WMBUS_APL_OTHER, false, "response_of_selected_application"},
    {0x67, S, WMBUS_APL_OTHER, false, "response_of_selected_application"},
    {0x68, L, WMBUS_APL_OTHER, false, "response_of_selected_application"},
    {0x69, N, WMBUS_APL_FORMAT, false, "format_frame"},
    {0x6A, S, WMBUS_APL_FORMAT, false, "format_frame"},
    {0x6B, L, WMBUS_APL_FORMAT, false, "format_frame"},
    {0x6C, L, WMBUS_APL_OTHER, false, "clock_synchronisation_absolute"},
    {0x6D, L, WMBUS_APL_OTHER, false, "clock_synchronisation_relative"},
    {0x6E, S, WMBUS_APL_ERROR, false, "application_error"},
    {0x6F, L, WMBUS_APL_ERROR, false, "application_error"},
    {0x71, N, WMBUS_APL_ALARM, false, "alarm"},
    {0x72, L, WMBUS_APL_RECORDS, false, "response"},
    {0x73, L, WMBUS_APL_COMPACT, false, "compact_frame"},
    {0x74, S, WMBUS_APL_ALARM, false, "alarm"},
    {0x75, L, WMBUS_APL_ALARM, false, "alarm"},
    {0x78, N, WMBUS_APL_RECORDS, false, "response"},
    {0x79, N, WMBUS_APL_COMPACT, false, "compact_frame"},
    {0x7A, S, WMBUS_APL_RECORDS, false, "response"},
    {0x7B, S, WMBUS_APL_COMPACT, false, "compact_frame"},
    {0x7C, L, WMBUS_APL_OTHER, false, "cosem"},
    {0x7D, S, WMBUS_APL_OTHER, false, "cosem"},
    {0x7E, L, WMBUS_APL_OTHER, false, "obis"},
    {0x7F, S, WMBUS_APL_OTHER, false, "obis"},
    {0x80, L, WMBUS_APL_NONE, true, "transport_layer_to_device"},
    {0x8A, S, WMBUS_APL_NONE, false, "transport_layer"},
    {0x8B, L, WMBUS_APL_NONE, false, "transport_layer"},
    {0xC0, L, WMBUS_APL_OTHER, true, "image_transfer_to_device"},
    {0xC1, S, WMBUS_APL_OTHER, false, "image_transfer"},
    {0xC2, L, WMBUS_APL_OTHER, false, "image_transfer"},
    {0xC3, L, WMBUS_APL_OTHER, true, "security_information_to_device"},
    {0xC4, S, WMBUS_APL_OTHER, false, "security_information"},
    {0xC5, L, WMBUS_APL_OTHER, false, "security_information"},
};
#undef N
#undef S
#undef L

const wmbus_ci_info *wmbus_ci_info_of(uint8_t ci) {
    for (size_t i = 0; i < sizeof ci_table / sizeof ci_table[0]; i++)
        if (ci_table[i].ci == ci)
            return &ci_table[i];
    return NULL;
}

bool wmbus_tpl_kind_of(uint8_t ci, wmbus_tpl_kind *kind, bool *has_apl) {
    const wmbus_ci_info *info = wmbus_ci_info_of(ci);
    *has_apl = true;
    if (!info)
        return false;
    if (info->to_device)
        return false; /* a meter's receiver decodes these, not this decoder */
    *kind = info->header;
    *has_apl = info->apl != WMBUS_APL_NONE;
    return true;
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
