/* dlms_server_objects: the gateway's own objects and the meters' registers
 * (see dlms_server_objects.h). */
#include "north/dlms_server/dlms_server_objects.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/dp_address.h"
#include "codec/dlms/dlms_exception.h"

static const uint8_t CLOCK_LN[6] = {0, 0, 1, 0, 0, 255};
static const uint8_t DEVICE_ID_LN[6] = {0, 0, 96, 1, 0, 255};
static const uint8_t LDN_LN[6] = {0, 0, 42, 0, 0, 255};
static const uint8_t ASSOCIATION_LN[6] = {0, 0, 40, 0, 0, 255};

static bool is(const cosem_ref *ref, uint16_t class_id, const uint8_t ln[6]) {
    return ref->class_id == class_id && memcmp(ref->obis, ln, 6) == 0;
}

static double pow10i(int e) {
    double v = 1;
    for (int i = 0; i < (e < 0 ? -e : e); i++) v *= 10;
    return e < 0 ? 1 / v : v;
}

static void put_integer(axdr_writer *w, int64_t v) {
    if (v >= 0 && v <= 0xFFFFFFFFLL) axdr_put_uint32(w, (uint32_t)v);
    else if (v < 0 && v >= INT32_MIN) axdr_put_int32(w, (int32_t)v);
    else axdr_put_int64(w, v);
}

void dlms_srv_put_scaled(axdr_writer *w, double value, int8_t scaler) {
    double p = pow10i(scaler), raw = value / p;
    if (fabs(raw) < 9e15) {
        double r = round(raw);
        if ((double)(int64_t)r * p == value) { /* the client's raw x 10^scaler gives value back */
            put_integer(w, (int64_t)r);
            return;
        }
    }
    axdr_put_u8(w, DT_FLOAT64);
    uint64_t bits;
    memcpy(&bits, &raw, sizeof bits);
    axdr_put_u32(w, (uint32_t)(bits >> 32));
    axdr_put_u32(w, (uint32_t)bits);
}

/* ---- the gateway's own objects --------------------------------------------------- */

static uint8_t put_clock(uint8_t attr, axdr_writer *w) {
    dlms_datetime dt;
    switch (attr) {
    case 2:
        dlms_datetime_from_unix_ns(clock_wall_ns(), &dt);
        axdr_put_datetime(w, &dt);
        return DAR_SUCCESS;
    case 3: axdr_put_int16(w, 0); return DAR_SUCCESS;
    case 4: axdr_put_uint8(w, 0); return DAR_SUCCESS;
    default: return DAR_OBJECT_UNAVAILABLE;
    }
}

/* One object_list_element: {class, version, LN, access rights {attributes read-only, no methods}}. */
static void put_list_element(axdr_writer *w, uint16_t class_id, uint8_t version, const uint8_t ln[6],
                             int n_attrs, bool range) {
    axdr_put_structure(w, 4);
    axdr_put_uint16(w, class_id);
    axdr_put_uint8(w, version);
    axdr_put_octets(w, ln, 6);
    axdr_put_structure(w, 2);
    axdr_put_array(w, (size_t)n_attrs);
    for (int a = 1; a <= n_attrs; a++) {
        axdr_put_structure(w, 3);
        axdr_put_int8(w, (int8_t)a);
        axdr_put_enum(w, 1); /* read-only */
        if (range && a == 2) {
            axdr_put_array(w, 1);
            axdr_put_int8(w, 1); /* range descriptor */
        } else {
            axdr_put_null(w);
        }
    }
    axdr_put_array(w, 0);
}

