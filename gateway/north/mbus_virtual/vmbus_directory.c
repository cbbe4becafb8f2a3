/* vmbus_directory: the virtual segment's meters and their addresses (see vmbus_directory.h). */
#include "north/mbus_virtual/vmbus_directory.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/mbus/mbus_app.h"
#include "core/log.h"

#define MOD "mbus-virtual"

void vmbus_directory_init(vmbus_directory *d, const vmbus_config *cfg) {
    memset(d, 0, sizeof *d);
    d->cfg = cfg;
}

void vmbus_directory_free(vmbus_directory *d) {
    for (size_t i = 0; i < d->n; i++)
        free(d->entries[i].name);
    free(d->entries);
    memset(d, 0, sizeof *d);
}

static int protocol_of(const char *interface) {
    static const char *const names[] = {"", "mbus", "wmbus", "dlms", "modbus"};
    for (int k = 1; k < 5 && interface; k++)
        if (strcmp(interface, names[k]) == 0)
            return k;
    return 0;
}

static vmbus_entry *find(vmbus_directory *d, const char *name) {
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->entries[i].name, name) == 0)
            return &d->entries[i];
    return NULL;
}

static vmbus_entry *add(vmbus_directory *d, const char *name) {
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 16;
        vmbus_entry *e = realloc(d->entries, cap * sizeof *e);
        if (!e)
            return NULL;
        d->entries = e, d->cap = cap;
    }
    vmbus_entry *e = &d->entries[d->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = strdup(name)))
        return NULL;
    e->primary = -1;
    d->n++;
    return e;
}

/* 8 decimal digits as BCD. */
static bool serial_bcd(const char *serial, uint32_t *bcd) {
    *bcd = 0;
    if (!serial || strlen(serial) != 8)
        return false;
    for (int i = 0; i < 8; i++) {
        if (!isdigit((unsigned char)serial[i]))
            return false;
        *bcd = *bcd << 4 | (uint32_t)(serial[i] - '0');
    }
    return true;
}

static bool secondary_of(const dh_meter *m, mbus_secondary *sa) {
    if (m->secondary && mbus_secondary_parse(m->secondary, sa) && mbus_secondary_id_complete(sa))
        return true;
    if (!serial_bcd(m->serial, &sa->id_bcd))
        return false;
    sa->manufacturer = m->manufacturer ? mbus_manufacturer_code(m->manufacturer) : 0;
    sa->version = (uint8_t)m->version;
    sa->medium = (uint8_t)m->medium;
    return true;
}

static bool primary_taken(const vmbus_directory *d, const vmbus_entry *self, int primary) {
    for (size_t i = 0; i < d->n; i++)
        if (&d->entries[i] != self && d->entries[i].primary == primary)
            return true;
    return false;
}

static void assign(vmbus_directory *d, vmbus_entry *e, const dh_meter *m) {
    const vmbus_meter_cfg *mc = vmbus_config_meter(d->cfg, m->name);
    if (mc && mc->has_secondary)
        e->secondary = mc->secondary, e->has_secondary = true;
    else
        e->has_secondary = secondary_of(m, &e->secondary);
    int primary = -1;
    if (mc && mc->primary != -2)
        primary = mc->primary;
    else if (d->cfg->primary_as_read && protocol_of(m->interface) == 1 &&
             m->primary_address >= 0 && m->primary_address <= 250)
        primary = m->primary_address;
    if (primary >= 0 && primary_taken(d, e, primary)) {
        if (!e->warned)
            log_warn(MOD, "%s: primary address %d is taken by another meter: secondary only",
                     m->name, primary);
        e->warned = true;
        primary = -1;
    }
    e->primary = primary;
    if (!e->has_secondary && e->primary < 0 && !e->warned) {
        log_warn(MOD, "%s: no address on the virtual segment (no secondary address, no serial "
                      "of 8 digits, no primary): not offered", m->name);
        e->warned = true;
    }
}

void vmbus_directory_meter(vmbus_directory *d, const dh_meter *m) {
    if (!m->name || !d->cfg->protocols[protocol_of(m->interface)])
        return;
    vmbus_entry *e = find(d, m->name);
    if (!e && !(e = add(d, m->name)))
        return;
    assign(d, e, m);
}
