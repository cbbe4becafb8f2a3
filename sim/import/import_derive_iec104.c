/* import_derive_iec104: the IEC 104 row of --derive-base (import_derive.h).
 * The server's monitor objects give the common address and one mapping row
 * per IOA with the type the server sent (its form without time tag;
 * timestamps: true when it sent time-tagged ones), all in group 1 with push:
 * always; each IOA's first value feeds its derived record (a normalised value
 * as its fraction, counters as integers). */
#include <stdlib.h>
#include <string.h>
#include "codec/iec104/iec104.h"
#include "sim/iec104/iec104_std.h"
#include "sim/import/import_derive.h"

#define MAX_POINTS 4096

typedef struct point {
    uint32_t ioa;
    uint8_t type;       /* without time tag */
    double value;       /* the first the server sent, in the gateway's terms */
    unsigned changes;   /* how often it sent another value later */
} point;

static struct {
    point p[MAX_POINTS];
    size_t n, not_kept;
    bool time_tags, have_ca;
    unsigned ca, other_ca;
} d;

/* The gateway's value that makes it send io as type (iec104_map_fill's inverse). */
static double gateway_value(uint8_t type, const iec104_io *io) {
    switch (iec104_type_without_time(type)) {
    case M_ME_NA_1: return io->ival / 32768.0;
    case M_ME_NC_1: return io->fval;
    default: return io->ival;
    }
}

static void take_object(uint8_t type, const iec104_io *io) {
    uint8_t base = iec104_type_without_time(type);
    double v = gateway_value(type, io);
    for (size_t i = 0; i < d.n; i++)
        if (d.p[i].ioa == io->ioa) {
            if (d.p[i].value != v) d.p[i].changes++;
            return;
        }
    if (d.n == MAX_POINTS) {
        d.not_kept++;
        return;
    }
    d.p[d.n++] = (point){.ioa = io->ioa, .type = base, .value = v};
}

static void take_stream(const import_stream *s) {
    static iec104_asdu a;
    for (size_t pos = 0; pos < s->n;) {
        i104_piece p = i104_next_piece(s->b, s->n, pos);
        pos += p.len;
        if (p.kind != I104_PIECE_APDU || p.format != 'I' || iec104_asdu_decode(s->b + p.at + 6, p.len - 6, &a) < 0 ||
            a.type >= C_SC_NA_1 || a.negative || !iec104_type_known(a.type))
            continue;
        if (!d.have_ca) d.have_ca = true, d.ca = a.ca;
        else if (a.ca != d.ca) d.other_ca++;
        d.time_tags |= iec104_type_has_time(a.type);
        for (unsigned k = 0; k < a.n; k++) take_object(a.type, &a.io[k]);
    }
}

static int by_ioa(const void *x, const void *y) {
    const point *a = x, *b = y;
    return a->ioa < b->ioa ? -1 : a->ioa > b->ioa;
}

static int collect(capture *c, const import_stream *s, derive_values *v, char *err, size_t errlen) {
    memset(&d, 0, sizeof d);
    for (unsigned k = 0; k < c->n_conns; k++) take_stream(&s[2 * k + CAP_FROM_SLAVE]);
    if (d.n == 0) {
        snprintf(err, errlen, "--derive-base: the capture's server sent no monitor object of a type gwd maps");
        return -1;
    }
    qsort(d.p, d.n, sizeof d.p[0], by_ioa);
    for (size_t i = 0; i < d.n; i++) v->value[i] = d.p[i].value, v->integer[i] = d.p[i].type == M_IT_NA_1;
    v->n = d.n;
    return 0;
}

static void describe(FILE *f, size_t n) {
    fprintf(f, "common address %u, %zu IOAs", d.ca, n);
}

static void write_server(FILE *f, size_t n) {
    fprintf(f, "  iec104:\n    port: ${port:iec104}\n    bind: 127.0.0.1\n    common_address: %u\n"
               "    timestamps: %s\n    offline_buffer: %zu\n    mapping:\n      - group: 1\n        points:\n",
            d.ca, d.time_tags ? "true" : "false", n * 4 + 16);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        import_derive_point(i, name, sizeof name);
        fprintf(f, "          - {type: %s, point: %s, ioa: %u, push: always}\n", iec104_type_name(d.p[i].type), name,
                (unsigned)d.p[i].ioa);
    }
    d.n = n;
}

static void report(capture *c, const char *base_path, size_t meters) {
    size_t changed = 0;
    for (size_t i = 0; i < d.n; i++) changed += d.p[i].changes > 0;
    capture_note(c, "--derive-base: %s serves common address %u and %zu IOAs from %zu emulated meter(s); "
                    "spontaneous objects are expected at any time (the emulated meters are read on their own "
                    "clock), answers to the recorded requests in their windows", base_path, d.ca, d.n, meters);
    if (changed)
        capture_note(c, "--derive-base: %zu IOA(s) changed value during the capture: the derived meters hold the "
                        "first value, so the later ones are expected to differ", changed);
    capture_count(c, "server objects at IOAs beyond what the derived base holds (4096 IOAs, 250 meters)", d.not_kept);
    if (d.other_ca)
        capture_count(c, "server ASDUs of another common address than the first one (the derived base has one)",
                      d.other_ca);
}

const import_derive_row import_derive_iec104_row = {
    .protocol = "IEC 104", .collect = collect, .describe = describe, .write_server = write_server, .report = report};
