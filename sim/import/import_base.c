/* import_base: the --base scenario's IEC 104 points (import_base.h). */
#include "sim/import/import_base.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
