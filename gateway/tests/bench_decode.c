/* Decode speed, single core: telegrams per second through decode_telegram
 * (the gateway's path: link, ELL/AFL, transport, security, records), and
 * with the JSON writer of `gwd decode` as well.
 *   - the libmbus corpus (fixtures/corpus/mbus-libmbus/test-frames), repeated
 *   - OMS wireless frames without AES (the Annex N.2.2 records, short header)
 *   - OMS wireless frames with AES: mode 5 (Annex N.2.1) and mode 7 (AFL,
 *     KDF and CMAC: two key derivations, one CMAC, one CBC per telegram)
 * Run from the repository root: bench_decode [SECONDS_PER_CASE], or
 * bench_decode --emit KEYS LINES METERS COUNT to write the input ci/bench
 * times `gwd decode -` with. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/clock.h"
#include "codec/decode/decode.h"
#include "tests/test_decode_build.h"

#define CORPUS "fixtures/corpus/mbus-libmbus/test-frames"
#define MAX_FRAMES 128

typedef struct frame {
    uint8_t b[WMBUS_FRAME_MAX];
    size_t n;
} frame;

static frame frames[MAX_FRAMES];
static telegram tg;
static char json[DECODE_JSON_MAX];

static size_t load_corpus(void) {
    DIR *d = opendir(CORPUS);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_FRAMES) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".hex") != 0)
            continue;
        char path[512], text[2048];
        snprintf(path, sizeof path, CORPUS "/%s", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t got = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[got] = '\0';
        for (char *p = text; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        size_t bad;
        long m = decode_hex_text(text, frames[n].b, sizeof frames[n].b, &bad);
        if (m > 0)
            frames[n++].n = (size_t)m;
    }
    closedir(d);
    return n;
}

/* Decode frames[0..n) round-robin for about `seconds`; telegrams/s. */
static double run(decoder *dec, size_t n, double seconds, bool with_json, size_t *failures) {
    int64_t start = clock_mono_ns(), stop = start + (int64_t)(seconds * NS_PER_S), now = start;
    unsigned long long count = 0;
    *failures = 0;
    while (now < stop) {
        for (int rep = 0; rep < 64; rep++)
            for (size_t i = 0; i < n; i++) {
                if (!decode_telegram(dec, frames[i].b, frames[i].n, &tg))
                    (*failures)++;
                if (with_json)
                    decode_json(&tg, json, sizeof json);
                count++;
            }
        now = clock_mono_ns();
    }
    return (double)count / ((double)(now - start) / NS_PER_S);
}

static void report(const char *what, decoder *dec, size_t n, double seconds) {
    size_t fails, fails_json;
    double rate = run(dec, n, seconds, false, &fails);
    double rate_json = run(dec, n, seconds, true, &fails_json);
    printf("  %-44s %11.0f telegrams/s   %10.0f with JSON   (%zu frames%s)\n", what, rate,
           rate_json, n, fails ? ", SOME FAILED" : "");
}

static size_t hex_frame(const char *hex, frame *f) {
    size_t bad;
    long m = decode_hex_text(hex, f->b, sizeof f->b, &bad);
    f->n = m > 0 ? (size_t)m : 0;
    return f->n;
}

/* The Annex N.2.2 records behind a mode 7 header with AFL, protected with
 * the gateway's own crypto (test_oms_security checks it independently). */
static void build_mode7(oms_crypto *c, const uint8_t key[16], frame *out) {
    uint8_t f[128] = {0, 0x44, 0x93, 0x15, 0x78, 0x56, 0x34, 0x12, 0x33, 0x03,
                      0x90, 0x0F, 0x00, 0x2C, 0x25, 0x01, 0x00, 0x00, 0x00};
    size_t n = 19 + 8, tpl = n;
    const uint8_t head[] = {0x7A, 0x2A, 0x00, 0x20, 0x07, 0x10};
    const uint8_t recs[] = {0x2F, 0x2F, 0x0C, 0x14, 0x27, 0x04, 0x85, 0x02, 0x04, 0x6D,
                            0x32, 0x37, 0x1F, 0x15, 0x02, 0xFD, 0x17, 0x00, 0x00};
    memcpy(f + n, head, sizeof head);
    n += sizeof head;
    size_t enc = n;
    memcpy(f + n, recs, sizeof recs);
    n += sizeof recs;
    while (n - enc < 32)
        f[n++] = 0x2F;
    f[0] = (uint8_t)(n - 1);
    uint8_t kenc[16], kmac[16], zero[16] = {0}, mac[16], in[160];
    oms_kdf(c, key, OMS_DC_ENC, f + 15, f + 4, kenc);
    oms_kdf(c, key, OMS_DC_MAC, f + 15, f + 4, kmac);
    oms_cbc_encrypt(c, kenc, zero, f + enc, n - enc);
    in[0] = f[14];
    memcpy(in + 1, f + 15, 4);
    memcpy(in + 5, f + tpl, n - tpl);
    oms_cmac(c, kmac, in, 5 + n - tpl, mac);
    memcpy(f + 19, mac, 8);
    memcpy(out->b, f, n);
    out->n = n;
}

