/* modbus_server_map: the datahub's state written into the server's register
 * image — mapping groups on every point update, the MUC500 layout after every
 * readout cycle (entries move when meters or values appear, so it is laid out
 * anew from the hub's first-publish order, or the configured meter list). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "north/modbus/modbus_server_int.h"

/* ---- mapping groups --------------------------------------------------------- */

static bool numeric(const dp_value *v, double *out) {
    switch (v->type) {
    case DP_BOOL: *out = v->b; return true;
    case DP_INT: *out = (double)v->i; return true;
    case DP_DOUBLE: *out = v->d; return true;
    default: return false;
    }
}

/* What a master reads for a point that is invalid, with invalid: mark. */
static void mark_invalid(const mbs_mapping *m, uint16_t *regs) {
    switch (m->format) {
    case MBV_FLOAT32: case MBV_FLOAT64: mbv_encode(NAN, m->format, m->order, regs, NULL); break;
    case MBV_INT16: mbv_encode_int(INT16_MIN, m->format, m->order, regs, NULL); break;
    case MBV_INT32: mbv_encode_int(INT32_MIN, m->format, m->order, regs, NULL); break;
    case MBV_INT64: mbv_encode_int(INT64_MIN, m->format, m->order, regs, NULL); break;
    case MBV_UINT16: mbv_encode_int(0xFFFF, m->format, m->order, regs, NULL); break;
    case MBV_UINT32: mbv_encode_int(0xFFFFFFFFLL, m->format, m->order, regs, NULL); break;
    case MBV_BOOL: regs[0] = 0; break;
    }
}

static void write_mapping(mbs_state *st, const mbs_mapping *m, const dp *p) {
    uint16_t regs[4] = {0};
    double v = 0;
    bool have = p && numeric(&p->value, &v);
    if (p && m->invalid == MBS_INVALID_MARK && (p->quality & (DPQ_INVALID | DPQ_NOT_TOPICAL)))
        mark_invalid(m, regs);
    else if (have && p->value.type == DP_INT && m->scale == 1.0)
        mbv_encode_int(p->value.i, m->format, m->order, regs, NULL);
    else if (have)
        mbv_encode(v * m->scale, m->format, m->order, regs, NULL);
    else if (m->invalid == MBS_INVALID_MARK)
        mark_invalid(m, regs);
    mbs_image_write(&st->img, m->unit, m->bank, m->address, regs, mbv_registers(m->format));
}

static int cmp_key(const void *key, const void *elem) {
    return strcmp(key, ((const mbs_mapping *)elem)->point);
}

static void update_point(mbs_state *st, const dp *p) {
    const modbus_server_config *c = st->cfg;
    if (!c->n_mappings) return;
    const mbs_mapping *hit = bsearch(p->id, c->mappings, c->n_mappings, sizeof *hit, cmp_key);
    if (!hit) return;
    while (hit > c->mappings && strcmp(hit[-1].point, p->id) == 0) hit--;
    for (; hit < c->mappings + c->n_mappings && strcmp(hit->point, p->id) == 0; hit++)
        write_mapping(st, hit, p);
}

/* ---- MUC500 layout ---------------------------------------------------------- */

static void layout_meter(const dh_meter *m, const datahub *hub, muc_meter *out) {
    memset(out, 0, sizeof *out);
    out->serial = muc_serial_number(m ? m->serial : NULL);
    if (m && m->manufacturer) snprintf(out->manufacturer, sizeof out->manufacturer, "%s", m->manufacturer);
    out->version = m && m->version > 0 ? (unsigned)m->version : 0;
    out->medium = m && m->medium > 0 ? (unsigned)m->medium : 0;
    out->read_s = m ? m->last_read_ns / NS_PER_S : 0;
    out->not_read = !m || !m->status || strcmp(m->status, "ok") != 0;
}

static void layout_value(const dp *p, muc_value *out) {
    memset(out, 0, sizeof *out);
    double v = 0;
    if (!p || !numeric(&p->value, &v)) return;
    out->value = v;
    out->has_raw = p->origin.has_raw || p->value.type == DP_INT || p->value.type == DP_BOOL;
    out->raw = p->origin.has_raw ? p->origin.raw_int : p->value.type == DP_INT ? p->value.i : (int64_t)v;
    out->scale_exp = p->origin.has_raw ? p->origin.scale_exp : 0;
    out->unit = muc_unit_index(p->unit);
    out->meter_ts_s = p->origin.meter_ts_ns / NS_PER_S;
}

