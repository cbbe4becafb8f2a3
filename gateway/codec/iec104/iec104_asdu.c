/* iec104_asdu: the application service data unit — data unit identifier
 * (type, variable structure qualifier, cause of transmission, common address)
 * and its information objects (IEC 60870-5-101 clause 7, -104 clause 9). */
#include "codec/iec104/iec104.h"

#include <string.h>

/* How an object's element is laid out after its IOA. */
typedef enum {
    EL_SIQ, EL_DIQ, EL_NVA, EL_SVA, EL_FLOAT, EL_BCR, EL_SCO, EL_DCO, EL_QUALIFIER,
    EL_NONE, EL_TIME,
} element_kind;

typedef struct type_info {
    bool known;
    element_kind el;
    bool time;        /* a CP56Time2a follows the element */
    uint8_t size;     /* element octets without IOA, time included */
    uint8_t twin;     /* the same object with / without CP56Time2a (0: none) */
} type_info;

/* Indexed by the type identification: one look-up per object encoded. */
static const type_info types[256] = {
    [M_SP_NA_1] = {true, EL_SIQ, false, 1, M_SP_TB_1},
    [M_DP_NA_1] = {true, EL_DIQ, false, 1, M_DP_TB_1},
    [M_ME_NA_1] = {true, EL_NVA, false, 3, M_ME_TD_1},
    [M_ME_NB_1] = {true, EL_SVA, false, 3, M_ME_TE_1},
    [M_ME_NC_1] = {true, EL_FLOAT, false, 5, M_ME_TF_1},
    [M_IT_NA_1] = {true, EL_BCR, false, 5, M_IT_TB_1},
    [M_SP_TB_1] = {true, EL_SIQ, true, 8, M_SP_NA_1},
    [M_DP_TB_1] = {true, EL_DIQ, true, 8, M_DP_NA_1},
    [M_ME_TD_1] = {true, EL_NVA, true, 10, M_ME_NA_1},
    [M_ME_TE_1] = {true, EL_SVA, true, 10, M_ME_NB_1},
    [M_ME_TF_1] = {true, EL_FLOAT, true, 12, M_ME_NC_1},
    [M_IT_TB_1] = {true, EL_BCR, true, 12, M_IT_NA_1},
    [C_SC_NA_1] = {true, EL_SCO, false, 1, C_SC_TA_1},
    [C_DC_NA_1] = {true, EL_DCO, false, 1, C_DC_TA_1},
    [C_SC_TA_1] = {true, EL_SCO, true, 8, C_SC_NA_1},
    [C_DC_TA_1] = {true, EL_DCO, true, 8, C_DC_NA_1},
    [M_EI_NA_1] = {true, EL_QUALIFIER, false, 1, 0},
    [C_IC_NA_1] = {true, EL_QUALIFIER, false, 1, 0},
    [C_CI_NA_1] = {true, EL_QUALIFIER, false, 1, 0},
    [C_RD_NA_1] = {true, EL_NONE, false, 0, 0},
    [C_CS_NA_1] = {true, EL_TIME, false, 7, 0},
};

static const type_info *info_of(uint8_t type) {
    return types[type].known ? &types[type] : NULL;
}

int iec104_element_size(uint8_t type) {
    const type_info *ti = info_of(type);
    return ti ? ti->size : -1;
}

bool iec104_type_known(uint8_t type) {
    return info_of(type) != NULL;
}

bool iec104_type_has_time(uint8_t type) {
    const type_info *ti = info_of(type);
    return ti && (ti->time || ti->el == EL_TIME);
}

uint8_t iec104_type_with_time(uint8_t type) {
    const type_info *ti = info_of(type);
    return ti && ti->twin && !ti->time ? ti->twin : type;
}

uint8_t iec104_type_without_time(uint8_t type) {
    const type_info *ti = info_of(type);
    return ti && ti->twin && ti->time ? ti->twin : type;
}

unsigned iec104_max_objects(uint8_t type) {
    const type_info *ti = info_of(type);
    if (!ti)
        return 0;
    unsigned n = (IEC104_ASDU_MAX - 6) / (3u + ti->size);
    return n > IEC104_MAX_IO ? IEC104_MAX_IO : n;
}

/* ---- little-endian fields ---- */

