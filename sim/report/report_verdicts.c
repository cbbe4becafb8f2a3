/* report_verdicts: the run's output lines as the page's tables (report.h).
 *   PASS  <what>[: expected <e>, observed <o>]   (also SKIP, FAIL, ERROR)
 *   DIFF  <key>: recorded <old>, now <new>      (a replay's changed result)
 * The split into what/expected/observed follows the wording every expectation kind
 * uses (expect.h); a line worded otherwise keeps its whole text under "what". */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "sim/report/report.h"
#include "sim/report/report_escape.h"

static void cell(FILE *out, const char *cls, const char *s, size_t n) {
    char *t = strndup(s, n);
    fprintf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    report_html_text(out, t ? t : "");
    fputs("</td>", out);
    free(t);
}

/* One verdict line (without its newline) as a row. */
static void verdict_row(FILE *out, const char *status, const char *line, size_t len) {
    char *msg = strndup(line, len);
    if (!msg) return;
    const char *e = strstr(msg, ": expected ");
    const char *o = e ? strstr(e, ", observed ") : NULL;
    bool fail = strcmp(status, "PASS") != 0 && strcmp(status, "SKIP") != 0;
    fprintf(out, "<tr class=\"verdict %s\"><td class=\"%s\">%s</td>", fail ? "fail" : "pass", fail ? "fail" : "pass",
            status);
    if (o) {
        cell(out, "what", msg, (size_t)(e - msg));
        cell(out, "val expected", e + 11, (size_t)(o - e - 11));
        cell(out, "val observed", o + 11, strlen(o + 11));
    } else {
        cell(out, "what", msg, len);
        fputs("<td class=\"val expected\"></td><td class=\"val observed\"></td>", out);
    }
    fputs("</tr>\n", out);
    free(msg);
}

static const char *const statuses[] = {"PASS  ", "FAIL  ", "SKIP  ", "ERROR "};

/* Each line of text with a given prefix, handed to fn. */
static void each_line(const char *text, void (*fn)(FILE *, const char *, size_t, void *), FILE *out, void *arg) {
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        fn(out, p, len, arg);
        p = nl ? nl + 1 : NULL;
    }
}

/* Two passes over the lines: the failures first, then the rest. */
typedef struct pass {
    bool failures;
    bool any;
} pass;

static void verdict_line(FILE *out, const char *p, size_t len, void *arg) {
    pass *ps = arg;
    for (size_t s = 0; s < sizeof statuses / sizeof *statuses; s++) {
        if (len < 6 || strncmp(p, statuses[s], 6) != 0) continue;
        bool failure = s == 1 || s == 3;
        if (failure != ps->failures) continue;
        char status[6];
        snprintf(status, sizeof status, "%.5s", statuses[s]);
        status[strcspn(status, " ")] = '\0';
        verdict_row(out, status, p + 6, len - 6);
        ps->any = true;
    }
}

void report_write_verdicts(FILE *out, const char *output, const char *error) {
    fputs("<h2>Verdicts <span class=\"note\">(failed first)</span></h2>\n<div class=\"scroll\">"
          "<table id=\"verdicts\"><tr><th></th><th>expectation</th><th>expected</th><th>observed</th></tr>\n", out);
    pass ps = {.failures = true};
    if (error && *error) {
        verdict_row(out, "ERROR", error, strlen(error));
        ps.any = true;
    }
    each_line(output ? output : "", verdict_line, out, &ps);
    ps.failures = false;
    each_line(output ? output : "", verdict_line, out, &ps);
    if (!ps.any) fputs("<tr><td colspan=\"4\">no verdicts: the run printed none</td></tr>\n", out);
    fputs("</table></div>\n", out);
}

static void diff_line(FILE *out, const char *p, size_t len, void *arg) {
    size_t *n = arg;
    if (len < 6 || strncmp(p, "DIFF  ", 6) != 0) return;
    char *s = strndup(p + 6, len - 6);
    if (!s) return;
    const char *r = strstr(s, ": recorded ");
    const char *w = r ? strstr(r, ", now ") : NULL;
    fputs("<tr class=\"diff\">", out);
    if (!w) {
        cell(out, NULL, s, strlen(s));
        fputs("<td></td><td></td>", out);
    } else {
        cell(out, "key", s, (size_t)(r - s));
        cell(out, "val old", r + 11, (size_t)(w - r - 11));
        cell(out, "val new", w + 6, strlen(w + 6));
    }
    fputs("</tr>\n", out);
    free(s);
    ++*n;
}

void report_write_diffs(FILE *out, const char *output) {
    fputs("<h2>Replay diffs</h2>\n<p class=\"note\">Results that differ from the recorded ones "
          "(NAME.expected.json of <code>hil import</code> / <code>--record</code>, docs/replay.md).</p>\n"
          "<div class=\"scroll\"><table id=\"diffs\"><tr><th>result</th><th>recorded (old)</th><th>now (new)</th></tr>\n", out);
    size_t n = 0;
    each_line(output ? output : "", diff_line, out, &n);
    if (n == 0) fputs("<tr><td colspan=\"3\">none</td></tr>\n", out);
    fputs("</table></div>\n", out);
}