static void put_object_list(const dlms_srv_objects *o, bool identity_only, axdr_writer *w) {
    size_t n = 4, n_regs = 0;
    uint8_t ln[6];
    for (size_t i = 0; !identity_only && i < o->cfg->n_regs; i++) n_regs += dlms_srv_register_obis(o, &o->cfg->regs[i], ln);
    if (!identity_only) n += n_regs + o->cfg->n_profiles + o->cfg->event_log;
    axdr_put_array(w, n);
    put_list_element(w, 8, 0, CLOCK_LN, 4, false);
    put_list_element(w, 1, 0, DEVICE_ID_LN, 2, false);
    put_list_element(w, 1, 0, LDN_LN, 2, false);
    put_list_element(w, 15, 1, ASSOCIATION_LN, 3, false);
    if (identity_only) return;
    for (size_t i = 0; i < o->cfg->n_regs; i++) {
        const dlms_srv_register *r = &o->cfg->regs[i];
        if (!dlms_srv_register_obis(o, r, ln)) continue;
        if (r->kind == DLMS_SRV_REGISTER) put_list_element(w, 3, 0, ln, 3, false);
        else put_list_element(w, 1, 0, ln, 2, false);
    }
    for (size_t i = 0; i < o->cfg->n_profiles; i++) put_list_element(w, 7, 1, o->cfg->profiles[i].obis, 8, true);
    if (o->cfg->event_log) put_list_element(w, 7, 1, o->cfg->event_obis, 8, true);
}

static uint8_t put_identity(const dlms_srv_objects *o, const cosem_ref *ref, bool identity_only, axdr_writer *w) {
    const char *id = o->cfg->device_id;
    if (is(ref, 8, CLOCK_LN)) return put_clock((uint8_t)ref->index, w);
    if (is(ref, 1, DEVICE_ID_LN) && ref->index == 2) {
        axdr_put_octets(w, (const uint8_t *)id, strlen(id));
        return DAR_SUCCESS;
    }
    if (is(ref, 1, LDN_LN) && ref->index == 2) {
        char ldn[17];
        snprintf(ldn, sizeof ldn, "GWD%s", id);
        axdr_put_octets(w, (const uint8_t *)ldn, strlen(ldn));
        return DAR_SUCCESS;
    }
    if (is(ref, 15, ASSOCIATION_LN) && ref->index == 2) {
        put_object_list(o, identity_only, w);
        return DAR_SUCCESS;
    }
    if (is(ref, 15, ASSOCIATION_LN) && ref->index == 3) {
        axdr_put_structure(w, 2);
        axdr_put_int8(w, (int8_t)o->client);
        axdr_put_uint16(w, o->cfg->logical);
        return DAR_SUCCESS;
    }
    return DAR_OBJECT_UNAVAILABLE;
}

static bool is_identity(const cosem_ref *ref) {
    return is(ref, 8, CLOCK_LN) || is(ref, 1, DEVICE_ID_LN) || is(ref, 1, LDN_LN) || is(ref, 15, ASSOCIATION_LN);
}

/* ---- registers ------------------------------------------------------------------- */

bool dlms_srv_register_obis(const dlms_srv_objects *o, const dlms_srv_register *r, uint8_t obis[6]) {
    char text[32];
    if (r->has_obis) {
        memcpy(obis, r->obis, 6);
        return true;
    }
    const dp *p = datahub_get(o->hub, r->point);
    return p && dp_dlms_obis_of(&p->origin, text, sizeof text) && dlms_obis_parse(text, obis);
}

bool dlms_srv_register_scaler(const dlms_srv_objects *o, const dlms_srv_register *r, int8_t *scaler, uint8_t *unit) {
    const dp *p = datahub_get(o->hub, r->point);
    if (!p && !(r->has_scaler && r->has_unit)) return false;
    *scaler = r->has_scaler ? r->scaler : p->origin.has_raw ? (int8_t)p->origin.scale_exp : 0;
    *unit = r->has_unit ? r->unit : (uint8_t)dlms_unit_code(p->unit);
    return true;
}

const dlms_srv_register *dlms_srv_register_by_obis(const dlms_srv_objects *o, const uint8_t obis[6]) {
    uint8_t ln[6];
    for (size_t i = 0; i < o->cfg->n_regs; i++)
        if (dlms_srv_register_obis(o, &o->cfg->regs[i], ln) && memcmp(ln, obis, 6) == 0) return &o->cfg->regs[i];
    return NULL;
}

