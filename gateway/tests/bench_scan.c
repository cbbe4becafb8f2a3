/* bench_scan: transactions and bus time of the secondary scan (gateway/south/
 * mbus_scan.c, driven as the master drives it) next to a model of the classic
 * libmbus search, on the same modelled segments; and the bus time of a full
 * readout cycle against the pure wire time of its telegrams. Prints one line
 * per segment and whether the goals are met; exits 1 only when a search
 * misses a meter.
 *
 * The bus model: a probe (SND_UD select to 0xFD with a mask) is answered by
 * every meter whose 16-char address matches, character by character. None:
 * the master waits its response timeout. One: a clean E5. Several: a garbled
 * answer (slaves never answer in bit-exact step), which both searches treat as
 * a collision. Timings at 2400 baud 8E1, the master's defaults (docs/mbus.md):
 *   request gap 33 bit times, response timeout 330 bit times + 50 ms,
 *   slave response delay 11 bit times + 2 ms (a fast meter; the same for both),
 *   a garbled answer ends after 33 bit times of silence.
 *
 * Classic model (libmbus style, as the issue defines it): ids only, digits 0-9
 * at every position starting with the first (the whole mask is never probed),
 * manufacturer/version/medium always wildcards; a select without a clean E5 is
 * sent once more (one retry); a clean E5 is followed by REQ_UD2 to 0xFD to learn
 * the address; a collision descends one position.
 *
 * Ours: mbus_scan (whole mask first, inferred last sibling, hex digits only
 * when ids are equal), no retry of silence, a collision is not retried when its
 * bytes look like overlapping answers (always so on this model), and no REQ_UD2:
 * the mask that isolated a meter selects it for its first readout, which
 * follows the scan and pins its full address (a readout needs that select and
 * REQ_UD2 anyway, so the classic search's address read is pure overhead). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbus_scan.h"

#define BAUD 2400.0
#define BIT_S (1.0 / BAUD)
#define BYTE_BITS 11.0
#define GAP_S (33 * BIT_S)
#define TIMEOUT_S (330 * BIT_S + 0.050)
#define DELAY_S (11 * BIT_S + 0.002)
#define SELECT_BYTES 17
#define REQ_BYTES 5
#define RSP_BYTES 78 /* a typical heat meter telegram (ACW Itron BM +m is 66) */
#define MAX_METERS 250

typedef struct bus_model {
    char addr[MAX_METERS][MBUS_SCAN_MASK_LEN + 1];
    int n;
    unsigned transactions;
    double seconds;
    double wire_seconds; /* bytes on the wire only */
} bus_model;

static void bus_reset_counters(bus_model *b) {
    b->transactions = 0;
    b->seconds = b->wire_seconds = 0;
}

static double bytes_s(int n) {
    return n * BYTE_BITS * BIT_S;
}

/* One request/answer exchange on the modelled bus. */
static void exchange(bus_model *b, int req_bytes, int answer_bytes, int matching) {
    b->transactions++;
    b->seconds += GAP_S + bytes_s(req_bytes);
    b->wire_seconds += bytes_s(req_bytes);
    if (matching == 0) {
        b->seconds += TIMEOUT_S;
    } else if (matching == 1) {
        b->seconds += DELAY_S + bytes_s(answer_bytes);
        b->wire_seconds += bytes_s(answer_bytes);
    } else {
        b->seconds += DELAY_S + bytes_s(2) + 33 * BIT_S; /* garbled, then silence */
    }
}

static int matching(const bus_model *b, const char *mask) {
    int n = 0;
    for (int i = 0; i < b->n; i++)
        n += mbus_scan_mask_match(mask, b->addr[i]);
    return n;
}

/* Our search; returns the number of meters found. */
static int scan_ours(bus_model *b) {
    mbus_scan s;
    char mask[MBUS_SCAN_MASK_LEN + 1];
    int found = 0;
    mbus_scan_init(&s, NULL, false);
    while (mbus_scan_next(&s, mask)) {
        int m = matching(b, mask);
        exchange(b, SELECT_BYTES, 1, m);
        if (m == 1) /* the master listens for later E5s until the response timeout */
            b->seconds += TIMEOUT_S - DELAY_S - bytes_s(1);
        found += m == 1; /* its full address comes with its first readout */
        mbus_scan_result(&s, m == 0 ? MBUS_PROBE_NONE : m == 1 ? MBUS_PROBE_SINGLE
                                                               : MBUS_PROBE_COLLISION);
    }
    return found;
}

