/* import_derive: `hil import pcap ... --derive-base` (import.h). A capture of
 * a foreign RTU's answers has its own common address, IOAs and values; this
 * writes a base scenario whose gateway serves exactly that — the common
 * address, one mapping row per IOA with the type the server sent (its form
 * without time tag; timestamps: true when it sent time-tagged ones) — and
 * whose plant feeds it: emulated wired M-Bus meters, 32 records each, every
 * record holding the first value the server sent for its IOA (a real32, or a
 * 32-bit integer for counters, VIF "volume m3 x 1", so the value passes the
 * gateway's decoder unchanged). The import then uses it as its --base, so
 * the replay compares the capture's values with gwd's, value by value.
 * Fixture: NAME.derived.hex (one telegram a meter); the base: NAME.base.yaml
 * next to the scenario. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "codec/iec104/iec104.h"
#include "sim/iec104/iec104_std.h"
#include "sim/import/import.h"

#define MAX_POINTS 4096
#define PER_METER 32

typedef struct point {
    uint32_t ioa;
    uint8_t type;       /* without time tag */
    double value;       /* the first the server sent, in the gateway's terms */
    unsigned changes;   /* how often it sent another value later */
} point;

typedef struct derived {
    point p[MAX_POINTS];
    size_t n, not_kept;
    bool time_tags, have_ca;
    unsigned ca, other_ca;
} derived;

/* The gateway's value that makes it send io as type (iec104_map_fill's inverse). */
static double gateway_value(uint8_t type, const iec104_io *io) {
    switch (iec104_type_without_time(type)) {
    case M_ME_NA_1: return io->ival / 32768.0;
    case M_ME_NC_1: return io->fval;
    default: return io->ival;
    }
}

static void take_object(derived *d, uint8_t type, const iec104_io *io) {
    uint8_t base = iec104_type_without_time(type);
    double v = gateway_value(type, io);
    for (size_t i = 0; i < d->n; i++)
        if (d->p[i].ioa == io->ioa) {
            if (d->p[i].value != v) d->p[i].changes++;
            return;
        }
    if (d->n == MAX_POINTS) {
        d->not_kept++;
        return;
    }
    d->p[d->n++] = (point){.ioa = io->ioa, .type = base, .value = v};
}

static void take_stream(derived *d, const import_stream *s) {
    static iec104_asdu a;
    for (size_t pos = 0; pos < s->n;) {
        i104_piece p = i104_next_piece(s->b, s->n, pos);
        pos += p.len;
        if (p.kind != I104_PIECE_APDU || p.format != 'I' || iec104_asdu_decode(s->b + p.at + 6, p.len - 6, &a) < 0 ||
            a.type >= C_SC_NA_1 || a.negative || !iec104_type_known(a.type))
            continue;
        if (!d->have_ca) d->have_ca = true, d->ca = a.ca;
        else if (a.ca != d->ca) d->other_ca++;
        d->time_tags |= iec104_type_has_time(a.type);
        for (unsigned k = 0; k < a.n; k++) take_object(d, a.type, &a.io[k]);
    }
}

static int by_ioa(const void *x, const void *y) {
    const point *a = x, *b = y;
    return a->ioa < b->ioa ? -1 : a->ioa > b->ioa;
}

/* One RSP_UD long frame (EN 13757-2/-3) holding the meter's records. */
static void write_telegram(FILE *f, const point *p, size_t n, unsigned primary) {
    uint8_t t[260];
    size_t k = 0;
    uint32_t id = 90000000u + primary; /* BCD of the decimal digits */
    t[k++] = 0x68, t[k++] = 0, t[k++] = 0, t[k++] = 0x68, t[k++] = 0x08, t[k++] = (uint8_t)primary, t[k++] = 0x72;
    for (int i = 0; i < 4; i++, id /= 100) t[k++] = (uint8_t)((id % 10) | ((id / 10) % 10) << 4);
    t[k++] = 0x2D, t[k++] = 0x2C; /* manufacturer KAM, as any */
    t[k++] = 0x01, t[k++] = 0x07, t[k++] = (uint8_t)primary, t[k++] = 0x00, t[k++] = 0x00, t[k++] = 0x00;
    for (size_t i = 0; i < n; i++) {
        bool counter = p[i].type == M_IT_NA_1;
        t[k++] = counter ? 0x04 : 0x05; /* 32-bit integer or real */
        t[k++] = 0x16;                  /* volume, 10^0 m3 */
        uint32_t raw;
        if (counter) raw = (uint32_t)(int32_t)llround(p[i].value);
        else {
            float v = (float)p[i].value;
            memcpy(&raw, &v, 4);
        }
        for (int b = 0; b < 4; b++) t[k++] = (uint8_t)(raw >> (8 * b));
    }
    uint8_t sum = 0;
    for (size_t i = 4; i < k; i++) sum = (uint8_t)(sum + t[i]);
    t[1] = t[2] = (uint8_t)(k - 4);
    t[k++] = sum, t[k++] = 0x16;
    for (size_t i = 0; i < k; i++) fprintf(f, i ? " %02X" : "%02X", t[i]);
    fputc('\n', f);
}

