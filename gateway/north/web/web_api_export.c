/* web_api_export: GET /api/v1/export: readings from the store as CSV or
 * JSON (format=csv|json), one meter or all (meter=), a time range (from, to)
 * and paging (offset, limit up to 100,000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store_query.h"
#include "north/web/web_ctx.h"

bool web_history_range(web_ctx *c, int64_t *from, int64_t *to, long long *offset, long long *limit);

static void csv_text(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_row(void *arg, const store_reading *r) {
    FILE *f = arg;
    char iso[32];
    web_iso(r->ts_ns, iso);
    fprintf(f, "%s,", iso);
    csv_text(f, r->meter);
    fputc(',', f);
    csv_text(f, r->point);
    fputc(',', f);
    csv_text(f, r->quantity);
    fputc(',', f);
    if (r->has_number)
        fprintf(f, "%.17g", r->value);
    else
        csv_text(f, r->text);
    fputc(',', f);
    csv_text(f, r->unit);
    fprintf(f, ",%u\r\n", r->quality);
}

static void json_row(void *arg, const store_reading *r) {
    char iso[32];
    web_iso(r->ts_ns, iso);
    json_array_append_new(arg, json_pack("{s:s,s:s?,s:s,s:s?,s:o,s:s?,s:i}", "time", iso, "meter",
                                         r->meter, "point", r->point, "quantity", r->quantity,
                                         "value", r->has_number ? json_real(r->value)
                                                  : r->text     ? json_string(r->text)
                                                                : json_null(),
                                         "unit", r->unit, "quality", (int)r->quality));
}

void web_api_export(web_ctx *c) {
    char format[8] = "csv", meter[128];
    bool one = web_query_param(c->req->query, "meter", meter, sizeof meter);
    int64_t from, to;
    long long offset, limit;
    web_query_param(c->req->query, "format", format, sizeof format);
    if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        web_reply_error(c, 400, "format must be csv or json");
        return;
    }
    if (!web_history_range(c, &from, &to, &offset, &limit))
        return;
    if (!web_query_int(c, "limit", 10000, 1, 100000, &limit))
        return;
    if (!c->srv->svc.store) {
        web_reply_error(c, 404, "no store is configured (gateway.store), so nothing to export");
        return;
    }
    if (strcmp(format, "json") == 0) {
        json_t *rows = json_array();
        if (store_query_readings(c->srv->svc.store, one ? meter : NULL, from, to, offset, limit,
                                 json_row, rows) < 0) {
            json_decref(rows);
            web_reply_error(c, 500, "the store could not be read");
            return;
        }
        web_reply_json(c, 200, json_pack("{s:o}", "readings", rows));
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        web_reply_error(c, 500, "out of memory");
        return;
    }
    fputs("time,meter,point,quantity,value,unit,quality\r\n", f);
    int64_t n = store_query_readings(c->srv->svc.store, one ? meter : NULL, from, to, offset, limit,
                                     csv_row, f);
    fclose(f);
    if (n < 0) {
        free(buf);
        web_reply_error(c, 500, "the store could not be read");
        return;
    }
    web_response_header(c->res, "Content-Disposition", "attachment; filename=\"readings.csv\"");
    web_response_take(c->res, 200, "text/csv; charset=utf-8", buf, len);
}
