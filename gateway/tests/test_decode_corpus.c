/* The libmbus corpus (fixtures/corpus/mbus-libmbus) through the decode path
 * and its JSON: what `gwd decode` prints for each frame. test_mbus_corpus
 * checks the M-Bus codec against libmbus field by field; this test checks
 * that the JSON carries the same records (compared with a direct decode by
 * the codec) and that its numbers equal the values libmbus states, after a
 * unit factor (libmbus units -> ours). Error and unsupported frames give
 * an "error" with an offset. Run from the repository root. */
#include <dirent.h>
#include <stdio.h>
#include "codec/decode/decode.h"
#include "codec/mbus/mbus_link.h"
#include "tests/test.h"
#include "tests/test_decode_json.h"

#define CORPUS "fixtures/corpus/mbus-libmbus"

static telegram tg;
static mbus_data direct;
static char json[DECODE_JSON_MAX];
static int frames, records_checked, values_vs_libmbus;

static size_t read_hex_file(const char *path, uint8_t *out, size_t cap) {
    char *text = jv_read_file(path);
    if (!text)
        return 0;
    size_t n = 0;
    unsigned v;
    int used;
    const char *p = text;
    while (n < cap && sscanf(p, " %2x%n", &v, &used) == 1)
        out[n++] = (uint8_t)v, p += used;
    free(text);
    return n;
}

/* libmbus unit -> factor to ours; 0 when not compared here */
static double unit_factor(const char *u) {
    static const struct {
        const char *theirs;
        double f;
    } t[] = {{"Wh", 1}, {"J", 1}, {"W", 1}, {"V", 1}, {"A", 1}, {"K", 1}, {"s", 1},
             {"m^3", 1}, {"m^3/h", 1}, {"\xC2\xB0" "C", 1}, {"\xC3\x82\xC2\xB0" "C", 1},
             {"kWh", 1000}, {"l", 0.001}, {"", 1}, {"-", 1}};
    for (size_t i = 0; u && i < sizeof t / sizeof t[0]; i++)
        if (strcmp(u, t[i].theirs) == 0)
            return t[i].f;
    return 0;
}

/* One record of the JSON against the codec's own record. */
static void check_record(const char *name, size_t i, const jv *have, const mbus_record *r) {
    CHECK_MSG(strcmp(jv_str(have, "quantity"), r->quantity) == 0, "%s[%zu] quantity", name, i);
    CHECK_MSG(strcmp(jv_str(have, "unit"), r->unit) == 0, "%s[%zu] unit", name, i);
    CHECK_MSG(jv_get(have, "storage")->num == (double)r->storage, "%s[%zu] storage", name, i);
    CHECK_MSG(jv_get(have, "tariff")->num == r->tariff, "%s[%zu] tariff", name, i);
    CHECK_MSG(jv_get(have, "subunit")->num == r->subunit, "%s[%zu] subunit", name, i);
    const jv *v = jv_get(have, "value");
    switch (r->kind) {
    case MBUS_VAL_NUMBER:
        CHECK_MSG(v->type == JV_NUM && (v->num == r->value || fabs(v->num - r->value) <= 1e-12 * fabs(r->value)),
                  "%s[%zu] value %s vs %.17g", name, i, v->str ? v->str : "?", r->value);
        break;
    case MBUS_VAL_DATE:
    case MBUS_VAL_STRING:
        CHECK_MSG(v->type == JV_STR && strcmp(v->str, r->text) == 0, "%s[%zu] text", name, i);
        break;
    case MBUS_VAL_BYTES:
        CHECK_MSG(v->type == JV_STR && strlen(v->str) % 2 == 0, "%s[%zu] hex", name, i);
        break;
    case MBUS_VAL_NONE: CHECK_MSG(v->type == JV_NULL, "%s[%zu] null", name, i); break;
    }
    records_checked++;
}

