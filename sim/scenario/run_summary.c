/* run_summary: JUnit XML and JSON lines of a run's results (see run_summary.h). */
#include "sim/scenario/run_summary.h"
#include <string.h>
#include "core/json_write.h"

const char *run_verdict_name(run_verdict_kind v) {
    switch (v) {
    case RESULT_PASS: return "pass";
    case RESULT_FAIL: return "fail";
    case RESULT_SKIP: return "skip";
    default: return "interrupted";
    }
}

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<') fputs("&lt;", f);
        else if (c == '>') fputs("&gt;", f);
        else if (c == '&') fputs("&amp;", f);
        else if (c == '"') fputs("&quot;", f);
        else if (c < 0x20 && c != '\t') fputc(' ', f);
        else fputc(c, f);
    }
}

/* The folder of the scenario file: the test case's class ("scenarios/mbus"). */
static void class_of(const char *path, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    snprintf(out, cap, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
}

static void testcase(FILE *f, const run_result *r) {
    char cls[PATH_MAX];
    class_of(r->path, cls, sizeof cls);
    fputs("  <testcase classname=\"", f);
    xml_text(f, cls);
    fputs("\" name=\"", f);
    xml_text(f, r->name);
    fprintf(f, "\" file=\"");
    xml_text(f, r->path);
    fprintf(f, "\" time=\"%.3f\"", r->seconds);
    if (r->verdict == RESULT_PASS) {
        fputs("/>\n", f);
        return;
    }
    const char *tag = r->verdict == RESULT_SKIP ? "skipped" : r->verdict == RESULT_FAIL ? "failure" : "error";
    fprintf(f, ">\n    <%s message=\"", tag);
    xml_text(f, r->first_failure);
    fprintf(f, "\">%u passed, %u failed; run directory ", r->passed, r->failed);
    xml_text(f, r->workdir);
    fprintf(f, "</%s>\n  </testcase>\n", tag);
}

int run_summary_write_junit(const run_result *res, int n, const char *suite, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int failures = 0, errors = 0, skipped = 0;
    double time = 0;
    for (int i = 0; i < n; i++) {
        failures += res[i].verdict == RESULT_FAIL;
        errors += res[i].verdict == RESULT_INTERRUPTED;
        skipped += res[i].verdict == RESULT_SKIP;
        time += res[i].seconds;
    }
    fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n<testsuite name=\"", f);
    xml_text(f, suite);
    fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n", n, failures,
            errors, skipped, time);
    for (int i = 0; i < n; i++) testcase(f, &res[i]);
    fputs("</testsuite>\n</testsuites>\n", f);
    int bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

int run_summary_write_jsonl(const run_result *res, int n, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    for (int i = 0; i < n; i++) {
        const run_result *r = &res[i];
        fputs("{\"file\":", f);
        json_write_string(f, r->path);
        fputs(",\"name\":", f);
        json_write_string(f, r->name);
        fprintf(f, ",\"verdict\":\"%s\",\"passed\":%u,\"failed\":%u,\"seconds\":%.3f,\"workdir\":",
                run_verdict_name(r->verdict), r->passed, r->failed, r->seconds);
        json_write_string(f, r->workdir);
        fputs(",\"first_failure\":", f);
        json_write_string(f, r->first_failure);
        fputs("}\n", f);
    }
    int bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}
