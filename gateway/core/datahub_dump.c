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

#include "datahub.h"
#include "json_write.h"
#include "log.h"

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

/* One ",\"key\":value" member after the first. */
static void write_str(FILE *f, const char *key, const char *value) {
    fprintf(f, ",\"%s\":", key);
    json_write_string(f, value);
}

static void write_int(FILE *f, const char *key, int64_t value) {
    fprintf(f, ",\"%s\":%" PRId64, key, value);
}

static void write_point(FILE *f, const dp *p) {
    const dp_origin *o = &p->origin;
    fputs("{\"id\":", f);
    json_write_string(f, p->id);
    write_str(f, "meter", o->meter);
    write_int(f, "record", o->record);
    write_str(f, "quantity", o->quantity);
    write_str(f, "unit", p->unit ? p->unit : "");
    fputs(",\"value\":", f);
    write_value(f, &p->value);
    write_int(f, "quality", p->quality);
    write_int(f, "ts_ns", p->ts_ns);
    write_int(f, "storage", o->storage);
    write_int(f, "tariff", o->tariff);
    write_int(f, "subunit", o->subunit);
    write_str(f, "function", o->function);
    write_str(f, "dif", o->dif_hex);
    write_str(f, "vif", o->vif_hex);
    fputc('}', f);
}

static void write_meter(FILE *f, const dh_meter *m) {
    fputs("{\"name\":", f);
    json_write_string(f, m->name);
    write_str(f, "interface", m->interface);
    write_int(f, "primary_address", m->primary_address);
    write_str(f, "secondary", m->secondary);
    write_str(f, "serial", m->serial);
    write_str(f, "manufacturer", m->manufacturer);
    write_int(f, "version", m->version);
    write_int(f, "medium", m->medium);
    write_str(f, "medium_name", m->medium_name);
    write_str(f, "status", m->status);
    write_int(f, "last_read_ns", m->last_read_ns);
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

int datahub_dump_json(const datahub *hub, const char *path) {
    if (!hub || !path)
        return -1;
    size_t len = strlen(path) + 5;
    char *tmp = malloc(len);
    if (!tmp)
        return -1;
    snprintf(tmp, len, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        log_error("datahub", "cannot write %s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    write_document(f, hub);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0)
        failed = true;
    if (failed || rename(tmp, path) != 0) {
        log_error("datahub", "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