/* Input for timing `gwd decode -` (ci/bench): a key file of `meters` meters
 * (ids 10000000 + i, one key each) and `lines` telegrams cycling through
 * them: mode 5 (Annex N.2.2 records) from every meter, every fourth line a
 * wireless frame in the clear, every eighth a wired frame of the corpus. */
static int emit(decoder *dec, const char *keys_path, const char *lines_path, unsigned meters,
                unsigned long lines) {
    FILE *kf = fopen(keys_path, "w"), *tf = fopen(lines_path, "w");
    if (!kf || !tf)
        return 1;
    size_t corpus = load_corpus();
    static frame per_meter[4096];
    const uint8_t recs[] = {0x0C, 0x14, 0x27, 0x04, 0x85, 0x02, 0x04, 0x6D, 0x32,
                            0x37, 0x1F, 0x15, 0x02, 0xFD, 0x17, 0x00, 0x00};
    for (unsigned m = 0; m < meters && m < 4096; m++) {
        unsigned id_dec = 10000000 + m;
        char id_text[16];
        snprintf(id_text, sizeof id_text, "%08u", id_dec);
        uint32_t id = (uint32_t)strtoul(id_text, NULL, 16); /* the digits as BCD */
        uint8_t key[16];
        for (int i = 0; i < 16; i++)
            key[i] = (uint8_t)(m * 7 + i * 13);
        fprintf(kf, "%s ", id_text);
        for (int i = 0; i < 16; i++)
            fprintf(kf, "%02X", key[i]);
        fputc('\n', kf);
        per_meter[m].n = build_wireless_id(dec->crypto, id, key, recs, sizeof recs, (uint8_t)m,
                                           WMBUS_FMT_PLAIN, per_meter[m].b, sizeof per_meter[m].b);
    }
    frame plain;
    plain.n = build_wireless(dec->crypto, NULL, recs, sizeof recs, 42, WMBUS_FMT_A, plain.b, sizeof plain.b);
    for (unsigned long i = 0; i < lines; i++) {
        const frame *f = i % 8 == 7 && corpus ? &frames[(i / 8) % corpus]
                         : i % 4 == 3         ? &plain
                                              : &per_meter[i % meters];
        for (size_t k = 0; k < f->n; k++)
            fprintf(tf, "%02X", f->b[k]);
        fputc('\n', tf);
    }
    fclose(kf);
    fclose(tf);
    return 0;
}

int main(int argc, char **argv) {
    decoder *dec = decoder_new();
    if (!dec)
        return 1;
    if (argc == 6 && strcmp(argv[1], "--emit") == 0) {
        int rc = emit(dec, argv[2], argv[3], (unsigned)atoi(argv[4]), strtoul(argv[5], NULL, 10));
        decoder_free(dec);
        return rc;
    }
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    size_t n = load_corpus();
    if (n == 0) {
        fprintf(stderr, "bench_decode: no frames in " CORPUS " (run from the repository root)\n");
        return 1;
    }
    printf("decode speed, one core, %.1f s per case:\n", seconds);
    report("wired: libmbus corpus, repeated", dec, n, seconds);

    uint8_t key[16];
    decode_parse_key("0102030405060708090A0B0C0D0E0F11", key);
    /* Annex N.2.2's records in a wireless frame, no security */
    const uint8_t recs[] = {0x0C, 0x14, 0x27, 0x04, 0x85, 0x02, 0x04, 0x6D, 0x32,
                            0x37, 0x1F, 0x15, 0x02, 0xFD, 0x17, 0x00, 0x00};
    frames[0].n = build_wireless(dec->crypto, NULL, recs, sizeof recs, 42, WMBUS_FMT_PLAIN,
                                 frames[0].b, sizeof frames[0].b);
    frames[1].n = build_wireless(dec->crypto, NULL, recs, sizeof recs, 43, WMBUS_FMT_A,
                                 frames[1].b, sizeof frames[1].b);
    report("wireless OMS, no AES (plain + format A CRCs)", dec, 2, seconds);

    dec->keys.has_default = true;
    memcpy(dec->keys.default_key, key, 16);
    hex_frame("2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3",
              &frames[0]);
    report("wireless OMS, AES mode 5 (Annex N.2.1)", dec, 1, seconds);
    build_mode7(dec->crypto, key, &frames[0]);
    report("wireless OMS, AES mode 7 (AFL, KDF, CMAC)", dec, 1, seconds);
    decoder_free(dec);
    return 0;
}
