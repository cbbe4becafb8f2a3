/* dlms_obis_quantity: OBIS value groups C and D -> datahub quantity (see the header). */
#include "codec/dlms/dlms_obis_quantity.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum { KIND_NONE, KIND_ACTIVE, KIND_REACTIVE, KIND_APPARENT, KIND_OTHER } c_kind;

/* Value group C of electricity (A = 1) without its phase: 21..40 are L1, 41..60 L2 and
 * 61..80 L3 of the quantities 1..20 (Σ / any phase). */
static unsigned c_without_phase(unsigned c) {
    return c >= 21 && c <= 80 ? (c - 1) % 20 + 1 : c;
}

/* D = 8, 9, 10, 17..20, 29, 30, 58: time integrals (energy registers). */
static bool d_time_integral(unsigned d) {
    return (d >= 8 && d <= 10) || (d >= 17 && d <= 20) || d == 29 || d == 30 || d == 58;
}

/* D = 0..7, 11..16, 21..28, 55: instantaneous values, averages, maxima and minima. */
static bool d_measured(unsigned d) {
    return d <= 7 || (d >= 11 && d <= 16) || (d >= 21 && d <= 28) || d == 55;
}

static const char *power_quantity(c_kind kind, bool energy) {
    switch (kind) {
    case KIND_ACTIVE: return energy ? "energy" : "power";
    case KIND_REACTIVE: return energy ? "reactive_energy" : "reactive_power";
    case KIND_APPARENT: return energy ? "apparent_energy" : "apparent_power";
    default: return NULL;
    }
}

static c_kind power_kind(unsigned c) {
    if (c == 1 || c == 2 || (c >= 15 && c <= 20))
        return KIND_ACTIVE; /* +, -, |+|+|-|, +-, per quadrant */
    if (c >= 3 && c <= 8)
        return KIND_REACTIVE; /* +, -, QI..QIV */
    if (c == 9 || c == 10)
        return KIND_APPARENT;
    return KIND_NONE;
}

/* Quantities that are measured, never integrated to an energy. */
static const char *measured_quantity(unsigned c_any, unsigned c) {
    if (c_any == 11 || c == 91)
        return "current"; /* any phase, L1..L3, neutral */
    if (c_any == 12 || c == 92)
        return "voltage";
    if (c_any == 13)
        return "power_factor";
    if (c_any == 14)
        return "frequency";
    return NULL;
}

static const char *electricity(unsigned c, unsigned d) {
    if (c == 0 || c > 92)
        return NULL; /* general purpose, service entries, errors, lists, profiles */
    unsigned c_any = c <= 80 ? c_without_phase(c) : c;
    c_kind kind = c <= 80 ? power_kind(c_any) : KIND_NONE;
    if (kind != KIND_NONE && (d_time_integral(d) || d_measured(d)))
        return power_quantity(kind, d_time_integral(d));
    return d_measured(d) ? measured_quantity(c_any, c) : NULL;
}

static const char *abstract(const uint8_t o[6]) {
    if (o[2] == 1 && o[3] == 0)
        return "date_time"; /* 0.0.1.0.0.255 clock */
    if (o[2] == 96 && o[3] == 1 && o[4] == 0)
        return "fabrication_no"; /* device ID 1, the manufacturing number */
    if (o[2] == 96 && o[3] == 3 && o[4] == 10)
        return "disconnect_control";
    if (o[2] == 96 && o[3] == 11)
        return "event_code";
    return NULL;
}

static const char *by_class(unsigned class_id) {
    switch (class_id) {
    case 8: return "date_time";
    case 70: return "disconnect_control";
    default: return "unknown";
    }
}

const char *dlms_obis_quantity(const uint8_t obis[6], unsigned class_id) {
    const char *q = NULL;
    if (obis[0] == 1)
        q = electricity(obis[2], obis[3]);
    else if (obis[0] == 0)
        q = abstract(obis);
    return q ? q : by_class(class_id);
}
