/* Unit tests of the run report (sim/report): the escaping of text from meters and
 * captures into HTML and JSON-in-HTML, the split of verdict lines into expected and
 * observed, the marks made of a trace, and a whole page that binary frame text and
 * values cannot break. */
#include <stdlib.h>
#include <string.h>
#include "sim/report/report.h"
#include "sim/report/report_escape.h"
#include "sim/report/report_timeline.h"
#include "tests/test.h"

typedef struct mem {
    FILE *f;
    char *text;
    size_t len;
} mem;

static void mem_open(mem *m) {
    m->text = NULL;
    m->f = open_memstream(&m->text, &m->len);
}

static void mem_close(mem *m) {
    fclose(m->f);
}

static size_t count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static void test_html_text(void) {
    mem m;
    mem_open(&m);
    /* markup, quotes, a control byte, an invalid byte, a truncated sequence and valid UTF-8 */
    report_html_text(m.f, "<b>\"a&b'\x01\xFF\xC3 \xC3\xA9\tx");
    mem_close(&m);
    CHECK_STR(m.text, "&lt;b&gt;&quot;a&amp;b&#39;\\x01\\xFF\\xC3 \xC3\xA9\tx");
    free(m.text);
}

static void test_json_text(void) {
    mem m;
    mem_open(&m);
    const char s[] = "</script><!--\"\\\x00\x1F\x80\xE2\x82\xAC";
    report_json_bytes(m.f, s, sizeof s - 1);
    mem_close(&m);
    CHECK_STR(m.text, "\\u003c/script\\u003e\\u003c!--\\\"\\\\\\\\x00\\\\x1F\\\\x80\xE2\x82\xAC");
    free(m.text);
}

/* A failing value whose observed text is a manufacturer record's bytes with markup. */
static void test_verdict_table(void) {
    mem m;
    mem_open(&m);
    report_write_verdicts(m.f,
                          "PASS  meter m1 status=ok\n"
                          "FAIL  value m1.mfr: expected 12.5, observed </td><script>x \xFF quality good\n"
                          "DIFF  meter m1 record 0 (volume, m3): recorded 12.71, now 12.8\n",
                          NULL);
    report_write_diffs(m.f, "DIFF  meter m1 record 0 (volume, m3): recorded 12.71, now <i>12.8</i>\n");
    mem_close(&m);
    CHECK(strstr(m.text, "<td class=\"val expected\">12.5</td>") != NULL);
    CHECK(strstr(m.text, "<td class=\"val observed\">&lt;/td&gt;&lt;script&gt;x \\xFF quality good</td>") != NULL);
    CHECK_INT(count(m.text, "<script"), 0);
    /* the failure comes first, before the passing line */
    CHECK(strstr(m.text, "value m1.mfr") < strstr(m.text, "meter m1 status=ok"));
    CHECK(strstr(m.text, "<td class=\"val old\">12.71</td><td class=\"val new\">&lt;i&gt;12.8&lt;/i&gt;</td>") != NULL);
    free(m.text);
}

static void add(trace *tr, const char *ch, trace_dir d, int64_t t, const char *bytes, size_t n, const char *ev) {
    trace_rec r = {.t_ns = t, .end_ns = t + 1000, .dir = d, .baud = 2400, .len = n};
    snprintf(r.ch, sizeof r.ch, "%s", ch);
    snprintf(r.event, sizeof r.event, "%s", ev);
    r.bytes = n ? malloc(n) : NULL;
    if (n) memcpy(r.bytes, bytes, n);
    tr->recs = realloc(tr->recs, (tr->n + 1) * sizeof *tr->recs);
    tr->recs[tr->n++] = r;
}

/* bus1: request, a collision, a request that got no answer, its retry, an answer;
 * a note of a timeout on another lane. */
static void sample_trace(trace *tr) {
    memset(tr, 0, sizeof *tr);
    const char req[] = "\x10\x7B\x05\x80\x16", req2[] = "\x10\x5B\x06\x61\x16", e5[] = "\xE5";
    add(tr, "bus1", TRACE_GW_TO_BUS, 0, req, 5, "");
    add(tr, "bus1", TRACE_BUS_TO_GW, 10000, e5, 1, "collision slave 1, 2 (1 framing, 0 parity errors)");
    add(tr, "bus1", TRACE_GW_TO_BUS, 20000, req2, 5, "");
    add(tr, "bus1", TRACE_GW_TO_BUS, 30000, req2, 5, "");
    add(tr, "bus1", TRACE_BUS_TO_GW, 40000, e5, 1, "answer slave 6");
    add(tr, "em1", TRACE_NOTE, 50000, NULL, 0, "timeout fc=3 u=4 a=10 n=4");
}

