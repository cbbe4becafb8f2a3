/* Property test: random records, built by the encoder (mbus_encode.c) for
 * every VIF it knows, wrapped as wired and wireless telegrams (plain, mode
 * 5, formats A and B), decode back through the gateway's decode path to the
 * same records: DIF/VIF bytes, function, storage, tariff, subunit,
 * quantity, unit and the value the encoder's own table says. Seeded, so a
 * failure repeats; the seed is printed. */
#include <stdio.h>
#include <stdlib.h>
#include "codec/decode/decode.h"
#include "tests/test.h"
#include "tests/test_decode_build.h"

#define ROUNDS_PER_VIF 40
#define MAX_RECS 8

static uint64_t rng_state;

static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static unsigned below(unsigned n) {
    return (unsigned)(rnd() % n);
}

typedef struct spec {
    mbus_enc_record rec;
    const mbus_enc_vif *vif;
    char date[24]; /* expected text of a time point */
} spec;

/* A random record for a VIF entry. */
static void random_record(const mbus_enc_vif *v, spec *s) {
    mbus_enc_record *r = &s->rec;
    memset(s, 0, sizeof *s);
    s->vif = v;
    r->function = (mbus_function)below(4);
    /* small numbers mostly, sometimes the DIFE chain's full width */
    r->storage = below(3) == 0 ? rnd() % (1ull << 41) : below(4);
    r->tariff = below(3) == 0 ? (uint32_t)(rnd() % (1u << 20)) : below(3);
    r->subunit = below(3) == 0 ? (uint32_t)(rnd() % (1u << 10)) : below(2);
    memcpy(r->vif, v->vif, v->n_vif);
    r->n_vif = v->n_vif;
    if (v->time_point) {
        unsigned y = 2000 + below(81), mo = 1 + below(12), d = 1 + below(28);
        unsigned h = below(24), mi = below(60);
        r->coding = MBUS_ENC_INT;
        if (v->vif[0] == 0x6C) {
            r->size = 2, r->raw = mbus_encode_date_g(y, mo, d);
            snprintf(s->date, sizeof s->date, "%04u-%02u-%02u", y, mo, d);
        } else {
            r->size = 4, r->raw = mbus_encode_datetime_f(y, mo, d, h, mi);
            snprintf(s->date, sizeof s->date, "%04u-%02u-%02uT%02u:%02u:00", y, mo, d, h, mi);
        }
        return;
    }
    static const uint8_t int_sizes[] = {1, 2, 3, 4, 6, 8}, bcd_sizes[] = {1, 2, 3, 4, 6};
    unsigned kind = below(5);
    if (kind == 4) {
        r->coding = MBUS_ENC_REAL, r->size = 4;
        r->real = (float)((double)(int32_t)(uint32_t)rnd() / 1024.0);
    } else if (kind >= 2) {
        r->coding = MBUS_ENC_BCD;
        r->size = bcd_sizes[below(5)];
        int64_t limit = 1;
        for (unsigned i = 0; i < 2u * r->size - 1; i++)
            limit *= 10;
        r->raw = (int64_t)(rnd() % (uint64_t)limit);
        if (below(4) == 0)
            r->raw = -r->raw;
    } else {
        r->coding = MBUS_ENC_INT;
        r->size = int_sizes[below(6)];
        uint64_t u = rnd();
        unsigned bits = 8u * r->size;
        r->raw = bits == 64 ? (int64_t)u : ((int64_t)(u << (64 - bits))) >> (64 - bits);
    }
}

static double expected_value(const spec *s) {
    const mbus_enc_vif *v = s->vif;
    double base = s->rec.coding == MBUS_ENC_REAL ? (double)s->rec.real : (double)s->rec.raw;
    double scale = 1;
    for (int i = 0; i < (v->exp < 0 ? -v->exp : v->exp); i++)
        scale *= 10;
    return (v->exp < 0 ? base / scale : base * scale) * v->mult;
}

static int mismatches;

