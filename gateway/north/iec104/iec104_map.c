/* iec104_map: data points → information objects. Conversion by type with
 * scaling and overflow, quality bits, and the push decision (CU-XE #44: the
 * deadband compares the latest value with the last *transmitted* one, never
 * with the previous sample, so slow drifts are still reported). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "north/iec104/iec104_int.h"
#include "core/strhash.h"

bool iec104_map_is_command(uint8_t type) {
    return type == C_SC_NA_1 || type == C_DC_NA_1;
}

bool iec104_map_is_counter(uint8_t type) {
    return type == M_IT_NA_1 || type == M_IT_TB_1;
}

static bool numeric(const dp_value *v, double *out) {
    switch (v->type) {
    case DP_BOOL: *out = v->b ? 1 : 0; return true;
    case DP_INT: *out = (double)v->i; return true;
    case DP_DOUBLE: *out = v->d; return isfinite(v->d);
    default: return false;
    }
}

static bool beyond_deadband(const iec104_map *m) {
    double diff = fabs(m->value - m->last_tx);
    double band = m->relative ? fabs(m->last_tx) * m->deadband / 100.0 : m->deadband;
    return diff > band;
}

bool iec104_map_update(iec104_map *m, const dp *point) {
    double v = 0;
    m->convertible = numeric(&point->value, &v);
    m->value = m->convertible ? v * m->scaling : 0;
    /* a single point only has on/off: other changes of the number are no change */
    if (iec104_type_without_time(m->type) == M_SP_NA_1)
        m->value = m->value != 0;
    m->bool_value = point->value.type == DP_BOOL;
    m->quality = point->quality | (m->convertible ? 0 : DPQ_INVALID);
    m->ts_ns = point->ts_ns;
    m->has_value = true;
    if (iec104_map_is_command(m->type))
        return false;
    if (!m->transmitted || m->push == PUSH_ALWAYS || m->quality != m->last_tx_quality)
        return true;
    if (m->push == PUSH_CHANGE)
        return m->value != m->last_tx;
    return beyond_deadband(m);
}

void iec104_map_transmitted(iec104_map *m) {
    m->transmitted = true;
    m->last_tx = m->value;
    m->last_tx_quality = m->quality;
}

static uint8_t qds_of(unsigned quality) {
    return (uint8_t)((quality & DPQ_INVALID ? IEC104_QDS_IV : 0) |
                     (quality & DPQ_NOT_TOPICAL ? IEC104_QDS_NT : 0) |
                     (quality & DPQ_SUBSTITUTED ? IEC104_QDS_SB : 0) |
                     (quality & DPQ_BLOCKED ? IEC104_QDS_BL : 0) |
                     (quality & DPQ_OVERFLOW ? IEC104_QDS_OV : 0));
}

/* Round into [lo, hi]; *ov when it did not fit. */
static int32_t clamp_round(double v, double lo, double hi, bool *ov) {
    double r = nearbyint(v);
    if (r < lo || r > hi) {
        *ov = true;
        r = r < lo ? lo : hi;
    }
    return (int32_t)r;
}

void iec104_map_fill(const iec104_map *m, uint8_t type, iec104_io *io) {
    memset(io, 0, sizeof *io);
    io->ioa = m->ioa;
    bool ov = false;
    /* a point never published is invalid and not topical (CU-XE: a meter not read) */
    unsigned quality = m->has_value ? m->quality : DPQ_INVALID | DPQ_NOT_TOPICAL;
    double v = m->value;
    switch (iec104_type_without_time(type)) {
    case M_SP_NA_1: io->ival = v != 0; break;
    case M_DP_NA_1:
        io->ival = m->bool_value ? (v != 0 ? 2 : 1) : clamp_round(v, 0, 3, &ov);
        ov = false; /* DIQ has no OV bit */
        break;
    case M_ME_NA_1: io->ival = clamp_round(v * 32768.0, -32768, 32767, &ov); break;
    case M_ME_NB_1: io->ival = clamp_round(v, -32768, 32767, &ov); break;
    case M_ME_NC_1:
        io->fval = (float)v;
        ov = isinf(io->fval);
        break;
    case M_IT_NA_1: {
        bool carry = false;
        io->ival = clamp_round(v, INT32_MIN, INT32_MAX, &carry);
        io->q = (uint8_t)((quality & DPQ_INVALID ? IEC104_BCR_IV : 0) |
                          (carry ? IEC104_BCR_CY : 0));
        break;
    }
    default: break;
    }
    if (!iec104_map_is_counter(type))
        io->q = (uint8_t)(qds_of(quality) | (ov ? IEC104_QDS_OV : 0));
    if (iec104_type_has_time(type))
        iec104_cp56_from_ms((m->has_value ? m->ts_ns : 0) / 1000000, &io->t);
}

/* ---- indexes ---- */

long iec104_map_find_point(const iec104_server *srv, const char *id) {
    if (!srv->point_cap)
        return -1;
    size_t mask = srv->point_cap - 1;
    for (size_t j = strhash(id) & mask;; j = (j + 1) & mask) {
        long at = srv->point_slots[j];
        if (at < 0)
            return -1;
        if (strcmp(srv->map[at].point, id) == 0)
            return at;
    }
}

long iec104_map_find_ioa(const iec104_server *srv, uint32_t ioa) {
    size_t lo = 0, hi = srv->n_map;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t at = srv->map[srv->by_ioa[mid]].ioa;
        if (at == ioa)
            return srv->by_ioa[mid];
        if (at < ioa)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static const iec104_map *sort_rows;

static int by_ioa_cmp(const void *a, const void *b) {
    uint32_t x = sort_rows[*(const uint32_t *)a].ioa, y = sort_rows[*(const uint32_t *)b].ioa;
    return x < y ? -1 : x > y;
}

/* Build the point hash (rows of one point chained in mapping order) and the IOA index. */
int iec104_map_index(iec104_server *srv) {
    size_t cap = 16;
    while (cap < srv->n_map * 2 + 2)
        cap *= 2;
    srv->point_slots = malloc(cap * sizeof *srv->point_slots);
    srv->by_ioa = malloc((srv->n_map ? srv->n_map : 1) * sizeof *srv->by_ioa);
    if (!srv->point_slots || !srv->by_ioa)
        return -1;
    srv->point_cap = cap;
    for (size_t j = 0; j < cap; j++)
        srv->point_slots[j] = -1;
    for (size_t i = srv->n_map; i-- > 0;) {
        iec104_map *m = &srv->map[i];
        srv->by_ioa[i] = (uint32_t)i;
        size_t j = strhash(m->point) & (cap - 1);
        while (srv->point_slots[j] >= 0 && strcmp(srv->map[srv->point_slots[j]].point, m->point))
            j = (j + 1) & (cap - 1);
        m->next_same_point = srv->point_slots[j];
        srv->point_slots[j] = (long)i;
    }
    sort_rows = srv->map;
    qsort(srv->by_ioa, srv->n_map, sizeof *srv->by_ioa, by_ioa_cmp);
    sort_rows = NULL;
    return 0;
}
