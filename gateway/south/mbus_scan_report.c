/* mbus_scan_report: the commission report (see mbus_scan_report.h). */
#include "mbus_scan_report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void write_row(FILE *f, const char *segment, const mbus_meter_cfg *m,
                      const mbus_header *h, bool read) {
    char primary[16] = "";
    if (m->primary >= 0)
        snprintf(primary, sizeof primary, "%d", m->primary);
    bool known = read && h->present && h->is_long;
    fprintf(f, "%s;%s;%s;%s;%s;", segment, m->name, m->has_secondary ? "secondary" : "primary",
            primary, m->has_secondary ? m->secondary_text : "");
    if (known)
        fprintf(f, "%s;%s;%u;%u;%s;", h->id, h->man, (unsigned)h->version, (unsigned)h->medium,
                mbus_medium_name(h->medium));
    else
        fprintf(f, ";;;;;");
    fprintf(f, "%s\n", read ? "read" : "not_read");
}

bool mbus_scan_report_write(const char *path, const mbus_segment_cfg *seg,
                            const mbus_found_meter *found, size_t n, int64_t wall_ns,
                            char *err, size_t errlen) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return false;
    }
    fprintf(f, "# commission report of segment %s at %lld s since the epoch: %zu meters found\n",
            seg->name, (long long)(wall_ns / 1000000000LL), n);
    fprintf(f, "segment;meter;addressing;primary;secondary;id;manufacturer;version;medium;"
               "medium_name;status\n");
    for (size_t i = 0; i < n; i++)
        write_row(f, seg->name, &found[i].cfg, &found[i].hdr, found[i].read);
    bool ok = fflush(f) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        remove(tmp);
        return false;
    }
    return true;
}
