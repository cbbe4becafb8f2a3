/* merge: one JUnit XML, one summary and one durations table from many (see merge.h).
 * The JUnit files are taken apart at their <testsuite> elements (pytest's and hil's
 * own); the summaries are hil's JSON lines, read by their keys. */
#define _XOPEN_SOURCE 700
#include "sim/scenario/merge.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/scenario/shard.h"

typedef struct totals {
    long tests, failures, errors, skipped;
    double time;
} totals;

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, (cap *= 2) + 1);
            if (!b) free(buf);
            buf = b;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

static double attr(const char *tag, const char *tag_end, const char *name) {
    char key[32];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *p = strstr(tag, key);
    return p && p < tag_end ? strtod(p + strlen(key), NULL) : 0;
}

/* Copy every <testsuite> element of text to out, adding its counts to t. */
static int junit_suites(const char *text, FILE *out, totals *t) {
    int found = 0;
    for (const char *p = text; (p = strstr(p, "<testsuite")); ) {
        if (p[10] != ' ' && p[10] != '>' && p[10] != '/') { /* <testsuites> */
            p += 10;
            continue;
        }
        const char *open_end = strchr(p, '>');
        if (!open_end) return -1;
        const char *end = open_end[-1] == '/' ? open_end + 1 : strstr(open_end, "</testsuite>");
        if (!end) return -1;
        if (open_end[-1] != '/') end += strlen("</testsuite>");
        t->tests += (long)attr(p, open_end, "tests");
        t->failures += (long)attr(p, open_end, "failures");
        t->errors += (long)attr(p, open_end, "errors");
        t->skipped += (long)attr(p, open_end, "skipped");
        t->time += attr(p, open_end, "time");
        fwrite(p, 1, (size_t)(end - p), out);
        fputc('\n', out);
        found++;
        p = end;
    }
    return found;
}

/* The value of "key": in one JSON line (strings unescaped for \" and \\ only, which is
 * all hil's paths can hold besides \u escapes of control characters). */
static bool json_field(const char *line, const char *key, char *out, size_t cap) {
    char k[40];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(line, k);
    if (!p) return false;
    p += strlen(k);
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"' && n + 1 < cap; p++) {
            if (*p == '\\' && p[1]) p++;
            out[n++] = *p;
        }
    } else {
        while (*p && *p != ',' && *p != '}' && n + 1 < cap) out[n++] = *p++;
    }
    out[n] = '\0';
    return true;
}

typedef struct counts {
    long pass, fail, skip, interrupted;
} counts;

static int summary_lines(const char *text, FILE *out, durations *d, counts *c) {
    char *copy = strdup(text), *save = NULL;
    if (!copy) return -1;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char verdict[32], file[4096], secs[64];
        if (!json_field(line, "verdict", verdict, sizeof verdict)) continue;
        if (out) fprintf(out, "%s\n", line);
        if (strcmp(verdict, "pass") == 0) c->pass++;
        else if (strcmp(verdict, "fail") == 0) c->fail++;
        else if (strcmp(verdict, "skip") == 0) c->skip++;
        else c->interrupted++;
        if (json_field(line, "file", file, sizeof file) && json_field(line, "seconds", secs, sizeof secs))
            durations_set(d, file, strtod(secs, NULL));
    }
    free(copy);
    return 0;
}

static void usage(FILE *f) {
    fputs("usage: hil merge [-o MERGED.xml] [--summary MERGED.jsonl] [--durations FILE] INPUT...\n"
          "  INPUT: JUnit XML files (*.xml: of hil run --junit or pytest --junitxml) and\n"
          "  run summaries (other files: of hil run --summary). -o writes one JUnit XML with\n"
          "  every test suite, --summary one summary, --durations the seconds of every\n"
          "  scenario in the summaries (what hil run --shard balances by).\n",
          f);
}

static bool is_xml(const char *path) {
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".xml") == 0;
}

int merge_main(int argc, char **argv) {
    const char *junit_out = NULL, *summary_out = NULL, *durations_out = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) junit_out = argv[++i];
        else if (strcmp(argv[i], "--summary") == 0 && i + 1 < argc) summary_out = argv[++i];
        else if (strcmp(argv[i], "--durations") == 0 && i + 1 < argc) durations_out = argv[++i];
        else {
            usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (i == argc) {
        usage(stderr);
        return 2;
    }
    FILE *xml = tmpfile(), *sum = summary_out ? fopen(summary_out, "w") : NULL;
    if (!xml || (summary_out && !sum)) {
        fprintf(stderr, "hil merge: cannot write %s\n", summary_out ? summary_out : "a temporary file");
        return 1;
    }
    totals t = {0};
    counts c = {0};
    durations d = {0};
    int rc = 0;
    for (; i < argc; i++) {
        char *text = slurp(argv[i]);
        int ok = !text ? -1 : is_xml(argv[i]) ? junit_suites(text, xml, &t) : summary_lines(text, sum, &d, &c);
        if (ok < 0) {
            fprintf(stderr, "hil merge: %s: %s\n", argv[i], text ? "not a JUnit XML file" : "cannot read it");
            rc = 1;
        }
        free(text);
    }
    if (sum) fclose(sum);
    if (junit_out && rc == 0) {
        FILE *f = fopen(junit_out, "w");
        if (!f) {
            fprintf(stderr, "hil merge: cannot write %s\n", junit_out);
            rc = 1;
        } else {
            fprintf(f, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites tests=\"%ld\" failures=\"%ld\" "
                       "errors=\"%ld\" skipped=\"%ld\" time=\"%.3f\">\n",
                    t.tests, t.failures, t.errors, t.skipped, t.time);
            rewind(xml);
            char buf[8192];
            size_t got;
            while ((got = fread(buf, 1, sizeof buf, xml)) > 0) fwrite(buf, 1, got, f);
            fputs("</testsuites>\n", f);
            if (fclose(f) != 0) rc = 1;
        }
    }
    fclose(xml);
    if (durations_out && durations_save(&d, durations_out) < 0) {
        fprintf(stderr, "hil merge: cannot write %s\n", durations_out);
        rc = 1;
    }
    durations_free(&d);
    printf("hil merge: JUnit %ld test(s), %ld failures, %ld errors, %ld skipped; summaries %ld scenario(s), "
           "%ld passed, %ld failed, %ld skipped, %ld interrupted\n",
           t.tests, t.failures, t.errors, t.skipped, c.pass + c.fail + c.skip + c.interrupted, c.pass, c.fail,
           c.skip, c.interrupted);
    return rc;
}
