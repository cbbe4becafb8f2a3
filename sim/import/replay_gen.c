/* replay_gen: synthetic radio captures (replay_gen.h).
 *
 *   hil radio-capture [--meters N] [--hours H] [--interval S] [--seed N]
 *                     [--format rtl-wmbus|hex] [--keys-out FILE] -o FILE
 *
 * Meter i (id 30000000 + i) sends every interval seconds from its own phase,
 * with a jitter of ±10 % drawn from the seed. Its volume grows by a few litres
 * per telegram. Every 10th meter encrypts with security mode 5 (its key goes
 * to --keys-out); every 25th encrypts with a key that is not given (the
 * gateway must reject it: no key). Every 500th telegram is cut short in the
 * log (rejected: truncated), every 700th carries the receiver's CRC flag. */
#include "sim/import/replay_gen.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "codec/wmbus/oms_crypto.h"
#include "codec/wmbus/wmbus_build.h"

typedef struct gen_tx {
    int64_t t_ns;
    uint32_t meter;
    uint32_t seq;
} gen_tx;

static uint64_t next_rand(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int by_time(const void *a, const void *b) {
    const gen_tx *x = a, *y = b;
    if (x->t_ns != y->t_ns) return x->t_ns < y->t_ns ? -1 : 1;
    return x->meter < y->meter ? -1 : x->meter > y->meter;
}

static uint32_t to_bcd(uint32_t v) {
    uint32_t out = 0;
    for (int i = 0; i < 8; i++, v /= 10) out |= (v % 10) << (4 * i);
    return out;
}

static void meter_key(uint32_t meter, uint8_t key[16]) {
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)(meter * 7 + (uint32_t)i * 13 + 1);
}

static size_t build(oms_crypto *crypto, uint32_t meter, uint32_t seq, uint8_t *out, size_t cap) {
    static const char *const mans[] = {"KAM", "ELS", "DME", "LSE"};
    uint8_t key[16];
    meter_key(meter, key);
    uint32_t litres = 1000 * meter + seq * (3 + meter % 7);
    int16_t temp = (int16_t)(10 + (meter + seq) % 15);
    uint8_t rec[] = {0x04, 0x13, (uint8_t)litres, (uint8_t)(litres >> 8), (uint8_t)(litres >> 16),
                     (uint8_t)(litres >> 24), 0x02, 0x5B, (uint8_t)temp, (uint8_t)(temp >> 8)};
    bool enc = meter % 10 == 0 || meter % 25 == 0;
    wmbus_build b = {.c = 0x44, .manufacturer = wmbus_manufacturer_code(mans[meter % 4]),
                     .id_bcd = to_bcd(30000000 + meter), .version = 1, .device_type = 0x07,
                     .access_number = (uint8_t)seq, .mode = enc ? 5 : 0, .key = enc ? key : NULL};
    return wmbus_build_frame(crypto, &b, rec, sizeof rec, out, cap);
}

static int usage(void) {
    fputs("usage: hil radio-capture [--meters N] [--hours H] [--interval S] [--seed N]\n"
          "                         [--format rtl-wmbus|hex] [--keys-out FILE] -o FILE\n",
          stderr);
    return 2;
}

