/* report_page: one scenario's page and its summary file (report.h). Both are
 * written to a temporary name and renamed into place, so a browser or the index of
 * another process never reads half a file. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/core/fsdir.h"
#include "sim/report/report.h"
#include "sim/report/report_asset.h"
#include "sim/report/report_escape.h"

static void head(FILE *out, const report_input *in) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>hil run report: ", out);
    report_html_text(out, in->name);
    fprintf(out, "</title>\n<style>\n%s</style></head><body>\n", report_asset_css);
    fputs("<p><a href=\"index.html\">all scenarios of this report</a></p>\n<h1>", out);
    report_html_text(out, in->name);
    fprintf(out, " <span id=\"status\" class=\"%s\">%s</span></h1>\n<p class=\"note\">", in->passed ? "pass" : "fail",
            in->passed ? "PASS" : "FAIL");
    if (in->title) {
        report_html_text(out, in->title);
        fputs(" &middot; ", out);
    }
    fputs("file <code>", out);
    report_html_text(out, in->path);
    fputs("</code> &middot; run directory <code>", out);
    report_html_text(out, in->workdir ? in->workdir : "");
    fprintf(out, "</code> &middot; <span id=\"counts\">%u passed, %u failed</span></p>\n", in->n_passed, in->n_failed);
}

static void timeline(FILE *out) {
    fputs("<h2>Timeline</h2>\n<p class=\"note legend\">One lane per bus, radio channel and TCP peer (then one per "
          "meter with status changes). Marks: <span class=\"k-request\">request</span><span class=\"k-answer\">"
          "answer</span><span class=\"k-retry\">retry</span><span class=\"k-collision\">collision</span>"
          "<span class=\"k-garbled\">garbled</span><span class=\"k-timeout\">timeout</span><span class=\"k-cycle\">"
          "cycle</span><span class=\"k-note\">note</span>. Wheel or buttons zoom, drag pans; hover or click a "
          "mark for its bytes and decoded frame; zoomed in far, each byte is a cell.</p>\n"
          "<div id=\"controls\"><button id=\"zoom-all\">whole run</button><button id=\"zoom-in\">zoom in</button>"
          "<button id=\"zoom-out\">zoom out</button><button id=\"pan-left\">&larr;</button>"
          "<button id=\"pan-right\">&rarr;</button> go to second <input id=\"goto\" size=\"8\"> "
          "<span id=\"range\"></span></div>\n<p id=\"cap-note\" class=\"note\"></p>\n"
          "<div id=\"timeline\"></div>\n<pre id=\"detail\">hover or click a mark</pre>\n"
          "<h2>Lanes</h2>\n<table id=\"lanes\"></table>\n", out);
}

static void tail(FILE *out, const report_input *in) {
    fputs("<details><summary>hil output</summary><pre id=\"output\">", out);
    report_html_text(out, in->output ? in->output : "");
    fputs("</pre></details>\n<script type=\"application/json\" id=\"report-data\">", out);
    report_write_data(out, in);
    fprintf(out, "</script>\n<script>\n%s</script>\n</body></html>\n", report_asset_js);
}

/* The first failing line of the output (or the set-up error), for the index. */
static void first_failure(const report_input *in, char *out, size_t cap) {
    out[0] = '\0';
    if (in->error && *in->error) {
        snprintf(out, cap, "%s", in->error);
        return;
    }
    for (const char *p = in->output; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 6 && (strncmp(p, "FAIL  ", 6) == 0 || strncmp(p, "ERROR ", 6) == 0)) {
            snprintf(out, cap, "%.*s", (int)(len - 6), p + 6);
            return;
        }
        p = nl ? nl + 1 : NULL;
    }
}

static void result_json(FILE *out, const report_input *in) {
    char ff[600];
    first_failure(in, ff, sizeof ff);
    fputs("{\"name\":\"", out);
    report_json_text(out, in->name);
    fputs("\",\"title\":\"", out);
    report_json_text(out, in->title ? in->title : "");
    fputs("\",\"path\":\"", out);
    report_json_text(out, in->path);
    fputs("\",\"page\":\"", out);
    report_json_text(out, in->name);
    fprintf(out, ".html\",\"verdict\":\"%s\",\"passed\":%u,\"failed\":%u,\"first_failure\":\"", in->passed ? "PASS" : "FAIL",
            in->n_passed, in->n_failed);
    report_json_text(out, ff);
    fputs("\"}\n", out);
}

/* Write dir/<name><ext> through a temporary file. */
static int write_file(const char *dir, const report_input *in, const char *ext,
                      void (*body)(FILE *, const report_input *), char *err, size_t errlen) {
    char path[PATH_MAX], tmp[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s%s", dir, in->name, ext);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %.900s", tmp);
        return -1;
    }
    body(f, in);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %.900s", path);
        return -1;
    }
    return 0;
}

static void page(FILE *out, const report_input *in) {
    head(out, in);
    report_write_verdicts(out, in->output, in->error);
    report_write_diffs(out, in->output);
    timeline(out);
    tail(out, in);
}

int report_write(const char *dir, const report_input *in, char *err, size_t errlen) {
    if (fsdir_make(dir) < 0) {
        snprintf(err, errlen, "cannot create %.900s", dir);
        return -1;
    }
    if (write_file(dir, in, ".html", page, err, errlen) < 0 ||
        write_file(dir, in, ".result.json", result_json, err, errlen) < 0)
        return -1;
    return report_index_write(dir, err, errlen);
}