/* The points of a meter in first-publish order (at most cap). */
static size_t meter_points(const datahub *hub, const char *meter, const dp **out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < datahub_count(hub) && n < cap; i++) {
        const dp *p = datahub_at(hub, i);
        if (p->origin.meter && strcmp(p->origin.meter, meter) == 0) out[n++] = p;
    }
    return n;
}

static void write_entry(mbs_state *st, int unit, uint32_t *reg, const uint16_t *regs) {
    unsigned n = muc_entry_regs(&st->cfg->muc);
    if (*reg + n <= 65536) mbs_image_write(&st->img, unit, MBS_HOLDING, *reg, regs, n);
    *reg += n;
}

/* One meter entry and its value entries from *reg on (unit for multi slave). */
static void layout_one(mbs_state *st, const char *name, long long reserve, int unit, uint32_t *reg) {
    enum { MAX_VALUES = 6000 };
    const modbus_server_config *c = st->cfg;
    const dp **points = malloc(MAX_VALUES * sizeof *points);
    if (!points) return;
    size_t n = meter_points(st->hub, name, points, MAX_VALUES);
    size_t slots = reserve >= 0 ? (size_t)reserve : n;
    muc_meter mm;
    layout_meter(datahub_get_meter(st->hub, name), st->hub, &mm);
    for (size_t i = 0; i < n && i < slots; i++)
        if (points[i]->quality) mm.not_current = true;
    uint16_t regs[MUC_ENTRY_REGS];
    muc_meter_entry(&c->muc, &mm, regs);
    write_entry(st, unit, reg, regs);
    for (size_t i = 0; i < slots; i++) {
        muc_value mv;
        layout_value(i < n ? points[i] : NULL, &mv);
        muc_value_entry(&c->muc, &mv, regs);
        write_entry(st, unit, reg, regs);
    }
    free(points);
}

static void layout_all(mbs_state *st) {
    const modbus_server_config *c = st->cfg;
    const datahub *hub = st->hub;
    bool multi = c->muc.multi_slave;
    uint32_t reg = (uint32_t)c->layout_start;
    uint16_t regs[MUC_ENTRY_REGS];
    if (muc_device_entry(&c->muc, clock_wall_ns() / NS_PER_S, regs)) {
        uint32_t dev = multi ? 0 : reg;
        write_entry(st, multi ? 255 : MBS_ANY_UNIT, &dev, regs);
        if (!multi) reg = dev;
    }
    size_t n = c->n_layout_meters ? c->n_layout_meters : datahub_meter_count(hub);
    for (size_t i = 0; i < n && (!multi || i < 247); i++) {
        const char *name = c->n_layout_meters ? c->layout_meters[i].name : datahub_meter_at(hub, i)->name;
        long long reserve = c->n_layout_meters ? c->layout_meters[i].values : -1;
        if (multi) reg = 0;
        layout_one(st, name, reserve, multi ? (int)i + 1 : MBS_ANY_UNIT, &reg);
    }
}

/* ---- entry points ----------------------------------------------------------- */

void mbs_map_rebuild(mbs_state *st) {
    mbs_image_clear(&st->img);
    if (st->cfg->layout) layout_all(st);
    /* mappings last: where both claim a register, the mapping wins */
    for (size_t i = 0; i < st->cfg->n_mappings; i++) {
        const mbs_mapping *m = &st->cfg->mappings[i];
        write_mapping(st, m, datahub_get(st->hub, m->point));
    }
    st->layout_dirty = false;
}

void mbs_map_update(mbs_state *st, const dh_update *u) {
    switch (u->kind) {
    case DH_POINT:
        update_point(st, u->point);
        if (st->cfg->layout) st->layout_dirty = true;
        break;
    case DH_METER:
        if (st->cfg->layout) st->layout_dirty = true;
        break;
    case DH_CYCLE_END:
        if (st->layout_dirty) mbs_map_rebuild(st);
        break;
    default: /* events and commands do not change registers */
        break;
    }
}

void mbs_map_refresh_clock(mbs_state *st, int64_t wall_ns) {
    const modbus_server_config *c = st->cfg;
    uint16_t regs[MUC_ENTRY_REGS];
    if (!c->layout || !muc_device_entry(&c->muc, wall_ns / NS_PER_S, regs)) return;
    int unit = c->muc.multi_slave ? 255 : MBS_ANY_UNIT;
    uint32_t at = c->muc.multi_slave ? 0 : (uint32_t)c->layout_start;
    mbs_image_write(&st->img, unit, MBS_HOLDING, at + 4, regs + 4, 2);
}
