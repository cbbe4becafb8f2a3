/* report: at the end of each readout cycle, snapshot the datahub's meters and
 * points and write the configured report files (see docs/reports.md).
 *
 * Files appear atomically: each is written to "<name>.tmp", flushed to disk
 * and renamed, so a reader (or an FTP push picking up the directory) never
 * sees half a report. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "report_int.h"

struct report {
    char *dir;
    char *name;      /* gateway name, MUC_ID and file name prefix */
    int csv_variant; /* -1: no CSV */
    bool json;
    datahub *hub; /* set by report_attach */
};

/* mkdir -p: create each missing component; fine if it exists as a directory. */
static int make_dirs(const char *path) {
    char *p = strdup(path);
    if (!p)
        return -1;
    int rc = 0;
    for (char *c = p + 1; rc == 0; c++) {
        bool end = *c == '\0';
        if (*c == '/' || end) {
            *c = '\0';
            struct stat st;
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                rc = -1;
            else if (stat(p, &st) != 0)
                rc = -1;
            else if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                rc = -1;
            }
            if (end)
                break;
            *c = '/';
        }
    }
    free(p);
    return rc;
}

/* csv: a variant number, or false. */
static bool read_csv_variant(const cfg_node *section, int *variant, cfg_err *err) {
    const cfg_node *node = cfg_get(section, "csv");
    long long v = 6;
    if (!node) {
        *variant = (int)v;
        return true;
    }
    if (node->kind == CFG_SCALAR && strcmp(node->scalar, "false") == 0) {
        *variant = -1;
        return true;
    }
    cfg_err ignored;
    if (node->kind != CFG_SCALAR || !cfg_node_int(node, 0, 9, &v, &ignored) ||
        !report_csv_variant_ok((int)v))
        return cfg_fail(err, node, "reports.csv: expected a CSV variant 0, 1, 3, 4, 5, 6, 9 or false");
    *variant = (int)v;
    return true;
}

report *report_configure(const cfg_node *section, const char *gateway_name, cfg_err *err) {
    static const char *const keys[] = {"dir", "csv", "json", NULL};
    err->msg[0] = '\0';
    if (!section)
        return NULL;
    if (section->kind != CFG_MAP) {
        cfg_fail(err, section, "reports: expected a map with dir, csv, json");
        return NULL;
    }
    const cfg_node *dir = cfg_require(section, "dir", CFG_SCALAR, err);
    int variant;
    bool json;
    if (!cfg_only_keys(section, keys, err) || !dir || !read_csv_variant(section, &variant, err) ||
        !cfg_bool(section, "json", true, &json, err))
        return NULL;
    if (!*dir->scalar) {
        cfg_fail(err, dir, "reports.dir: empty directory name");
        return NULL;
    }
    if (variant < 0 && !json)
        return NULL; /* nothing to write: disabled, not an error */
    if (make_dirs(dir->scalar) != 0) {
        cfg_fail(err, dir, "reports.dir: cannot create %s: %s", dir->scalar, strerror(errno));
        return NULL;
    }
    report *r = calloc(1, sizeof *r);
    if (r) {
        r->dir = strdup(dir->scalar);
        r->name = strdup(gateway_name && *gateway_name ? gateway_name : "gwd");
        r->csv_variant = variant;
        r->json = json;
    }
    if (!r || !r->dir || !r->name) {
        report_free(r);
        cfg_fail(err, section, "reports: out of memory");
        return NULL;
    }
    return r;
}

void report_free(report *r) {
    if (!r)
        return;
    free(r->dir);
    free(r->name);
    free(r);
}

/* File name part: anything but [A-Za-z0-9._-] (':' of "mbus:bus1", '/') -> '-'. */
static void safe_name(const char *in, char *out, size_t cap) {
    size_t k = 0;
    for (; in && *in && k + 1 < cap; in++) {
        char c = *in;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out[k++] = ok ? c : '-';
    }
    out[k] = '\0';
}

