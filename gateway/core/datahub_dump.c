/* datahub_dump: the hub's latest state as one JSON document.
 *
 * The bench compares it with expected values, so it must always be complete
 * and valid: it is written to "<path>.tmp" and renamed over path (a reader
 * never sees half a file). Doubles use %.17g, which reads back bit-exact. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/datahub.h"
#include "core/dp_address.h"
#include "core/json_write.h"
#include "core/log.h"
#include "core/text_file.h"

static void write_value(FILE *f, const dp_value *v) {
    switch (v->type) {
    case DP_BOOL: fputs(v->b ? "true" : "false", f); break;
    case DP_INT: fprintf(f, "%" PRId64, v->i); break;
    case DP_DOUBLE: json_write_double(f, v->d); break;
    case DP_STRING: json_write_string(f, v->s ? v->s : ""); break;
    case DP_BYTES: json_write_hex(f, v->bytes, v->len); break;
    case DP_NONE: fputs("null", f); break;
    }
}

/* Members after the first, from a table: a text (NULL is written null) or a number. */
typedef struct {
    const char *key;
    bool number;
    const char *s;
    int64_t i;
} member;

static void write_members(FILE *f, const member *m, size_t n) {
    for (size_t k = 0; k < n; k++) {
        fprintf(f, ",\"%s\":", m[k].key);
        if (m[k].number) fprintf(f, "%" PRId64, m[k].i);
        else json_write_string(f, m[k].s);
    }
}

#define TEXT(k, v) {k, false, v, 0}
#define NUMBER(k, v) {k, true, NULL, (int64_t)(v)}

/* The M-Bus members stay on every point (zero and null when not M-Bus), as the bench
 * and existing readers expect; a DLMS point's address, which they cannot show, follows. */
static void write_point(FILE *f, const dp *p) {
    const dp_origin *o = &p->origin;
    dp_mbus_address a;
    bool mbus = dp_mbus_address_of(o, &a);
    fputs("{\"id\":", f);
    json_write_string(f, p->id);
    const member head[] = {TEXT("meter", o->meter), NUMBER("record", o->record),
                           TEXT("quantity", o->quantity), TEXT("unit", p->unit ? p->unit : "")};
    write_members(f, head, sizeof head / sizeof head[0]);
    fputs(",\"value\":", f);
    write_value(f, &p->value);
    const member tail[] = {NUMBER("quality", p->quality), NUMBER("ts_ns", p->ts_ns),
                           NUMBER("storage", a.storage),  NUMBER("tariff", a.tariff),
                           NUMBER("subunit", a.subunit),  TEXT("function", o->function),
                           TEXT("dif", mbus ? a.dif_hex : NULL), TEXT("vif", mbus ? a.vif_hex : NULL)};
    write_members(f, tail, sizeof tail / sizeof tail[0]);
    if (o->protocol == DP_PROTO_DLMS) {
        const member origin[] = {TEXT("protocol", dp_protocol_name(o->protocol)), TEXT("address", o->address)};
        write_members(f, origin, sizeof origin / sizeof origin[0]);
    }
    fputc('}', f);
}

static void write_meter(FILE *f, const dh_meter *m) {
    fputs("{\"name\":", f);
    json_write_string(f, m->name);
    const member ms[] = {TEXT("interface", m->interface),     NUMBER("primary_address", m->primary_address),
                         TEXT("secondary", m->secondary),     TEXT("serial", m->serial),
                         TEXT("manufacturer", m->manufacturer), NUMBER("version", m->version),
                         NUMBER("medium", m->medium),         TEXT("medium_name", m->medium_name),
                         TEXT("status", m->status),           NUMBER("last_read_ns", m->last_read_ns)};
    write_members(f, ms, sizeof ms / sizeof ms[0]);
    fputc('}', f);
}

static void write_document(FILE *f, const datahub *hub) {
    fputs("{\"points\":[", f);
    for (size_t i = 0; i < datahub_count(hub); i++) {
        fputs(i ? ",\n" : "\n", f);
        write_point(f, datahub_at(hub, i));
    }
    fputs("\n],\"meters\":[", f);
    for (size_t i = 0; i < datahub_meter_count(hub); i++) {
        fputs(i ? ",\n" : "\n", f);
        write_meter(f, datahub_meter_at(hub, i));
    }
    fputs("\n]}\n", f);
}

static void write_hub(FILE *f, const void *hub) {
    write_document(f, hub);
}

int datahub_dump_json(const datahub *hub, const char *path) {
    if (!hub || !path)
        return -1;
    char err[512];
    if (!text_file_replace(path, write_hub, hub, false, err, sizeof err)) {
        log_error("datahub", "cannot write %s", err);
        return -1;
    }
    return 0;
}
