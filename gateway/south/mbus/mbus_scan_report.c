/* mbus_scan_report: the commission report (see mbus_scan_report.h). */
#include "south/mbus/mbus_scan_report.h"
#include "core/text_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_row(FILE *f, const char *segment, const mbus_meter_cfg *m,
                      const mbus_header *h, bool read) {
    char primary[16] = "", secondary[MBUS_SECONDARY_TEXT] = "";
    if (m->primary >= 0)
        snprintf(primary, sizeof primary, "%d", m->primary);
    if (m->has_secondary)
        mbus_secondary_format(&m->secondary, secondary);
    bool known = read && h->present && h->is_long;
    fprintf(f, "%s;%s;%s;%s;%s;", segment, m->name, m->has_secondary ? "secondary" : "primary",
            primary, secondary);
    if (known)
        fprintf(f, "%s;%s;%u;%u;%s;", h->id, h->man, (unsigned)h->version, (unsigned)h->medium,
                mbus_medium_name(h->medium));
    else
        fprintf(f, ";;;;;");
    fprintf(f, "%s\n", read ? "read" : "not_read");
}

typedef struct scan_report {
    const mbus_segment_cfg *seg;
    const mbus_found_meter *found;
    size_t n;
    int64_t wall_ns;
} scan_report;

static void write_report(FILE *f, const void *arg) {
    const scan_report *rep = arg;
    fprintf(f, "# commission report of segment %s at %lld s since the epoch: %zu meters found\n",
            rep->seg->name, (long long)(rep->wall_ns / 1000000000LL), rep->n);
    fprintf(f, "segment;meter;addressing;primary;secondary;id;manufacturer;version;medium;"
               "medium_name;status\n");
    for (size_t i = 0; i < rep->n; i++)
        write_row(f, rep->seg->name, &rep->found[i].cfg, &rep->found[i].hdr, rep->found[i].read);
}

bool mbus_scan_report_write(const char *path, const mbus_segment_cfg *seg,
                            const mbus_found_meter *found, size_t n, int64_t wall_ns,
                            char *err, size_t errlen) {
    scan_report rep = {.seg = seg, .found = found, .n = n, .wall_ns = wall_ns};
    return text_file_replace(path, write_report, &rep, false, err, errlen);
}