static uint8_t put_value(const dlms_srv_objects *o, const dlms_srv_register *r, axdr_writer *w) {
    const dp *p = datahub_get(o->hub, r->point);
    int8_t scaler = 0;
    uint8_t unit;
    if (!p || (p->quality & DPQ_INVALID)) return DAR_TEMPORARY_FAILURE;
    const dp_value *v = &p->value;
    if (r->kind == DLMS_SRV_REGISTER && (v->type == DP_INT || v->type == DP_DOUBLE || v->type == DP_BOOL)) {
        dlms_srv_register_scaler(o, r, &scaler, &unit);
        if (p->origin.has_raw && scaler == p->origin.scale_exp) put_integer(w, p->origin.raw_int);
        else dlms_srv_put_scaled(w, v->type == DP_DOUBLE ? v->d : v->type == DP_INT ? (double)v->i : v->b, scaler);
        return DAR_SUCCESS;
    }
    switch (v->type) {
    case DP_BOOL: axdr_put_bool(w, v->b); return DAR_SUCCESS;
    case DP_INT: put_integer(w, v->i); return DAR_SUCCESS;
    case DP_DOUBLE: dlms_srv_put_scaled(w, v->d, 0); return DAR_SUCCESS;
    case DP_STRING: axdr_put_octets(w, (const uint8_t *)v->s, strlen(v->s)); return DAR_SUCCESS;
    case DP_BYTES: axdr_put_octets(w, v->bytes, v->len); return DAR_SUCCESS;
    default: axdr_put_null(w); return DAR_SUCCESS;
    }
}

static uint8_t put_register(const dlms_srv_objects *o, const dlms_srv_register *r, const cosem_ref *ref,
                            axdr_writer *w) {
    int8_t scaler;
    uint8_t unit;
    if (ref->class_id != (r->kind == DLMS_SRV_REGISTER ? 3 : 1)) return DAR_OBJECT_UNDEFINED;
    if (ref->index == 2) return put_value(o, r, w);
    if (ref->index != 3 || r->kind != DLMS_SRV_REGISTER) return DAR_OBJECT_UNAVAILABLE;
    if (!dlms_srv_register_scaler(o, r, &scaler, &unit)) return DAR_TEMPORARY_FAILURE;
    axdr_put_structure(w, 2);
    axdr_put_int8(w, scaler);
    axdr_put_enum(w, unit);
    return DAR_SUCCESS;
}

uint8_t dlms_srv_objects_get(void *arg, const cosem_ref *ref, const dlms_access *acc, bool identity_only,
                             axdr_writer *w) {
    const dlms_srv_objects *o = arg;
    if (acc->selector && !(ref->class_id == 7 && ref->index == 2)) return DAR_SCOPE_VIOLATED;
    if (is_identity(ref)) {
        if (ref->index == 1) {
            axdr_put_octets(w, ref->obis, 6);
            return DAR_SUCCESS;
        }
        return put_identity(o, ref, identity_only, w);
    }
    const dlms_srv_register *r = dlms_srv_register_by_obis(o, ref->obis);
    bool profile = dlms_srv_is_profile(o, ref->obis);
    if (!r && !profile) return DAR_OBJECT_UNDEFINED;
    if (identity_only) return DAR_READ_WRITE_DENIED;
    if (ref->index == 1) {
        if (profile ? ref->class_id != 7 : ref->class_id != (r->kind == DLMS_SRV_REGISTER ? 3 : 1))
            return DAR_OBJECT_UNDEFINED;
        axdr_put_octets(w, ref->obis, 6);
        return DAR_SUCCESS;
    }
    return profile ? dlms_srv_profile_get(o, ref, acc, w) : put_register(o, r, ref, w);
}
