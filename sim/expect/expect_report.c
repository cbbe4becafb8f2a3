/* expect_report: expectations on the report files the gateway wrote into
 * reports.dir, or a report instance's `dir` (*.csv, *.json or *.xml; names sort
 * by time). Checks: contains / not_contains a text, line N equals, CSV cell
 * (row, column) equals, the whole file equals a fixture (equals_file); on the
 * latest file, on all files or on any file. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/expect/expect.h"

typedef struct name_list {
    char **names;
    size_t n;
} name_list;

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a > b && strcmp(s + a - b, suffix) == 0;
}

static void list_reports(const char *dir, const char *format, name_list *out) {
    out->names = NULL;
    out->n = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    char suffix[8];
    snprintf(suffix, sizeof suffix, ".%s", format);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, suffix)) continue;
        char **names = realloc(out->names, (out->n + 1) * sizeof *names);
        if (!names) break;
        out->names = names;
        out->names[out->n++] = strdup(e->d_name);
    }
    closedir(d);
    if (out->n > 1) qsort(out->names, out->n, sizeof *out->names, by_name);
}

static void free_list(name_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2048) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

/* Copy line n (1-based) of text into out without its line end; false if absent. */
static bool nth_line(const char *text, long long n, char *out, size_t cap) {
    const char *p = text;
    for (long long i = 1; i < n; i++) {
        p = strchr(p, '\n');
        if (!p) return false;
        p++;
    }
    if (!*p) return false;
    size_t len = strcspn(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)len, p);
    return true;
}

/* Field `col` (1-based) of a separated line; surrounding double quotes removed. */
static bool nth_field(const char *line, const char *sep, long long col, char *out, size_t cap) {
    const char *p = line;
    size_t seplen = strlen(sep);
    for (long long i = 1; i < col; i++) {
        p = seplen ? strstr(p, sep) : NULL;
        if (!p) return false;
        p += seplen;
    }
    const char *end = seplen ? strstr(p, sep) : NULL;
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
        p++;
        len -= 2;
    }
    snprintf(out, cap, "%.*s", (int)len, p);
    return true;
}

/* Byte comparison with a fixture file; on failure the first differing line. */
static bool same_as_file(const char *text, const char *path, char *seen, size_t cap) {
    char *want = read_file(path);
    if (!want) {
        snprintf(seen, cap, "no file %s", path);
        return false;
    }
    size_t i = 0, line = 1;
    while (text[i] && text[i] == want[i]) line += text[i++] == '\n';
    bool same = text[i] == want[i];
    if (!same) {
        size_t start = i;
        while (start > 0 && text[start - 1] != '\n') start--;
        snprintf(seen, cap, "line %zu differs from %s: \"%.*s\"", line, path,
                 (int)strcspn(text + start, "\n"), text + start);
    }
    free(want);
    return same;
}

/* Check one file; on failure describe what was observed. */
static bool check_file(const expectation *ex, const char *text, char *seen, size_t cap) {
    if (ex->equals_file && !same_as_file(text, ex->equals_file, seen, cap)) return false;
    if (ex->contains && !strstr(text, ex->contains)) {
        snprintf(seen, cap, "text not found");
        return false;
    }
    if (ex->not_contains && strstr(text, ex->not_contains)) {
        snprintf(seen, cap, "text \"%s\" present", ex->not_contains);
        return false;
    }
    char line[4096], cell[1024];
    if (ex->line > 0) {
        if (!nth_line(text, ex->line, line, sizeof line)) {
            snprintf(seen, cap, "no line %lld", ex->line);
            return false;
        }
        if (!expect_equal(ex, line)) {
            snprintf(seen, cap, "\"%.900s\"", line);
            return false;
        }
    }
    if (ex->row > 0) {
        if (!nth_line(text, ex->row, line, sizeof line) ||
            !nth_field(line, ex->separator, ex->column, cell, sizeof cell)) {
            snprintf(seen, cap, "no cell at row %lld column %lld", ex->row, ex->column);
            return false;
        }
        if (!expect_equal(ex, cell)) {
            snprintf(seen, cap, "\"%.900s\"", cell);
            return false;
        }
    }
    return true;
}

static void append(char *out, size_t cap, const char *piece) {
    size_t used = strlen(out);
    if (used + 1 < cap) snprintf(out + used, cap - used, "%s", piece);
}

static void describe(const expectation *ex, char *out, size_t cap) {
    char piece[600];
    snprintf(out, cap, "report %s (%s)", ex->format, ex->file);
    if (ex->contains) {
        snprintf(piece, sizeof piece, " contains \"%s\"", ex->contains);
        append(out, cap, piece);
    }
    if (ex->not_contains) {
        snprintf(piece, sizeof piece, " lacks \"%s\"", ex->not_contains);
        append(out, cap, piece);
    }
    if (ex->line) {
        snprintf(piece, sizeof piece, " line %lld = \"%s\"", ex->line, ex->equals);
        append(out, cap, piece);
    }
    if (ex->row) {
        snprintf(piece, sizeof piece, " cell %lld,%lld = \"%s\"", ex->row, ex->column, ex->equals);
        append(out, cap, piece);
    }
    if (ex->equals_file) {
        snprintf(piece, sizeof piece, " = %s", ex->equals_file);
        append(out, cap, piece);
    }
}

