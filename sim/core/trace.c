/* trace: JSON lines trace of the bench's channels (see trace.h). */
#include "sim/core/trace.h"
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "sim/core/hexfile.h"

void trace_init(trace *tr, int64_t t0_ns) {
    memset(tr, 0, sizeof *tr);
    tr->t0_ns = t0_ns;
}

int trace_open_file(trace *tr, const char *path) {
    tr->out = fopen(path, "w");
    return tr->out ? 0 : -1;
}

const char *trace_dir_name(trace_dir dir) {
    switch (dir) {
    case TRACE_GW_TO_BUS: return "gw>bus";
    case TRACE_BUS_TO_GW: return "bus>gw";
    default: return "note";
    }
}

/* JSON string body: the names and events the bench writes are plain ASCII,
 * but escape quotes, backslashes and control characters anyway. */
static void write_json_text(FILE *f, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
}

static void write_rec(FILE *f, const trace_rec *r) {
    char *hex = malloc(r->len * 3 + 1);
    if (!hex) return;
    hex_format(r->bytes, r->len, hex, r->len * 3 + 1);
    fprintf(f, "{\"t_ns\":%lld,\"end_ns\":%lld,\"ch\":\"", (long long)r->t_ns,
            (long long)r->end_ns);
    write_json_text(f, r->ch);
    fprintf(f, "\",\"dir\":\"%s\",\"baud\":%u,\"hex\":\"%s\",\"event\":\"", trace_dir_name(r->dir),
            r->baud, hex);
    write_json_text(f, r->event);
    fputs("\"}\n", f);
    fflush(f);
    free(hex);
}

static trace_rec *append(trace *tr) {
    if (tr->n == tr->cap) {
        size_t cap = tr->cap ? tr->cap * 2 : 64;
        trace_rec *r = realloc(tr->recs, cap * sizeof *r);
        if (!r) return NULL;
        tr->recs = r;
        tr->cap = cap;
    }
    trace_rec *r = &tr->recs[tr->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static void fill(trace_rec *r, const char *ch, trace_dir dir, unsigned baud, int64_t t,
                 int64_t end, const uint8_t *bytes, size_t len, const char *event) {
    snprintf(r->ch, sizeof r->ch, "%s", ch ? ch : "");
    r->dir = dir;
    r->baud = baud;
    r->t_ns = t;
    r->end_ns = end;
    r->bytes = malloc(len ? len : 1);
    r->len = r->bytes ? len : 0;
    if (r->bytes && len) memcpy(r->bytes, bytes, len);
    snprintf(r->event, sizeof r->event, "%s", event ? event : "");
}

void trace_add(trace *tr, const char *ch, trace_dir dir, unsigned baud, int64_t start_mono_ns,
               int64_t end_mono_ns, const uint8_t *bytes, size_t len, const char *event) {
    trace_rec *r = append(tr);
    if (!r) return;
    fill(r, ch, dir, baud, start_mono_ns - tr->t0_ns, end_mono_ns - tr->t0_ns, bytes, len, event);
    if (tr->out) write_rec(tr->out, r);
}

void trace_free(trace *tr) {
    for (size_t i = 0; i < tr->n; i++) free(tr->recs[i].bytes);
    free(tr->recs);
    if (tr->out) fclose(tr->out);
    memset(tr, 0, sizeof *tr);
}

static trace_dir parse_dir(const char *s) {
    if (strcmp(s, "gw>bus") == 0) return TRACE_GW_TO_BUS;
    if (strcmp(s, "bus>gw") == 0) return TRACE_BUS_TO_GW;
    return TRACE_NOTE;
}

/* One JSON line is a YAML flow mapping: reuse the configuration loader. */
static int load_line(trace *tr, const char *line, const char *name, char *err, size_t errlen) {
    cfg_err cerr;
    cfg_node *n = cfg_load_string(line, name, &cerr);
    if (!n) {
        snprintf(err, errlen, "%s", cerr.msg);
        return -1;
    }
    const char *ch = "", *dir = "note", *hex = "", *event = "";
    long long t = 0, end = 0, baud = 0;
    bool ok = cfg_int(n, "t_ns", 0, INT64_MIN, INT64_MAX, &t, &cerr) &&
              cfg_int(n, "end_ns", 0, INT64_MIN, INT64_MAX, &end, &cerr) &&
              cfg_int(n, "baud", 0, 0, 10000000, &baud, &cerr) &&
              cfg_str(n, "ch", "", &ch, &cerr) && cfg_str(n, "dir", "note", &dir, &cerr) &&
              cfg_str(n, "hex", "", &hex, &cerr) && cfg_str(n, "event", "", &event, &cerr);
    uint8_t *bytes = malloc(strlen(hex) / 2 + 1);
    long len = ok && bytes ? hex_parse(hex, bytes, strlen(hex) / 2 + 1) : -1;
    if (ok && len < 0) snprintf(cerr.msg, sizeof cerr.msg, "%.400s: bad hex", name);
    if (ok && len >= 0) {
        trace_rec *r = append(tr);
        if (r) fill(r, ch, parse_dir(dir), (unsigned)baud, t, end, bytes, (size_t)len, event);
    }
    free(bytes);
    cfg_free(n);
    if (!ok || len < 0) {
        snprintf(err, errlen, "%s", cerr.msg);
        return -1;
    }
    return 0;
}

int trace_load(trace *tr, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s:1:1: cannot open trace", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        if (line[0] == '\n' || line[0] == '\0') continue;
        char name[600];
        snprintf(name, sizeof name, "%s(line %d)", path, lineno);
        if (load_line(tr, line, name, err, errlen) < 0) {
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}
