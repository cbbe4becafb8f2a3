/* OMS Specification Vol.2 Annex N worked examples (fixtures/corpus/oms/
 * annex-n.json): every example decodes through the gateway's decode path and
 * its JSON carries every value the annex states. Run from the repo root.
 *
 * Names: the annex file calls two quantities "hca_units" and
 * "fabrication_number"; the gateway (and its reports) call them "hca" and
 * "fabrication_no". The alias table below maps names, never values. */
#include <stdio.h>
#include "codec/decode/decode.h"
#include "tests/test.h"
#include "tests/test_decode_json.h"

#define ANNEX "fixtures/corpus/oms/annex-n.json"

static const char *const aliases[][2] = {
    {"hca_units", "hca"},
    {"fabrication_number", "fabrication_no"},
};

static const char *our_quantity(const char *annex) {
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(aliases[i][0], annex) == 0)
            return aliases[i][1];
    return annex;
}

static telegram tg;
static char json[DECODE_JSON_MAX];

/* Does the decoded value equal the stated one (numbers and strings)? */
static bool same_value(const jv *have, const jv *want) {
    if (!have || !want)
        return false;
    if (want->type == JV_NUM)
        return have->type == JV_NUM && fabs(have->num - want->num) <= 1e-9 * fabs(want->num);
    if (want->type == JV_STR)
        return have->type == JV_STR && strcmp(have->str, want->str) == 0;
    return false;
}

/* Every key of want (except notes) is in have with the same value. */
static bool record_matches(const jv *have, const jv *want) {
    for (size_t i = 0; i < want->n; i++) {
        const char *k = want->keys[i];
        const jv *w = &want->items[i];
        if (strcmp(k, "note") == 0)
            continue;
        if (strcmp(k, "quantity") == 0) {
            const char *q = jv_str(have, "quantity");
            if (!q || strcmp(q, our_quantity(w->str)) != 0)
                return false;
        } else if (!same_value(jv_get(have, k), w)) {
            return false;
        }
    }
    return true;
}

static void check_fields(const char *name, const jv *have, const jv *want) {
    for (size_t i = 0; i < want->n; i++) {
        const char *k = want->keys[i];
        const jv *w = &want->items[i];
        if (w->type == JV_ARR || strcmp(k, "record_count") == 0)
            continue;
        if (w->type == JV_OBJ) {
            const jv *sub = jv_get(have, k);
            CHECK_MSG(sub && sub->type == JV_OBJ, "%s: no \"%s\" object", name, k);
            if (sub)
                check_fields(name, sub, w);
            continue;
        }
        const jv *h = jv_get(have, k);
        CHECK_MSG(same_value(h, w), "%s: %s is %s, want %s", name, k,
                  h && h->str ? h->str : "(missing)", w->str);
    }
}

static void check_records(const char *name, const jv *have, const jv *expect) {
    const jv *records = jv_get(have, "records");
    const jv *ordered = jv_get(expect, "records"), *include = jv_get(expect, "records_include");
    const jv *count = jv_get(expect, "record_count");
    CHECK_MSG(records && records->type == JV_ARR, "%s: no records", name);
    if (!records)
        return;
    if (ordered) {
        CHECK_MSG(records->n == ordered->n, "%s: %zu records, want %zu", name, records->n, ordered->n);
        for (size_t i = 0; i < ordered->n && i < records->n; i++)
            CHECK_MSG(record_matches(&records->items[i], &ordered->items[i]), "%s: record %zu differs",
                      name, i);
    }
    if (count)
        CHECK_MSG(records->n == (size_t)count->num, "%s: %zu records, want %g", name, records->n,
                  count->num);
    for (size_t i = 0; include && i < include->n; i++) {
        bool found = false;
        for (size_t k = 0; k < records->n && !found; k++)
            found = record_matches(&records->items[k], &include->items[i]);
        CHECK_MSG(found, "%s: no record like records_include[%zu]", name, i);
    }
}

static bool decode_hex(decoder *d, const char *hex, jv *out) {
    uint8_t bytes[512];
    size_t bad;
    long n = decode_hex_text(hex, bytes, sizeof bytes, &bad);
    CHECK_MSG(n > 0, "hex does not parse at %zu", bad);
    if (n <= 0)
        return false;
    decode_telegram(d, bytes, (size_t)n, &tg);
    CHECK(decode_json(&tg, json, sizeof json) > 0);
    bool ok = jv_parse(json, out);
    CHECK_MSG(ok, "decoder JSON does not parse: %s", json);
    return ok;
}

static void run_example(const jv *ex) {
    const char *name = jv_str(ex, "name"), *hex = jv_str(ex, "hex"), *key = jv_str(ex, "key");
    const jv *expect = jv_get(ex, "expect");
    decoder *d = decoder_new();
    if (key)
        d->keys.has_default = decode_parse_key(key, d->keys.default_key);
    jv have;
    if (decode_hex(d, hex, &have)) {
        CHECK_MSG(!jv_get(&have, "error"), "%s: error %s", name, jv_str(&have, "error"));
        CHECK_STR(jv_str(&have, "kind"), jv_str(ex, "kind"));
        CHECK_STR(jv_str(&have, "security"), key ? "ok" : "none");
        check_fields(name, &have, expect);
        check_records(name, &have, expect);
        jv_free(&have);
    }
    /* the same telegram without its key: "no_key", no records, an error */
    if (key) {
        decoder *bare = decoder_new();
        if (decode_hex(bare, hex, &have)) {
            CHECK_STR(jv_str(&have, "security"), "no_key");
            CHECK(jv_get(&have, "error") != NULL);
            CHECK_INT(jv_get(&have, "records")->n, 0);
            jv_free(&have);
        }
        /* and with a wrong key: "wrong_key" */
        bare->keys.has_default = true;
        memset(bare->keys.default_key, 0x55, OMS_KEY_LEN);
        if (decode_hex(bare, hex, &have)) {
            CHECK_STR(jv_str(&have, "security"), "wrong_key");
            jv_free(&have);
        }
        decoder_free(bare);
    }
    decoder_free(d);
}

int main(void) {
    char *text = jv_read_file(ANNEX);
    CHECK_MSG(text != NULL, "cannot read %s (run from the repository root)", ANNEX);
    if (!text)
        return test_summary("test_decode_annex");
    jv doc;
    CHECK(jv_parse(text, &doc));
    const jv *examples = jv_get(&doc, "examples");
    CHECK(examples && examples->n == 4);
    for (size_t i = 0; examples && i < examples->n; i++)
        run_example(&examples->items[i]);
    jv_free(&doc);
    free(text);
    return test_summary("test_decode_annex");
}