static void test_timeline(void) {
    trace tr;
    sample_trace(&tr);
    report_timeline tl;
    CHECK_INT(report_timeline_build(&tl, &tr, 100), 0);
    CHECK_INT(tl.n_lanes, 2);
    CHECK_STR(tl.lanes[0].name, "bus1");
    CHECK(!tl.lanes[0].bench_master);
    CHECK_INT(tl.lanes[0].records, 5);
    CHECK_INT(tl.lanes[0].counts[MK_REQUEST], 2);
    CHECK_INT(tl.lanes[0].counts[MK_RETRY], 1);
    CHECK_INT(tl.lanes[0].counts[MK_COLLISION], 1);
    CHECK_INT(tl.lanes[0].counts[MK_ANSWER], 1);
    CHECK_INT(tl.lanes[0].counts[MK_TIMEOUT], 1); /* the first req2, given up at the retry */
    CHECK_INT(tl.lanes[1].counts[MK_TIMEOUT], 1);
    CHECK_INT(tl.n_marks, 7);
    CHECK_INT(tl.end_ns, 51000);
    for (size_t i = 0; i < tl.n_marks; i++)
        if (tl.marks[i].kind == MK_TIMEOUT && tl.marks[i].lane == 0) {
            CHECK_INT(tl.marks[i].rec, 2);
            CHECK_INT(tl.marks[i].t_ns, 30000);
        }
    report_timeline_free(&tl);
    /* over the cap the unusual marks stay: collision, retry and both timeouts */
    CHECK_INT(report_timeline_build(&tl, &tr, 4), 0);
    CHECK_INT(tl.n_marks, 4);
    CHECK_INT(tl.n_all, 7);
    for (size_t i = 0; i < tl.n_marks; i++) CHECK(tl.marks[i].kind > MK_ANSWER);
    report_timeline_free(&tl);
    trace_free(&tr);
}

/* On the air, transmissions in one mode that overlap collide; another mode or a later
 * one does not. */
static void test_air_collisions(void) {
    trace tr;
    memset(&tr, 0, sizeof tr);
    const char f[] = "\x14\x44\x2D\x2C\x01";
    add(&tr, "air", TRACE_NOTE, 0, f, 5, "send T1 equal_a -70.0 dBm");
    add(&tr, "air", TRACE_NOTE, 500, f, 5, "send T1 equal_b -70.0 dBm"); /* ends at 1500, overlaps */
    add(&tr, "air", TRACE_NOTE, 700, f, 5, "send C1 other -60.0 dBm");   /* another mode */
    add(&tr, "air", TRACE_NOTE, 5000, f, 5, "send T1 alone -70.0 dBm");
    report_timeline tl;
    CHECK_INT(report_timeline_build(&tl, &tr, 100), 0);
    CHECK_INT(tl.n_lanes, 1);
    CHECK_INT(tl.lanes[0].counts[MK_COLLISION], 2);
    CHECK_INT(tl.lanes[0].counts[MK_ANSWER], 2);
    CHECK_INT(tl.lanes[0].counts[MK_NOTE], 0);
    CHECK_INT(tl.marks[0].kind, MK_COLLISION);
    CHECK_INT(tl.marks[1].kind, MK_COLLISION);
    CHECK_INT(tl.marks[3].kind, MK_ANSWER);
    report_timeline_free(&tl);
    trace_free(&tr);
}

/* A whole page: a frame with "</script>" in its event and binary bytes keeps the page's
 * two script elements and all the data. */
static void test_page(void) {
    trace tr;
    sample_trace(&tr);
    snprintf(tr.recs[4].event, sizeof tr.recs[4].event, "answer </script><script>alert(1)</script> \xFF");
    char dir[] = "/tmp/test_sim_report.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    report_input in = {.name = "bin<x>", .path = "s/bin.yaml", .workdir = "w", .tr = &tr,
                       .output = "FAIL  value m1.v: expected 1, observed \xC3\x28\n", .passed = false, .n_failed = 1};
    char err[256];
    CHECK_INT(report_write(dir, &in, err, sizeof err), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/bin<x>.html", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char *text = calloc(1, 1 << 20);
    size_t n = f ? fread(text, 1, (1 << 20) - 1, f) : 0;
    if (f) fclose(f);
    text[n] = '\0';
    CHECK_INT(count(text, "<script"), 2);
    CHECK_INT(count(text, "</script>"), 2);
    CHECK(strstr(text, "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)") != NULL);
    CHECK(strstr(text, "<title>hil run report: bin&lt;x&gt;</title>") != NULL);
    CHECK(strstr(text, "<td class=\"val observed\">\\xC3(</td>") != NULL);
    free(text);
    snprintf(path, sizeof path, "%s/index.html", dir);
    f = fopen(path, "r");
    text = calloc(1, 1 << 16);
    n = f ? fread(text, 1, (1 << 16) - 1, f) : 0;
    if (f) fclose(f);
    text[n] = '\0';
    CHECK(strstr(text, "<span id=\"n-failed\" class=\"fail\">1</span>") != NULL);
    CHECK(strstr(text, "<a href=\"bin&lt;x&gt;.html\">bin&lt;x&gt;</a>") != NULL);
    free(text);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
    trace_free(&tr);
}

int main(void) {
    test_html_text();
    test_json_text();
    test_verdict_table();
    test_timeline();
    test_air_collisions();
    test_page();
    return test_summary("test_sim_report");
}