/* Numbers of the JSON against libmbus's statement. */
static void check_libmbus(const char *name, const jv *records, const char *expected_path) {
    char *text = jv_read_file(expected_path);
    if (!text)
        return;
    jv doc;
    CHECK_MSG(jv_parse(text, &doc), "%s does not parse", expected_path);
    const jv *want = jv_get(&doc, "records");
    for (size_t i = 0; want && i < want->n && i < records->n; i++) {
        const jv *w = &want->items[i], *h = &records->items[i];
        const jv *wv = jv_get(w, "value"), *hv = jv_get(h, "value");
        double f = unit_factor(jv_str(w, "unit"));
        if (!wv || wv->type != JV_NUM || f == 0 || !hv || hv->type != JV_NUM)
            continue;
        double expect = wv->num * f;
        CHECK_MSG(fabs(hv->num - expect) <= 1e-6 + 1e-7 * fabs(expect), "%s[%zu]: %s, libmbus %.12g",
                  name, i, hv->str, expect);
        CHECK_MSG(jv_get(h, "storage")->num == jv_get(w, "storage")->num, "%s[%zu] storage", name, i);
        values_vs_libmbus++;
    }
    jv_free(&doc);
    free(text);
}

static void run_dir(decoder *d, const char *sub, bool must_decode) {
    char dir[256];
    snprintf(dir, sizeof dir, CORPUS "/%s", sub);
    DIR *dh = opendir(dir);
    CHECK_MSG(dh != NULL, "cannot open %s (run from the repository root)", dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".hex") != 0)
            continue;
        char path[512], expected[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(expected, sizeof expected, "%s/%.*s.expected.json", dir, (int)(len - 4), e->d_name);
        uint8_t bytes[512];
        size_t n = read_hex_file(path, bytes, sizeof bytes);
        bool ok = decode_telegram(d, bytes, n, &tg);
        CHECK_MSG(decode_json(&tg, json, sizeof json) > 0, "%s: JSON too long", e->d_name);
        jv out;
        bool parsed = jv_parse(json, &out);
        CHECK_MSG(parsed, "%s: JSON does not parse: %s", e->d_name, json);
        if (!parsed)
            continue;
        frames++;
        /* a bad frame need not even start like a wired one (manual_frame1) */
        if (must_decode)
            CHECK_STR(jv_str(&out, "kind"), "mbus");
        if (!must_decode && strcmp(e->d_name, "svm_f22_telegram2.hex") == 0) {
            /* well-formed (see test_mbus_corpus): header, then DIF 1F and
             * 206 bytes of manufacturer data */
            const jv *recs = jv_get(&out, "records");
            CHECK(ok && recs->n == 1 && jv_get(&out, "more_records_follow"));
            CHECK(strlen(jv_str(&recs->items[0], "value")) == 2 * 206);
            jv_free(&out);
            continue;
        }
        if (!must_decode) {
            CHECK_MSG(!ok && jv_str(&out, "error") && jv_get(&out, "error_offset"),
                      "%s: should give an error with an offset: %s", e->d_name, json);
            jv_free(&out);
            continue;
        }
        CHECK_MSG(ok && !jv_get(&out, "error"), "%s: %s", e->d_name, json);
        /* the codec's own decode of the same frame */
        mbus_frame f;
        mbus_error err;
        const jv *records = jv_get(&out, "records");
        if (mbus_frame_parse_exact(bytes, n, &f, &err) == MBUS_OK &&
            mbus_app_decode(f.ci, f.data, f.data_len, &direct, &err) == MBUS_OK) {
            CHECK_MSG(records->n == direct.n_records, "%s: %zu records vs %zu", e->d_name,
                      records->n, direct.n_records);
            for (size_t i = 0; i < records->n && i < direct.n_records; i++)
                check_record(e->d_name, i, &records->items[i], &direct.records[i]);
            if (direct.hdr.is_long)
                CHECK_STR(jv_str(&out, "id"), direct.hdr.id);
        } else {
            CHECK_MSG(false, "%s: codec rejects it: %s", e->d_name, err.msg);
        }
        check_libmbus(e->d_name, records, expected);
        jv_free(&out);
    }
    closedir(dh);
}

int main(void) {
    decoder *d = decoder_new();
    run_dir(d, "test-frames", true);
    run_dir(d, "error-frames", false);
    run_dir(d, "unsupported-frames", false);
    decoder_free(d);
    printf("%d frames, %d records against the codec, %d values against libmbus\n", frames,
           records_checked, values_vs_libmbus);
    CHECK(frames >= 57 + 20);
    CHECK(values_vs_libmbus > 300);
    return test_summary("test_decode_corpus");
}