static void report_path(const report *r, const char *source, int64_t ts_ns, const char *ext,
                        char *out, size_t cap) {
    char name[128], src[128], when[32];
    time_t t = (time_t)report_unix_s(ts_ns);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm))
        snprintf(when, sizeof when, "0");
    safe_name(r->name, name, sizeof name);
    safe_name(source ? source : "cycle", src, sizeof src);
    snprintf(out, cap, "%s/%s_%s_%s.%s", r->dir, name, when, src, ext);
}

typedef int (*doc_writer)(FILE *out, const rpt_doc *doc, int variant);

static int write_csv(FILE *out, const rpt_doc *doc, int variant) {
    return report_write_csv(out, doc, variant);
}

static int write_json(FILE *out, const rpt_doc *doc, int variant) {
    (void)variant;
    return report_write_json(out, doc);
}

static int write_atomic(const char *path, doc_writer fn, const rpt_doc *doc, int variant) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        log_error("report", "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = fn(f, doc, variant);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        log_error("report", "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

/* "mbus:bus1" belongs to meters of interface "mbus". */
static bool meter_in_cycle(const dh_meter *m, const char *source) {
    if (!source)
        return true;
    size_t n = strcspn(source, ":");
    return m->interface && strlen(m->interface) == n && strncmp(m->interface, source, n) == 0;
}

static int record_key(const dp *p) {
    return p->origin.record >= 0 ? p->origin.record : 0x7fffffff;
}

/* Points of one meter in record order (insertion sort: stable, and a meter
 * has at most a few hundred records). */
static size_t collect_points(const datahub *hub, const char *meter, const dp **out) {
    size_t n = 0, total = datahub_count(hub);
    for (size_t i = 0; i < total; i++) {
        const dp *p = datahub_at(hub, i);
        if (!p || !p->origin.meter || strcmp(p->origin.meter, meter) != 0)
            continue;
        size_t k = n++;
        while (k > 0 && record_key(out[k - 1]) > record_key(p)) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = p;
    }
    return n;
}

static void write_cycle(report *r, const datahub *hub, const char *source, int64_t ts_ns) {
    size_t n_all = datahub_meter_count(hub), n_points = datahub_count(hub);
    rpt_doc doc = {.muc_id = r->name, .ts_ns = ts_ns};
    doc.meters = calloc(n_all ? n_all : 1, sizeof *doc.meters);
    const dp **pool = calloc(n_points ? n_points : 1, sizeof *pool);
    if (!doc.meters || !pool) {
        log_error("report", "out of memory, report of %s skipped", source ? source : "cycle");
        free(doc.meters);
        free(pool);
        return;
    }
    const dp **next = pool; /* each point belongs to one meter, so the pool is enough */
    for (size_t i = 0; i < n_all; i++) {
        const dh_meter *m = datahub_meter_at(hub, i);
        if (!m || !m->name || !meter_in_cycle(m, source))
            continue;
        rpt_meter *rm = &doc.meters[doc.n_meters++];
        rm->meter = m;
        rm->points = next;
        rm->n_points = collect_points(hub, m->name, next);
        next += rm->n_points;
    }
    char path[4096];
    if (r->csv_variant >= 0) {
        report_path(r, source, ts_ns, "csv", path, sizeof path);
        write_atomic(path, write_csv, &doc, r->csv_variant);
    }
    if (r->json) {
        report_path(r, source, ts_ns, "json", path, sizeof path);
        write_atomic(path, write_json, &doc, 0);
    }
    free(doc.meters);
    free(pool);
}

static void on_update(const dh_update *u, void *arg) {
    report *r = arg;
    if (u->kind == DH_CYCLE_END)
        write_cycle(r, r->hub, u->source, u->ts_ns);
}

void report_attach(report *r, datahub *hub) {
    if (!r || !hub)
        return;
    r->hub = hub; /* the callback reads the hub's state, not only the update */
    datahub_subscribe(hub, on_update, r);
}
