/* import_derive: the derived base's shared part (import_derive.h): the table
 * of protocol rows, the emulated M-Bus meters holding the values (their
 * telegrams as fixtures NAME.derivedK.hex), and the base scenario around the
 * row's server section (NAME.base.yaml next to the scenario). */
#include "sim/import/import_derive.h"
#include <limits.h>
#include <math.h>
#include <string.h>

void import_derive_point(size_t i, char *out, size_t cap) {
    snprintf(out, cap, "d%zu/%zu", i / DERIVE_PER_METER + 1, i % DERIVE_PER_METER);
}

/* One RSP_UD long frame (EN 13757-2/-3) holding the meter's records. */
static void write_telegram(FILE *f, const derive_values *v, size_t first, size_t n, unsigned primary) {
    uint8_t t[260];
    size_t k = 0;
    uint32_t id = 90000000u + primary; /* BCD of the decimal digits */
    t[k++] = 0x68, t[k++] = 0, t[k++] = 0, t[k++] = 0x68, t[k++] = 0x08, t[k++] = (uint8_t)primary, t[k++] = 0x72;
    for (int i = 0; i < 4; i++, id /= 100) t[k++] = (uint8_t)((id % 10) | ((id / 10) % 10) << 4);
    t[k++] = 0x2D, t[k++] = 0x2C; /* manufacturer KAM, as any */
    t[k++] = 0x01, t[k++] = 0x07, t[k++] = (uint8_t)primary, t[k++] = 0x00, t[k++] = 0x00, t[k++] = 0x00;
    for (size_t i = first; i < first + n; i++) {
        bool integer = v->integer[i];
        t[k++] = integer ? 0x04 : 0x05; /* 32-bit integer or real */
        t[k++] = 0x16;                  /* volume, 10^0 m3 */
        uint32_t raw;
        if (integer) raw = (uint32_t)(int32_t)llround(v->value[i]);
        else {
            float x = (float)v->value[i];
            memcpy(&raw, &x, 4);
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

static void write_base(FILE *f, const import_opts *o, const import_derive_row *row, size_t n, size_t meters,
                       const char *hex_ref) {
    fprintf(f, "# Derived by `hil import pcap --derive-base` (docs/replay.md) from\n# %s:\n"
               "# a gateway serving what the capture's %s server sent (",
            o->capture_path, row->protocol);
    row->describe(f, n);
    fprintf(f, "),\n# fed by %zu emulated M-Bus meter(s) holding the first value the server sent for each.\n", meters);
    fputs("name: ", f);
    char title[PATH_MAX + 32];
    snprintf(title, sizeof title, "derived base of %s", o->capture_path);
    import_yaml_string(f, title);
    fputs("\nduration: 5s\nplant:\n  segments:\n    - name: bus1\n      baud: 9600\n      slaves:\n", f);
    for (size_t m = 0; m < meters; m++)
        fprintf(f, "        - {primary: %zu, telegrams: [%s/%s.derived%zu.hex]}\n", m + 1, hex_ref, o->name, m + 1);
    if (row->write_plant) row->write_plant(f);
    fputs("gateway:\n  gateway: {name: gw1, datahub_dump: \"${workdir}/datahub.json\"}\n  mbus:\n"
          "    - name: bus1\n      device: \"${bus1}\"\n      baud: 9600\n      interval: 10s\n      retries: 0\n"
          "      meters:\n", f);
    for (size_t m = 0; m < meters; m++) fprintf(f, "        - {name: d%zu, primary: %zu}\n", m + 1, m + 1);
    row->write_server(f, n);
    fputs("expect:\n", f);
    for (size_t m = 0; m < meters; m++) fprintf(f, "  - meter: {name: d%zu, status: ok}\n", m + 1);
}

static int write_fixtures(const import_opts *o, const derive_values *v, size_t meters, char *err, size_t errlen) {
    for (size_t m = 0; m < meters; m++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s.derived%zu.hex", o->fixtures_dir, o->name, m + 1);
        FILE *f = fopen(path, "w");
        if (!f) {
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
        fprintf(f, "# meter d%zu of the base derived from %s: one real32 (integers int32) record a value\n", m + 1,
                o->capture_path);
        size_t first = m * DERIVE_PER_METER, n = v->n - first < DERIVE_PER_METER ? v->n - first : DERIVE_PER_METER;
        write_telegram(f, v, first, n, (unsigned)(m + 1));
        if (fclose(f) != 0) {
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
    }
    return 0;
}

int import_derive_base(const import_opts *o, capture *c, const import_stream *s, bool iec104, char *base_path,
                       size_t cap, char *err, size_t errlen) {
    const import_derive_row *row = iec104 ? &import_derive_iec104_row : &import_derive_modbus_row;
    static derive_values v;
    memset(&v, 0, sizeof v);
    if (row->collect(c, s, &v, err, errlen) < 0) return -1;
    size_t meters = (v.n + DERIVE_PER_METER - 1) / DERIVE_PER_METER;
    if (meters > DERIVE_MAX_METERS) {
        capture_count(c, "server values beyond what the derived base holds (250 meters of 32 records)",
                      v.n - DERIVE_MAX_METERS * DERIVE_PER_METER);
        meters = DERIVE_MAX_METERS, v.n = DERIVE_MAX_METERS * DERIVE_PER_METER;
    }
    size_t len = strlen(o->out_path);
    snprintf(base_path, cap, "%.*s.base.yaml", (int)(len - 5), o->out_path);
    FILE *f = fopen(base_path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", base_path);
        return -1;
    }
    write_base(f, o, row, v.n, meters, o->fixtures_ref);
    if (fclose(f) != 0 || write_fixtures(o, &v, meters, err, errlen) < 0) {
        if (!err[0]) snprintf(err, errlen, "cannot write %s", base_path);
        return -1;
    }
    row->report(c, base_path, meters);
    return 0;
}