static void write_base(FILE *f, const import_opts *o, const derived *d, size_t meters, const char *hex_ref) {
    fprintf(f, "# Derived by `hil import pcap --derive-base` (docs/replay.md) from\n# %s:\n"
               "# a gateway serving what the capture's IEC 104 server sent (common address %u, %zu IOAs),\n"
               "# fed by %zu emulated M-Bus meter(s) holding the first value the server sent for each IOA.\n",
            o->capture_path, d->ca, d->n, meters);
    fputs("name: ", f);
    char title[PATH_MAX + 32];
    snprintf(title, sizeof title, "derived base of %s", o->capture_path);
    import_yaml_string(f, title);
    fputs("\nduration: 5s\nplant:\n  segments:\n    - name: bus1\n      baud: 9600\n      slaves:\n", f);
    for (size_t m = 0; m < meters; m++)
        fprintf(f, "        - {primary: %zu, telegrams: [%s/%s.derived%zu.hex]}\n", m + 1, hex_ref, o->name, m + 1);
    fputs("gateway:\n  gateway: {name: gw1, datahub_dump: \"${workdir}/datahub.json\"}\n  mbus:\n"
          "    - name: bus1\n      device: \"${bus1}\"\n      baud: 9600\n      interval: 10s\n      retries: 0\n"
          "      meters:\n", f);
    for (size_t m = 0; m < meters; m++) fprintf(f, "        - {name: d%zu, primary: %zu}\n", m + 1, m + 1);
    fprintf(f, "  iec104:\n    port: ${port:iec104}\n    bind: 127.0.0.1\n    common_address: %u\n"
               "    timestamps: %s\n    offline_buffer: %zu\n    mapping:\n      - group: 1\n        points:\n",
            d->ca, d->time_tags ? "true" : "false", d->n * 4 + 16);
    for (size_t i = 0; i < d->n; i++)
        fprintf(f, "          - {type: %s, point: d%zu/%zu, ioa: %u, push: always}\n", iec104_type_name(d->p[i].type),
                i / PER_METER + 1, i % PER_METER, (unsigned)d->p[i].ioa);
    fputs("expect:\n", f);
    for (size_t m = 0; m < meters; m++) fprintf(f, "  - meter: {name: d%zu, status: ok}\n", m + 1);
}

static int write_fixtures(const import_opts *o, const derived *d, size_t meters, char *err, size_t errlen) {
    for (size_t m = 0; m < meters; m++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s.derived%zu.hex", o->fixtures_dir, o->name, m + 1);
        FILE *f = fopen(path, "w");
        if (!f) {
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
        fprintf(f, "# meter d%zu of the base derived from %s: one real32 (counters int32) record a IOA\n", m + 1,
                o->capture_path);
        size_t first = m * PER_METER, n = d->n - first < PER_METER ? d->n - first : PER_METER;
        write_telegram(f, d->p + first, n, (unsigned)(m + 1));
        if (fclose(f) != 0) {
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
    }
    return 0;
}

int import_derive_iec104(const import_opts *o, capture *c, const import_stream *s, char *base_path, size_t cap,
                         char *err, size_t errlen) {
    static derived d;
    memset(&d, 0, sizeof d);
    for (unsigned k = 0; k < c->n_conns; k++) take_stream(&d, &s[2 * k + CAP_FROM_SLAVE]);
    if (d.n == 0) {
        snprintf(err, errlen, "--derive-base: the capture's server sent no monitor object of a type gwd maps");
        return -1;
    }
    qsort(d.p, d.n, sizeof d.p[0], by_ioa);
    size_t meters = (d.n + PER_METER - 1) / PER_METER;
    if (meters > 250) {
        meters = 250, d.not_kept += d.n - 250 * PER_METER, d.n = 250 * PER_METER;
    }
    size_t len = strlen(o->out_path);
    snprintf(base_path, cap, "%.*s.base.yaml", (int)(len - 5), o->out_path);
    FILE *f = fopen(base_path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", base_path);
        return -1;
    }
    write_base(f, o, &d, meters, o->fixtures_ref);
    if (fclose(f) != 0 || write_fixtures(o, &d, meters, err, errlen) < 0) {
        if (!err[0]) snprintf(err, errlen, "cannot write %s", base_path);
        return -1;
    }
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
    return 0;
}
