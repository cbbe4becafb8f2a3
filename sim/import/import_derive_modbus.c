/* import_derive_modbus: the Modbus TCP row of --derive-base (import_derive.h).
 * A Modbus answer holds no addresses, its request does: every read the server
 * answered (functions 1..4, not with an exception) gives its bank, address and
 * the registers or bits it held. The derived gateway maps each of them, one
 * mapping a register (uint16, the recorded value) or bit (bool), in one group;
 * its TCP server answers the capture's unit id (any unit when the capture has
 * several). Reads the server refused stay unmapped, so gwd refuses them too
 * (exception 02). Each register's first value feeds its derived record. */
#include <stdlib.h>
#include <string.h>
#include "codec/modbus/modbus_adu.h"
#include "sim/import/import_derive.h"

typedef struct item {
    uint8_t fc;         /* the read function: 1 coils, 2 discrete, 3 holding, 4 input */
    uint16_t address;
    unsigned value;     /* the first the server answered */
    unsigned changes;   /* how often it answered another value later */
} item;

static struct {
    item p[DERIVE_MAX_POINTS];
    size_t n, not_kept;
    unsigned unit, units, reads;
} d;

static void take_item(uint8_t fc, unsigned address, unsigned value) {
    for (size_t i = 0; i < d.n; i++)
        if (d.p[i].fc == fc && d.p[i].address == address) {
            if (d.p[i].value != value) d.p[i].changes++;
            return;
        }
    if (d.n == DERIVE_MAX_POINTS) {
        d.not_kept++;
        return;
    }
    d.p[d.n++] = (item){.fc = fc, .address = (uint16_t)address, .value = value};
}

static void take_read(void *ctx, unsigned unit, unsigned fc, unsigned address, unsigned items, const uint8_t *pdu) {
    (void)ctx;
    if (d.reads++ == 0) d.unit = unit, d.units = 1;
    else if (unit != d.unit && d.units == 1) d.units = 2; /* several: the server answers any */
    for (unsigned i = 0; i < items && address + i <= 0xFFFF; i++)
        take_item((uint8_t)fc, address + i, fc <= 2 ? mb_rsp_bit(pdu, i) : mb_rsp_register(pdu, i));
}

static int by_bank_address(const void *x, const void *y) {
    const item *a = x, *b = y;
    if (a->fc != b->fc) return a->fc < b->fc ? -1 : 1;
    return a->address < b->address ? -1 : a->address > b->address;
}

static int collect(capture *c, const import_stream *s, derive_values *v, char *err, size_t errlen) {
    memset(&d, 0, sizeof d);
    import_modbus_each_answered_read(c, s, take_read, NULL);
    if (d.n == 0) {
        snprintf(err, errlen, "--derive-base: the capture's server answered no read (functions 1..4) with "
                              "registers or bits (a request names the registers of its answer: a server-only capture "
                              "cannot derive a base)");
        return -1;
    }
    qsort(d.p, d.n, sizeof d.p[0], by_bank_address);
    for (size_t i = 0; i < d.n; i++) v->value[i] = d.p[i].value, v->integer[i] = true;
    v->n = d.n;
    return 0;
}

static void describe(FILE *f, size_t n) {
    if (d.units == 1) fprintf(f, "unit %u, %zu registers and bits", d.unit, n);
    else fprintf(f, "several units, served as any unit, %zu registers and bits", n);
}

/* A plant: modbus: block (the import puts the replayed masters there) with an
 * idle master, so that the base runs on its own too (its Modbus port exists
 * when the plant has a Modbus master). */
static void write_plant(FILE *f) {
    fputs("  modbus:\n    masters:\n      - {name: probe, tcp: true, reads: []}\n", f);
}

static void write_server(FILE *f, size_t n) {
    static const char *const bank[] = {"", "coils", "discrete", "holding", "input"};
    fputs("  modbus_server:\n    tcp: {port: \"${port:modbus}\", bind: 127.0.0.1}\n", f);
    if (d.units == 1) fprintf(f, "    unit_id: %u\n", d.unit);
    fputs("    groups:\n      - label: derived\n        mappings:\n", f);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        import_derive_point(i, name, sizeof name);
        fprintf(f, "          - {point: %s, bank: %s, address: %u, format: %s}\n", name, bank[d.p[i].fc],
                d.p[i].address, d.p[i].fc <= 2 ? "bool" : "uint16");
    }
    d.n = n;
}

static void report(capture *c, const char *base_path, size_t meters) {
    size_t changed = 0, bits = 0;
    for (size_t i = 0; i < d.n; i++) changed += d.p[i].changes > 0, bits += d.p[i].fc <= 2;
    capture_note(c, "--derive-base: %s serves %s%u and %zu registers and %zu bits (of %u answered reads) from %zu "
                    "emulated meter(s); the answers are expected value by value",
                 base_path, d.units == 1 ? "unit " : "any unit (the capture has several; the first is ", d.unit,
                 d.n - bits, bits, d.reads, meters);
    if (changed)
        capture_note(c, "--derive-base: %zu register(s)/bit(s) changed value during the capture: the derived meters "
                        "hold the first value, so the later answers are expected to differ", changed);
    capture_count(c, "server registers and bits beyond what the derived base holds (8000)", d.not_kept);
}

const import_derive_row import_derive_modbus_row = {
    .protocol = "Modbus TCP", .collect = collect, .describe = describe, .write_plant = write_plant,
    .write_server = write_server, .report = report};
