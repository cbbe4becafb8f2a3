/* report_index: DIR/index.html, every scenario page of the folder, failed first
 * (report.h). Built from the DIR/NAME.result.json files, not from one run's results,
 * so pages written by separate hil processes (one per scenario in the pytest
 * harness, one per shard) end up in one index. */
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/core/fsdir.h"
#include "sim/report/report.h"
#include "sim/report/report_asset.h"
#include "sim/report/report_escape.h"

typedef struct entry {
    json_t *j;
    bool failed;
    const char *name;
} entry;

static const char *str(json_t *j, const char *key) {
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

static int failed_first(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->failed != y->failed) return x->failed ? -1 : 1;
    return strcmp(x->name, y->name);
}

static size_t load(const char *dir, entry **out) {
    DIR *d = opendir(dir);
    size_t n = 0, cap = 0;
    *out = NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 13 || strcmp(e->d_name + len - 12, ".result.json") != 0) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_t *j = json_load_file(path, 0, NULL);
        if (!json_is_object(j)) {
            json_decref(j);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            entry *v = realloc(*out, cap * sizeof *v);
            if (!v) {
                json_decref(j);
                break;
            }
            *out = v;
        }
        (*out)[n++] = (entry){j, strcmp(str(j, "verdict"), "PASS") != 0, str(j, "name")};
    }
    if (d) closedir(d);
    if (n) qsort(*out, n, sizeof **out, failed_first);
    return n;
}

static void row(FILE *f, const entry *e) {
    fprintf(f, "<tr class=\"%s\"><td class=\"%s\">%s</td><td><a href=\"", e->failed ? "fail" : "pass",
            e->failed ? "fail" : "pass", e->failed ? "FAIL" : "PASS");
    report_html_text(f, str(e->j, "page"));
    fputs("\">", f);
    report_html_text(f, e->name);
    fputs("</a></td><td>", f);
    report_html_text(f, str(e->j, "path"));
    fprintf(f, "</td><td>%lld</td><td>%lld</td><td>", (long long)json_integer_value(json_object_get(e->j, "passed")),
            (long long)json_integer_value(json_object_get(e->j, "failed")));
    report_html_text(f, str(e->j, "first_failure"));
    fputs("</td></tr>\n", f);
}

static void index_page(FILE *f, const entry *v, size_t n) {
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) failed += v[i].failed;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>hil run report</title>\n"
               "<style>\n%s</style></head><body>\n<h1>hil run report</h1>\n"
               "<p id=\"totals\"><span id=\"n-all\">%zu</span> scenario(s): <span id=\"n-passed\" class=\"pass\">%zu"
               "</span> passed, <span id=\"n-failed\" class=\"fail\">%zu</span> failed</p>\n"
               "<table id=\"scenarios\"><tr><th></th><th>scenario</th><th>file</th><th>passed</th><th>failed</th>"
               "<th>first failure</th></tr>\n",
            report_asset_css, n, n - failed, failed);
    for (size_t i = 0; i < n; i++) row(f, &v[i]);
    fputs("</table>\n</body></html>\n", f);
}

int report_index_write(const char *dir, char *err, size_t errlen) {
    entry *v;
    fsdir_make(dir); /* --report-failed of a run without failures: an empty index */
    size_t n = load(dir, &v);
    char path[PATH_MAX], tmp[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/index.html", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = 0;
    if (f) index_page(f, v, n);
    if (!f || fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %.900s", path);
        rc = -1;
    }
    for (size_t i = 0; i < n; i++) json_decref(v[i].j);
    free(v);
    return rc;
}

int report_index_main(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-') {
        fputs("usage: hil report-index DIR\n  DIR/index.html anew from the pages of hil run --report DIR\n",
              argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    char err[1024];
    if (report_index_write(argv[1], err, sizeof err) < 0) {
        fprintf(stderr, "hil report-index: %s\n", err);
        return 1;
    }
    printf("hil report-index: %s/index.html\n", argv[1]);
    return 0;
}