static void compare(const char *how, const spec *s, const mbus_record *r, size_t i) {
    const mbus_enc_record *e = &s->rec;
    bool ok = r->function == e->function && r->storage == e->storage && r->tariff == e->tariff &&
              r->subunit == e->subunit && strcmp(r->quantity, s->vif->quantity) == 0 &&
              strcmp(r->unit, s->vif->unit) == 0 && r->n_vif == e->n_vif &&
              memcmp(r->vif, e->vif, e->n_vif) == 0;
    if (s->vif->time_point) {
        ok = ok && r->kind == MBUS_VAL_DATE && strcmp(r->text, s->date) == 0;
    } else {
        double want = expected_value(s);
        ok = ok && r->kind == MBUS_VAL_NUMBER && fabs(r->value - want) <= 1e-12 * fabs(want) + 1e-300;
        if (e->coding != MBUS_ENC_REAL)
            ok = ok && r->has_raw && r->raw_int == e->raw;
    }
    CHECK_MSG(ok, "%s record %zu: VIF %02X%02X q=%s/%s u=%s/%s st=%llu/%llu ta=%u/%u su=%u/%u value %.17g raw %lld (sent %lld, coding %d size %d)",
              how, i, e->vif[0], e->n_vif > 1 ? e->vif[1] : 0, r->quantity, s->vif->quantity,
              r->unit, s->vif->unit, (unsigned long long)r->storage,
              (unsigned long long)e->storage, r->tariff, e->tariff, r->subunit, e->subunit, r->value,
              (long long)r->raw_int, (long long)e->raw, e->coding, e->size);
    if (!ok)
        mismatches++;
}

static telegram tg;

static void round_trip(decoder *d, const spec *specs, size_t n_specs, const uint8_t *records,
                       size_t n, unsigned variant) {
    static const char *const names[] = {"wired", "wireless plain", "wireless mode 5 format A",
                                        "wireless mode 5 format B"};
    uint8_t frame[WMBUS_FRAME_MAX];
    size_t len;
    uint8_t access = (uint8_t)below(256);
    if (variant == 0)
        len = build_wired(records, n, access, frame, sizeof frame);
    else
        len = build_wireless(d->crypto, variant >= 2 ? d->keys.default_key : NULL, records, n,
                             access, variant == 3 ? WMBUS_FMT_B : variant == 2 ? WMBUS_FMT_A
                                                                                : WMBUS_FMT_PLAIN,
                             frame, sizeof frame);
    if (len == 0)
        return;
    bool ok = decode_telegram(d, frame, len, &tg);
    CHECK_MSG(ok, "%s: %s", names[variant], tg.error);
    CHECK_INT(tg.app.n_records, n_specs);
    for (size_t i = 0; ok && i < n_specs && i < tg.app.n_records; i++)
        compare(names[variant], &specs[i], &tg.app.records[i], i);
    if (variant >= 2)
        CHECK_INT(tg.sec.outcome, OMS_SEC_OK);
}

int main(int argc, char **argv) {
    rng_state = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x9E3779B97F4A7C15ull;
    printf("seed 0x%llx\n", (unsigned long long)rng_state);
    decoder *d = decoder_new();
    d->keys.has_default = true;
    for (int i = 0; i < 16; i++)
        d->keys.default_key[i] = (uint8_t)(0xA0 + i);
    size_t n_vifs = mbus_encode_vif_count();
    CHECK(n_vifs > 150);
    size_t telegrams = 0;
    for (size_t v = 0; v < n_vifs; v++) {
        for (int round = 0; round < ROUNDS_PER_VIF; round++) {
            spec specs[MAX_RECS];
            uint8_t records[256];
            size_t n = 0, k = 0, want = 1 + below(MAX_RECS);
            /* the VIF under test first, then random others */
            while (k < want) {
                const mbus_enc_vif *vif = k == 0 ? mbus_encode_vif_at(v) : mbus_encode_vif_at(below((unsigned)n_vifs));
                random_record(vif, &specs[k]);
                size_t m = mbus_encode_record(&specs[k].rec, records + n, 200 - n);
                if (m == 0)
                    break;
                n += m, k++;
            }
            CHECK_MSG(k > 0, "VIF entry %zu: encoder refused its record", v);
            round_trip(d, specs, k, records, n, (unsigned)(round % 4));
            telegrams++;
        }
    }
    decoder_free(d);
    printf("%zu VIFs, %zu telegrams, %d mismatches\n", n_vifs, telegrams, mismatches);
    return test_summary("test_decode_property");
}
