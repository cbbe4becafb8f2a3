/* modbus_server_image: sparse per-unit banks (see the header). */
#include "north/modbus/modbus_server_image.h"
#include <stdlib.h>
#include <string.h>

static const char *const bank_names[] = {"coils", "discrete", "input", "holding"};

bool mbs_bank_parse(const char *name, mbs_bank *out) {
    for (int i = 0; i < 4; i++)
        if (strcmp(name, bank_names[i]) == 0) {
            *out = (mbs_bank)i;
            return true;
        }
    if (strcmp(name, "contact") == 0) {
        *out = MBS_DISCRETE;
        return true;
    }
    return false;
}

const char *mbs_bank_name(mbs_bank b) { return bank_names[b]; }

mbs_bank mbs_bank_of_function(uint8_t function) {
    switch (function) {
    case 1: return MBS_COILS;
    case 2: return MBS_DISCRETE;
    case 4: return MBS_INPUT;
    default: return MBS_HOLDING;
    }
}

mbs_unit *mbs_image_unit(mbs_image *img, int id, bool create) {
    for (size_t i = 0; i < img->n; i++)
        if (img->units[i].id == id) return &img->units[i];
    if (!create) return NULL;
    mbs_unit *all = realloc(img->units, (img->n + 1) * sizeof *all);
    if (!all) return NULL;
    img->units = all;
    mbs_unit *u = &all[img->n++];
    memset(u, 0, sizeof *u);
    u->id = id;
    return u;
}

const mbs_unit *mbs_image_find(const mbs_image *img, int id) {
    return mbs_image_unit((mbs_image *)img, id, false);
}

static int grow(mbs_bank_data *d, uint32_t need) {
    if (need <= d->n) return 0;
    uint32_t cap = d->n ? d->n : 64;
    while (cap < need) cap *= 2;
    if (cap > 65536) cap = 65536;
    uint16_t *items = realloc(d->items, cap * sizeof *items);
    if (!items) return -1;
    d->items = items;
    uint8_t *def = realloc(d->defined, cap);
    if (!def) return -1;
    d->defined = def;
    memset(d->items + d->n, 0, (cap - d->n) * sizeof *items);
    memset(d->defined + d->n, 0, cap - d->n);
    d->n = cap;
    return 0;
}

int mbs_image_write(mbs_image *img, int unit, mbs_bank b, uint32_t address, const uint16_t *items,
                    size_t n) {
    if (address + n > 65536) return -1;
    mbs_unit *u = mbs_image_unit(img, unit, true);
    if (!u || grow(&u->bank[b], (uint32_t)(address + n)) < 0) return -1;
    memcpy(u->bank[b].items + address, items, n * sizeof *items);
    memset(u->bank[b].defined + address, 1, n);
    return 0;
}

bool mbs_image_read(const mbs_unit *u, mbs_bank b, uint32_t address, uint32_t n, uint16_t *out) {
    const mbs_bank_data *d = &u->bank[b];
    if (address + n > d->n) return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!d->defined[address + i]) return false;
        out[i] = d->items[address + i];
    }
    return true;
}

void mbs_image_clear(mbs_image *img) {
    for (size_t i = 0; i < img->n; i++)
        for (int b = 0; b < 4; b++) {
            mbs_bank_data *d = &img->units[i].bank[b];
            if (d->n) memset(d->defined, 0, d->n);
        }
}

void mbs_image_free(mbs_image *img) {
    for (size_t i = 0; i < img->n; i++)
        for (int b = 0; b < 4; b++) {
            free(img->units[i].bank[b].items);
            free(img->units[i].bank[b].defined);
        }
    free(img->units);
    img->units = NULL;
    img->n = 0;
}
