/* Authentication and fragmentation layer (OMS Vol.2, CI 0x90):
 *   CI AFL.L FCL(2) [MCL] [KI(2)] [MCR(4)] [MAC] [ML(2)]
 * FCL bits: 14 more fragments, 13 MCL present, 12 ML present, 11 MCR
 * present, 10 MAC present, 9 KI present, 0..7 fragment id. MCL bits 0..3:
 * authentication type, which fixes the MAC length. */
#include "codec/wmbus/wmbus_internal.h"

#define FCL_MF (1u << 14)
#define FCL_MCLP (1u << 13)
#define FCL_MLP (1u << 12)
#define FCL_MCRP (1u << 11)
#define FCL_MACP (1u << 10)
#define FCL_KIP (1u << 9)

unsigned wmbus_afl_mac_len(unsigned auth_type) {
    switch (auth_type) {
    case 3: return 2;  /* AES-CMAC-128 truncated to 2 bytes */
    case 4: return 4;  /* ... 4 bytes */
    case 5: return 8;  /* ... 8 bytes (the OMS default) */
    case 6: return 12; /* ... 12 bytes */
    case 7: return 16; /* ... untruncated */
    default: return 0;
    }
}

static wmbus_err_code take(size_t *pos, size_t n, size_t end, const char *what, wmbus_error *err) {
    if (*pos + n > end)
        return wmbus_fail(err, WMBUS_ERR_HEADER, *pos, "AFL ends before its %s", what);
    *pos += n;
    return WMBUS_OK;
}

wmbus_err_code wmbus_afl_parse(const uint8_t *p, size_t n, wmbus_afl *out, wmbus_error *err) {
    wmbus_ok(err);
    if (n < 4)
        return wmbus_fail(err, WMBUS_ERR_HEADER, n, "AFL needs at least 4 bytes, have %zu", n);
    out->afl_len = p[1];
    size_t end = 2 + (size_t)out->afl_len;
    if (end > n)
        return wmbus_fail(err, WMBUS_ERR_HEADER, 1, "AFL.L %u runs past the end of the frame",
                          out->afl_len);
    out->len = end;
    size_t pos = 2;
    if (take(&pos, 2, end, "fragmentation control field", err))
        return err ? err->code : WMBUS_ERR_HEADER;
    out->fcl = wmbus_le16(p + 2);
    out->more_fragments = out->fcl & FCL_MF;
    out->fragment_id = (uint8_t)out->fcl;
    out->has_mcl = out->fcl & FCL_MCLP;
    out->has_ki = out->fcl & FCL_KIP;
    out->has_mcr = out->fcl & FCL_MCRP;
    out->has_mac = out->fcl & FCL_MACP;
    out->has_ml = out->fcl & FCL_MLP;
    out->mcl = 0, out->ki = 0, out->mcr = 0, out->ml = 0, out->mac_len = 0, out->auth_type = 0;
    out->mcl_raw = out->mcr_raw = out->ml_raw = out->mac = NULL;
    if (out->has_mcl) {
        out->mcl_raw = p + pos;
        if (take(&pos, 1, end, "message control field", err))
            return err ? err->code : WMBUS_ERR_HEADER;
        out->mcl = *out->mcl_raw;
        out->auth_type = out->mcl & 0x0F;
    }
    if (out->has_ki) {
        if (take(&pos, 2, end, "key information", err))
            return err ? err->code : WMBUS_ERR_HEADER;
        out->ki = wmbus_le16(p + pos - 2);
    }
    if (out->has_mcr) {
        out->mcr_raw = p + pos;
        if (take(&pos, 4, end, "message counter", err))
            return err ? err->code : WMBUS_ERR_HEADER;
        out->mcr = wmbus_le32(out->mcr_raw);
    }
    if (out->has_mac) {
        unsigned mac_len = wmbus_afl_mac_len(out->auth_type);
        if (mac_len == 0)
            return wmbus_fail(err, WMBUS_ERR_HEADER, 4,
                              "AFL has a MAC but authentication type %u has no MAC length",
                              out->auth_type);
        out->mac = p + pos;
        out->mac_len = (uint8_t)mac_len;
        if (take(&pos, mac_len, end, "MAC", err))
            return err ? err->code : WMBUS_ERR_HEADER;
    }
    if (out->has_ml) {
        out->ml_raw = p + pos;
        if (take(&pos, 2, end, "message length", err))
            return err ? err->code : WMBUS_ERR_HEADER;
        out->ml = wmbus_le16(out->ml_raw);
    }
    if (out->more_fragments)
        return wmbus_fail(err, WMBUS_ERR_FRAGMENT, 2,
                          "AFL fragment %u%s: fragmented messages are not reassembled",
                          out->fragment_id, out->more_fragments ? " (more follow)" : "");
    return WMBUS_OK;
}