/* `dir:` names a report instance's directory relative to the run directory,
 * which is where the gateway's store lives (gateway.store: "${workdir}/..."). */
static bool report_dir(const expectation *ex, const ex_context *ctx, char *out, size_t cap) {
    if (!ex->dir) {
        if (!ctx->reports_dir) return false;
        snprintf(out, cap, "%s", ctx->reports_dir);
        return true;
    }
    if (ex->dir[0] == '/') {
        snprintf(out, cap, "%s", ex->dir);
        return true;
    }
    const char *base = ctx->store_path ? ctx->store_path : ctx->dump_path;
    const char *slash = base ? strrchr(base, '/') : NULL;
    if (!slash) return false;
    snprintf(out, cap, "%.*s/%s", (int)(slash - base), base, ex->dir);
    return true;
}

bool expect_eval_report(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    char what[1024];
    describe(ex, what, sizeof what);
    char dir[4096];
    if (!report_dir(ex, ctx, dir, sizeof dir)) {
        snprintf(msg, cap, "%s: the gateway writes no report files (no reports.dir and no report "
                 "instance with a file transport; or, with a relative dir:, no gateway.store)", what);
        return false;
    }
    name_list files;
    list_reports(dir, ex->format, &files);
    if ((long long)files.n < ex->min_files || files.n == 0) {
        snprintf(msg, cap, "%s: expected at least %lld file(s), observed %zu in %s", what,
                 ex->min_files ? ex->min_files : 1, files.n, dir);
        free_list(&files);
        return false;
    }
    bool all = strcmp(ex->file, "all") == 0, any = strcmp(ex->file, "any") == 0;
    size_t first = all || any ? 0 : files.n - 1;
    bool ok = all;
    char seen[1200] = "", failed_name[256] = "";
    for (size_t i = first; i < files.n; i++) {
        char path[4096], s[1100];
        bool fits = snprintf(path, sizeof path, "%s/%s", dir, files.names[i]) < (int)sizeof path;
        char *text = fits ? read_file(path) : NULL;
        bool good = text && check_file(ex, text, s, sizeof s);
        if (!text) snprintf(s, sizeof s, "cannot read");
        free(text);
        if (!good) {
            snprintf(failed_name, sizeof failed_name, "%s", files.names[i]);
            snprintf(seen, sizeof seen, "%s", s);
        }
        if (all && !good) {
            ok = false;
            break;
        }
        if (!all && good) ok = true;
        if (any && good) break;
    }
    if (ok) snprintf(msg, cap, "%s", what);
    else snprintf(msg, cap, "%s: observed %s in %s", what, seen, failed_name);
    free_list(&files);
    return ok;
}

bool expect_parse_report(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"format", "file", "contains", "not_contains", "line",
                                       "row", "column", "equals", "separator", "min_files",
                                       "dir", "equals_file", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "format", CFG_SCALAR, err)) return false;
    if (!cfg_str(m, "format", NULL, &ex->format, err) ||
        !cfg_str(m, "file", "latest", &ex->file, err) ||
        !cfg_str(m, "contains", NULL, &ex->contains, err) ||
        !cfg_str(m, "not_contains", NULL, &ex->not_contains, err) ||
        !cfg_str(m, "separator", ";", &ex->separator, err) ||
        !cfg_int(m, "line", 0, 1, 1000000, &ex->line, err) ||
        !cfg_int(m, "row", 0, 1, 1000000, &ex->row, err) ||
        !cfg_int(m, "column", 0, 1, 10000, &ex->column, err) ||
        !cfg_int(m, "min_files", 1, 0, 1000000, &ex->min_files, err) ||
        !cfg_str(m, "dir", NULL, &ex->dir, err) ||
        !cfg_str(m, "equals_file", NULL, &ex->equals_file, err) || !expect_parse_equals(m, ex, err))
        return false;
    if (strcmp(ex->format, "csv") != 0 && strcmp(ex->format, "json") != 0 &&
        strcmp(ex->format, "xml") != 0)
        return cfg_fail(err, cfg_get(m, "format"), "format must be csv, json or xml");
    if (strcmp(ex->file, "latest") && strcmp(ex->file, "all") && strcmp(ex->file, "any"))
        return cfg_fail(err, cfg_get(m, "file"), "file must be latest, all or any");
    if ((ex->row > 0) != (ex->column > 0))
        return cfg_fail(err, m, "row and column go together");
    if ((ex->line > 0 || ex->row > 0) && !ex->equals)
        return cfg_fail(err, m, "line or row/column need equals");
    if (ex->equals && ex->line == 0 && ex->row == 0)
        return cfg_fail(err, m, "equals needs line or row/column");
    return true;
}
