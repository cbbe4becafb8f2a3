/* import_base: the --base scenario's IEC 104 points (import_base.h). */
#include "sim/import/import_base.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/config.h"

static void add_point(import_base_iec104 *b, const cfg_node *row) {
    const cfg_node *ioa = cfg_get(row, "ioa"), *type = cfg_get(row, "type");
    if (!ioa || ioa->kind != CFG_SCALAR || b->n == IMPORT_BASE_MAX_IOAS) return;
    b->ioa[b->n] = (uint32_t)strtoul(ioa->scalar, NULL, 0);
    snprintf(b->type[b->n], sizeof b->type[0], "%s", type && type->kind == CFG_SCALAR ? type->scalar : "");
    b->n++;
}

void import_base_read_iec104(const char *path, import_base_iec104 *b) {
    memset(b, 0, sizeof *b);
    cfg_err err;
    cfg_node *root = path ? cfg_load_file(path, &err) : NULL;
    const cfg_node *gw = root ? cfg_get(root, "gateway") : NULL;
    const cfg_node *sec = gw ? cfg_get(gw, "iec104") : NULL;
    if (sec && sec->kind == CFG_MAP) {
        b->known = true;
        const cfg_node *ca = cfg_get(sec, "common_address");
        b->ca = ca && ca->kind == CFG_SCALAR ? (unsigned)strtoul(ca->scalar, NULL, 0) : 1;
        const cfg_node *mapping = cfg_get(sec, "mapping");
        for (size_t g = 0; mapping && mapping->kind == CFG_SEQ && g < mapping->n; g++) {
            const cfg_node *points = cfg_get(mapping->items[g], "points");
            for (size_t i = 0; points && points->kind == CFG_SEQ && i < points->n; i++)
                add_point(b, points->items[i]);
        }
    }
    cfg_free(root);
}

const char *import_base_ioa_type(const import_base_iec104 *b, uint32_t ioa) {
    for (size_t i = 0; i < b->n; i++)
        if (b->ioa[i] == ioa) return b->type[i];
    return NULL;
}

static unsigned bank_function(const char *bank) {
    static const char *const names[] = {"coils", "discrete", "holding", "input", "contact"};
    static const unsigned fc[] = {1, 2, 3, 4, 2};
    for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++)
        if (strcmp(bank, names[i]) == 0) return fc[i];
    return 0;
}

static unsigned format_registers(const char *format) {
    if (strstr(format, "64")) return 4;
    if (strstr(format, "32")) return 2;
    return 1; /* bool, int16, uint16 */
}

static void add_mapping(import_base_modbus *b, const cfg_node *m) {
    const cfg_node *bank = cfg_get(m, "bank"), *addr = cfg_get(m, "address"), *fmt = cfg_get(m, "format");
    if (!bank || bank->kind != CFG_SCALAR || !addr || addr->kind != CFG_SCALAR || b->n == IMPORT_BASE_MAX_MAPPINGS)
        return;
    unsigned fc = bank_function(bank->scalar);
    if (!fc) return;
    b->bank[b->n] = (uint8_t)fc;
    b->address[b->n] = (uint16_t)strtoul(addr->scalar, NULL, 0);
    b->count[b->n] = (uint8_t)(fmt && fmt->kind == CFG_SCALAR ? format_registers(fmt->scalar) : 1);
    b->n++;
}

void import_base_read_modbus(const char *path, import_base_modbus *b) {
    memset(b, 0, sizeof *b);
    b->unit_id = -1;
    cfg_err err;
    cfg_node *root = path ? cfg_load_file(path, &err) : NULL;
    const cfg_node *sec = cfg_get(cfg_get(root, "gateway"), "modbus_server");
    if (sec && sec->kind == CFG_MAP && !cfg_get(sec, "layout")) {
        b->known = true;
        const cfg_node *u = cfg_get(sec, "unit_id");
        if (u && u->kind == CFG_SCALAR && strcmp(u->scalar, "any") != 0) b->unit_id = (int)strtol(u->scalar, NULL, 0);
        const cfg_node *groups = cfg_get(sec, "groups");
        for (size_t g = 0; groups && groups->kind == CFG_SEQ && g < groups->n; g++) {
            const cfg_node *maps = cfg_get(groups->items[g], "mappings");
            for (size_t i = 0; maps && maps->kind == CFG_SEQ && i < maps->n; i++) add_mapping(b, maps->items[i]);
        }
    }
    cfg_free(root);
}

bool import_base_modbus_covers(const import_base_modbus *b, unsigned fc, unsigned address, unsigned count) {
    for (unsigned a = address; a < address + count; a++) {
        bool hit = false;
        for (size_t i = 0; i < b->n && !hit; i++)
            hit = b->bank[i] == fc && a >= b->address[i] && a < (unsigned)b->address[i] + b->count[i];
        if (!hit) return false;
    }
    return true;
}

/* The base's start: (default 2026-01-01T00:00:00Z, as the scenario loader has
 * it); false for a real-time base, whose runs start at the wall time. */
bool import_base_start_ns(const char *path, int64_t *out) {
    cfg_err err;
    cfg_node *root = path ? cfg_load_file(path, &err) : NULL;
    const cfg_node *clock = root ? cfg_get(root, "clock") : NULL, *start = root ? cfg_get(root, "start") : NULL;
    bool virtual_time = !clock || (clock->kind == CFG_SCALAR && strcmp(clock->scalar, "virtual") == 0);
    const char *text = start && start->kind == CFG_SCALAR ? start->scalar : "2026-01-01T00:00:00Z";
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char z = 0;
    bool ok = root && virtual_time &&
              sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec, &z) == 7 && z == 'Z' && tm.tm_year >= 1970 && tm.tm_year <= 2200;
    if (ok) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        *out = (int64_t)timegm(&tm) * 1000000000LL;
    }
    cfg_free(root);
    return ok;
}
