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

static void write_key(FILE *f, const char *key) {
    fprintf(f, ",\"%s\":", key);
}

static void write_point(FILE *f, const dp *p) {
    const dp_origin *o = &p->origin;
    fputs("{\"id\":", f);
    json_write_string(f, p->id);
    write_key(f, "meter");
    json_write_string(f, o->meter);
    write_key(f, "record");
    fprintf(f, "%d", o->record);
    write_key(f, "quantity");
    json_write_string(f, o->quantity);
    write_key(f, "unit");
    json_write_string(f, p->unit ? p->unit : "");
    write_key(f, "value");
    write_value(f, &p->value);
    write_key(f, "quality");
    fprintf(f, "%u", p->quality);
    write_key(f, "ts_ns");
    fprintf(f, "%" PRId64, p->ts_ns);
    write_key(f, "storage");
    fprintf(f, "%d", o->storage);
    write_key(f, "tariff");
    fprintf(f, "%d", o->tariff);
    write_key(f, "subunit");
    fprintf(f, "%d", o->subunit);
    write_key(f, "function");
    json_write_string(f, o->function);
    write_key(f, "dif");
    json_write_string(f, o->dif_hex);
    write_key(f, "vif");
    json_write_string(f, o->vif_hex);
    fputc('}', f);
}

static void write_meter(FILE *f, const dh_meter *m) {
    fputs("{\"name\":", f);
    json_write_string(f, m->name);
    write_key(f, "interface");
    json_write_string(f, m->interface);
    write_key(f, "primary_address");
    fprintf(f, "%d", m->primary_address);
    write_key(f, "secondary");
    json_write_string(f, m->secondary);
    write_key(f, "serial");
    json_write_string(f, m->serial);
    write_key(f, "manufacturer");
    json_write_string(f, m->manufacturer);
    write_key(f, "version");
    fprintf(f, "%d", m->version);
    write_key(f, "medium");
    fprintf(f, "%d", m->medium);
    write_key(f, "medium_name");
    json_write_string(f, m->medium_name);
    write_key(f, "status");
    json_write_string(f, m->status);
    write_key(f, "last_read_ns");
    fprintf(f, "%" PRId64, m->last_read_ns);
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