static void write_line(FILE *f, bool rtl, int64_t wall_ns, uint32_t meter, int rssi, bool crc_bad,
                       const uint8_t *b, size_t n) {
    time_t secs = (time_t)(wall_ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char ts[40];
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
    int ms = (int)(wall_ns / 1000000 % 1000);
    if (rtl) fprintf(f, "T1;%d;1;%s.%03d;%d;%d;%08u;0x", crc_bad ? 0 : 1, ts, ms, -rssi, 140 + meter % 20, 30000000 + meter);
    else fprintf(f, "%.10sT%s.%03dZ %d ", ts, ts + 11, ms, rssi);
    for (size_t i = 0; i < n; i++) fprintf(f, "%02X", b[i]);
    fputc('\n', f);
}

int replay_gen_main(int argc, char **argv) {
    long meters = 400, seed = 1;
    double hours = 24, interval = 300;
    const char *out_path = NULL, *keys_out = NULL, *format = "rtl-wmbus";
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        if (strcmp(argv[i], "--meters") == 0) meters = strtol(v, NULL, 10);
        else if (strcmp(argv[i], "--hours") == 0) hours = strtod(v, NULL);
        else if (strcmp(argv[i], "--interval") == 0) interval = strtod(v, NULL);
        else if (strcmp(argv[i], "--seed") == 0) seed = strtol(v, NULL, 10);
        else if (strcmp(argv[i], "--format") == 0) format = v;
        else if (strcmp(argv[i], "--keys-out") == 0) keys_out = v;
        else if (strcmp(argv[i], "-o") == 0) out_path = v;
        else return usage();
        i++;
    }
    bool rtl = strcmp(format, "rtl-wmbus") == 0;
    if (!out_path || meters < 1 || meters > 100000 || !(hours > 0) || hours > 24 * 366 || !(interval >= 1) || interval > 86400 * 366 ||
        (!rtl && strcmp(format, "hex") != 0))
        return usage();
    int64_t span = (int64_t)(hours * 3600e9), step = (int64_t)(interval * 1e9);
    size_t per = (size_t)(span / step) + 1, n = 0;
    gen_tx *tx = malloc((size_t)meters * per * sizeof *tx);
    oms_crypto *crypto = oms_crypto_new();
    FILE *f = fopen(out_path, "w");
    if (!tx || !crypto || !f) {
        fprintf(stderr, "hil radio-capture: cannot write %s\n", out_path);
        free(tx);
        if (f) fclose(f);
        oms_crypto_free(crypto);
        return 1;
    }
    uint64_t rng = (uint64_t)seed;
    for (uint32_t m = 0; m < (uint32_t)meters; m++) {
        int64_t phase = (int64_t)(next_rand(&rng) % (uint64_t)step);
        for (uint32_t k = 0;; k++) {
            int64_t jitter = (int64_t)(next_rand(&rng) % (uint64_t)(step / 5)) - step / 10;
            int64_t t = phase + (int64_t)k * step + jitter;
            if (t >= span) break;
            if (t >= 0) tx[n++] = (gen_tx){t, m, k};
        }
    }
    qsort(tx, n, sizeof *tx, by_time);
    const int64_t start = 1767225600LL * 1000000000LL; /* 2026-01-01T00:00:00Z */
    for (size_t i = 0; i < n; i++) {
        uint8_t b[256];
        size_t len = build(crypto, tx[i].meter, tx[i].seq, b, sizeof b);
        if (i % 500 == 499) len = len > 12 ? 12 : len; /* the receiver lost the rest */
        int rssi = -50 - (int)(tx[i].meter % 45);
        write_line(f, rtl, start + tx[i].t_ns, tx[i].meter, rssi, i % 700 == 699, b, len);
    }
    int rc = fclose(f) == 0 ? 0 : 1;
    if (keys_out) {
        FILE *k = fopen(keys_out, "w");
        for (uint32_t m = 0; k && m < (uint32_t)meters; m++) {
            if (m % 10 != 0 || m % 25 == 0) continue; /* the 25th's key is unknown */
            uint8_t key[16];
            meter_key(m, key);
            fprintf(k, "%08u ", 30000000 + m);
            for (int i = 0; i < 16; i++) fprintf(k, "%02X", key[i]);
            fputc('\n', k);
        }
        if (!k || fclose(k) != 0) rc = 1;
    }
    fprintf(stderr, "hil radio-capture: %zu telegrams of %ld meters over %g h -> %s\n", n, meters, hours, out_path);
    free(tx);
    oms_crypto_free(crypto);
    return rc;
}
