/* wmbus_listen_list: the listen cache as CSV (see wmbus_listen_list.h). */
#include "south/wmbus/wmbus_listen_list.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "codec/mbus/mbus_app.h"
#include "core/text_file.h"

typedef struct listen_list {
    const wmbus_meter *rows[WMBUS_LISTEN_CACHE_MAX];
    size_t n;
    int64_t mono_now_ns, wall_now_ns;
} listen_list;

/* Most recently heard first: the top rows are the meters heard now (one just
 * installed or woken), the bottom ones are the next the cache forgets. */
static int newest_first(const void *a, const void *b) {
    const wmbus_meter *x = *(const wmbus_meter *const *)a, *y = *(const wmbus_meter *const *)b;
    if (x->last_heard_ns != y->last_heard_ns)
        return x->last_heard_ns > y->last_heard_ns ? -1 : 1;
    if (x->manufacturer != y->manufacturer) /* the code's order is the letters' order */
        return x->manufacturer < y->manufacturer ? -1 : 1;
    return x->id_bcd < y->id_bcd ? -1 : x->id_bcd > y->id_bcd;
}

static void write_time(FILE *f, const listen_list *l, int64_t mono_ns) {
    char iso[40];
    clock_format_iso(l->wall_now_ns - (l->mono_now_ns - mono_ns), iso, sizeof iso);
    fputs(iso, f);
}

static void write_dbm(FILE *f, double dbm) {
    if (!isnan(dbm))
        fprintf(f, "%.1f", dbm);
}

static void write_row(FILE *f, const listen_list *l, const wmbus_meter *mt) {
    char label[24];
    wmbus_meter_label(mt->manufacturer, mt->id_bcd, label, sizeof label);
    fprintf(f, "%s;%.3s;%08X;%u;%u;%s;%llu;", label, label, mt->id_bcd, (unsigned)mt->version,
            (unsigned)mt->device_type, mbus_medium_name(mt->device_type),
            (unsigned long long)mt->heard);
    write_dbm(f, mt->heard ? mt->rssi_dbm : NAN);
    fputc(';', f);
    write_dbm(f, mt->heard ? mt->rssi_sum / (double)mt->heard : NAN);
    fputc(';', f);
    write_time(f, l, mt->first_heard_ns);
    fputc(';', f);
    write_time(f, l, mt->last_heard_ns);
    fputc('\n', f);
}

static void write_list(FILE *f, const void *arg) {
    const listen_list *l = arg;
    fputs("address;manufacturer;id;version;device_type;device_type_name;telegrams;rssi_dbm;"
          "rssi_mean_dbm;first_heard;last_heard\n", f);
    for (size_t i = 0; i < l->n; i++)
        write_row(f, l, l->rows[i]);
}

bool wmbus_listen_list_write(const char *path, const wmbus_meters *m, int64_t mono_now_ns,
                             int64_t wall_now_ns, char *err, size_t errlen) {
    listen_list l = {.mono_now_ns = mono_now_ns, .wall_now_ns = wall_now_ns};
    l.n = m->n_listen < WMBUS_LISTEN_CACHE_MAX ? m->n_listen : WMBUS_LISTEN_CACHE_MAX;
    for (size_t i = 0; i < l.n; i++)
        l.rows[i] = &m->listen[i];
    qsort(l.rows, l.n, sizeof l.rows[0], newest_first);
    return text_file_replace(path, write_list, &l, false, err, errlen);
}