static int classic_range(bus_model *b, char *mask, int pos) {
    int found = 0;
    for (char d = '0'; d <= '9'; d++) {
        mask[pos] = d;
        int m = matching(b, mask);
        exchange(b, SELECT_BYTES, 1, m);
        if (m != 1)
            exchange(b, SELECT_BYTES, 1, m); /* the one retry */
        if (m == 1) {
            b->seconds += TIMEOUT_S - DELAY_S - bytes_s(1); /* libmbus purges until timeout */
            exchange(b, REQ_BYTES, RSP_BYTES, 1);
            found++;
        } else if (m > 1 && pos < 7) {
            found += classic_range(b, mask, pos + 1);
        }
    }
    mask[pos] = 'F';
    return found;
}

static int scan_classic(bus_model *b) {
    char mask[MBUS_SCAN_MASK_LEN + 1];
    memset(mask, 'F', MBUS_SCAN_MASK_LEN);
    mask[MBUS_SCAN_MASK_LEN] = '\0';
    return classic_range(b, mask, 0);
}

/* A readout cycle: select, REQ_UD2 per meter (secondary addressing). */
static void readout_cycle(bus_model *b) {
    for (int i = 0; i < b->n; i++) {
        exchange(b, SELECT_BYTES, 1, 1);
        exchange(b, REQ_BYTES, RSP_BYTES, 1);
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static void make_segment(bus_model *b, int n, bool random) {
    b->n = n;
    for (int i = 0; i < n; i++) {
        char id[16];
        bool dup;
        do { /* distinct ids */
            snprintf(id, sizeof id, "%08u",
                     random ? rng() % 100000000u : 12340000u + (unsigned)i);
            dup = false;
            for (int k = 0; k < i; k++)
                dup |= strncmp(b->addr[k], id, 8) == 0;
        } while (dup);
        /* manufacturer ACW (0x0477), version 0x0E, medium 0x04 (heat) */
        snprintf(b->addr[i], sizeof b->addr[i], "%.8s04770E04", id);
    }
}

int main(void) {
    static const int sizes[] = {1, 10, 50, 100, 250};
    int failures = 0;
    printf("bench scan: secondary search at 2400 baud, ours vs classic (libmbus model)\n");
    printf("%-11s %6s | %6s %9s %5s | %6s %9s %5s | %5s %5s\n", "ids", "meters", "ours",
           "bus s", "found", "class", "bus s", "found", "tx %", "time%");
    for (int r = 0; r < 2; r++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            static bus_model b;
            make_segment(&b, sizes[k], r == 0);
            bus_reset_counters(&b);
            int ours = scan_ours(&b);
            unsigned ours_tx = b.transactions;
            double ours_s = b.seconds;
            bus_reset_counters(&b);
            int classic = scan_classic(&b);
            printf("%-11s %6d | %6u %9.1f %5d | %6u %9.1f %5d | %5.0f %5.0f\n",
                   r == 0 ? "random" : "consecutive", b.n, ours_tx, ours_s, ours, b.transactions,
                   b.seconds, classic, 100.0 * ours_tx / b.transactions, 100.0 * ours_s / b.seconds);
            if (ours != b.n) {
                printf("bench scan: FAIL ours found %d of %d\n", ours, b.n);
                failures++;
            }
            if (b.n == 250)
                printf("bench scan: %s ids, 250 meters: %u of %u classic transactions: goal "
                       "(at most half) %s\n", r == 0 ? "random" : "consecutive", ours_tx,
                       b.transactions, 2 * ours_tx <= b.transactions ? "met" : "MISSED");
            if (b.n == 250 && r == 0) {
                bus_reset_counters(&b);
                readout_cycle(&b);
                double over = 100.0 * (b.seconds / b.wire_seconds - 1);
                printf("bench readout: 250 meters (secondary), cycle %.1f s, wire time %.1f s, "
                       "overhead %.1f %%: goal (10 %%) %s\n", b.seconds, b.wire_seconds, over,
                       over <= 10 ? "met" : "MISSED");
            }
        }
    }
    return failures ? 1 : 0;
}