static void put16(uint8_t *o, uint32_t v) {
    o[0] = (uint8_t)v;
    o[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *o, uint32_t v) {
    put16(o, v);
    put16(o + 2, v >> 16);
}

static uint32_t get16(const uint8_t *i) {
    return (uint32_t)i[0] | (uint32_t)i[1] << 8;
}

static uint32_t get32(const uint8_t *i) {
    return get16(i) | get16(i + 2) << 16;
}

/* ---- elements ---- */

static void encode_element(const type_info *ti, const iec104_io *io, uint8_t *o) {
    uint32_t bits;
    switch (ti->el) {
    case EL_SIQ: o[0] = (uint8_t)((io->ival & 1) | (io->q & 0xF0)); break;
    case EL_DIQ: o[0] = (uint8_t)((io->ival & 3) | (io->q & 0xF0)); break;
    case EL_NVA:
    case EL_SVA:
        put16(o, (uint16_t)(int16_t)io->ival);
        o[2] = io->q & 0xF1;
        break;
    case EL_FLOAT:
        memcpy(&bits, &io->fval, 4);
        put32(o, bits);
        o[4] = io->q & 0xF1;
        break;
    case EL_BCR:
        put32(o, (uint32_t)io->ival);
        o[4] = (uint8_t)((io->bcr_seq & 0x1F) | (io->q & 0xE0));
        break;
    case EL_SCO: o[0] = (uint8_t)((io->ival & 1) | (io->q & 0xFC)); break;
    case EL_DCO: o[0] = (uint8_t)((io->ival & 3) | (io->q & 0xFC)); break;
    case EL_QUALIFIER: o[0] = (uint8_t)io->ival; break;
    case EL_TIME: iec104_cp56_encode(&io->t, o); break;
    case EL_NONE: break;
    }
    if (ti->time)
        iec104_cp56_encode(&io->t, o + ti->size - 7);
}

static void decode_element(const type_info *ti, const uint8_t *i, iec104_io *io) {
    uint32_t bits;
    switch (ti->el) {
    case EL_SIQ: io->ival = i[0] & 1; io->q = i[0] & 0xF0; break;
    case EL_DIQ: io->ival = i[0] & 3; io->q = i[0] & 0xF0; break;
    case EL_NVA:
    case EL_SVA:
        io->ival = (int16_t)get16(i);
        io->q = i[2] & 0xF1;
        break;
    case EL_FLOAT:
        bits = get32(i);
        memcpy(&io->fval, &bits, 4);
        io->q = i[4] & 0xF1;
        break;
    case EL_BCR:
        io->ival = (int32_t)get32(i);
        io->bcr_seq = i[4] & 0x1F;
        io->q = i[4] & 0xE0;
        break;
    case EL_SCO: io->ival = i[0] & 1; io->q = i[0] & 0xFC; break;
    case EL_DCO: io->ival = i[0] & 3; io->q = i[0] & 0xFC; break;
    case EL_QUALIFIER: io->ival = i[0]; break;
    case EL_TIME: iec104_cp56_decode(i, &io->t); break;
    case EL_NONE: break;
    }
    if (ti->time)
        iec104_cp56_decode(i + ti->size - 7, &io->t);
}

/* ---- ASDU ---- */

int iec104_asdu_encode(const iec104_asdu *a, uint8_t *out, size_t cap) {
    const type_info *ti = info_of(a->type);
    if (!ti)
        return IEC104_ERR_TYPE;
    if (a->n == 0 || a->n > IEC104_MAX_IO)
        return IEC104_ERR_COUNT;
    size_t objects = a->sq ? 3 + (size_t)a->n * ti->size : (size_t)a->n * (3u + ti->size);
    size_t len = 6 + objects;
    if (len > IEC104_ASDU_MAX || len > cap)
        return IEC104_ERR_SPACE;
    if (a->cot == 0 || a->cot > 63)
        return IEC104_ERR_VALUE;
    out[0] = a->type;
    out[1] = (uint8_t)((a->sq ? 0x80 : 0) | a->n);
    out[2] = (uint8_t)(a->cot | (a->negative ? 0x40 : 0) | (a->test ? 0x80 : 0));
    out[3] = a->oa;
    put16(out + 4, a->ca);
    uint8_t *o = out + 6;
    for (unsigned k = 0; k < a->n; k++) {
        const iec104_io *io = &a->io[k];
        if (k == 0 || !a->sq) {
            if (io->ioa > IEC104_IOA_MAX)
                return IEC104_ERR_VALUE;
            put16(o, io->ioa);
            o[2] = (uint8_t)(io->ioa >> 16);
            o += 3;
        }
        encode_element(ti, io, o);
        o += ti->size;
    }
    return (int)len;
}

int iec104_asdu_decode(const uint8_t *in, size_t len, iec104_asdu *a) {
    if (len < 6)
        return IEC104_ERR_SIZE;
    a->type = in[0];
    a->sq = (in[1] & 0x80) != 0;
    a->n = in[1] & 0x7F;
    a->cot = in[2] & 0x3F;
    a->negative = (in[2] & 0x40) != 0;
    a->test = (in[2] & 0x80) != 0;
    a->oa = in[3];
    a->ca = (uint16_t)get16(in + 4);
    const type_info *ti = info_of(a->type);
    if (!ti)
        return IEC104_ERR_TYPE;
    if (a->n == 0)
        return IEC104_ERR_COUNT;
    size_t objects = a->sq ? 3 + (size_t)a->n * ti->size : (size_t)a->n * (3u + ti->size);
    if (len != 6 + objects)
        return IEC104_ERR_SIZE;
    const uint8_t *i = in + 6;
    uint32_t ioa = 0;
    for (unsigned k = 0; k < a->n; k++) {
        iec104_io *io = &a->io[k];
        memset(io, 0, sizeof *io);
        if (k == 0 || !a->sq) {
            ioa = get16(i) | (uint32_t)i[2] << 16;
            i += 3;
        } else {
            ioa++;
        }
        io->ioa = ioa;
        decode_element(ti, i, io);
        i += ti->size;
    }
    return 0;
}
