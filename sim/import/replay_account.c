/* replay_account: every replayed telegram accounted for from what the gateway
 * did with it (replay.h): the module's reception counts, the wmbus driver's
 * counters and records in the datahub dump, the store's rejected table. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "sim/wmbus/im871a_emu.h"
#include "sim/wmbus/radio_bench.h"
#include "sim/import/replay_int.h"
#include "sim/core/text_safe.h"

/* A point's numeric value in the dump (parsed once), or -1 when absent. */
static long dump_count(const cfg_node *points, const char *id) {
    for (size_t i = 0; points && points->kind == CFG_SEQ && i < points->n; i++) {
        const cfg_node *pid = cfg_get(points->items[i], "id"), *val = cfg_get(points->items[i], "value");
        if (pid && pid->kind == CFG_SCALAR && strcmp(pid->scalar, id) == 0 && val && val->kind == CFG_SCALAR)
            return (long)llround(strtod(val->scalar, NULL));
    }
    return -1;
}

static unsigned long counter(const cfg_node *points, const char *module, const char *what) {
    char id[96];
    snprintf(id, sizeof id, "%s/%s", module, what);
    long v = dump_count(points, id);
    return v < 0 ? 0 : (unsigned long)v;
}

/* "meter ID record ..." → "radio meter ID record ..." for the capture's meters. */
static bool claim_key(const replay_bench *rb, const char *key, char *out, size_t cap) {
    char id[32];
    if (sscanf(key, "meter %31s record ", id) != 1 || !results_get(&rb->ids, id)) return false;
    snprintf(out, cap, "radio %s", key);
    return true;
}

static void read_dump(replay_bench *rb, const char *dump_path) {
    cfg_err cerr;
    cfg_node *doc = dump_path ? cfg_load_file(dump_path, &cerr) : NULL;
    const cfg_node *points = cfg_get(doc, "points");
    const char *m = rb->spec->module;
    rb->gw_telegrams = counter(points, m, "telegrams");
    rb->gw.decoded = counter(points, m, "accepted");
    rb->gw_duplicates = counter(points, m, "duplicates");
    rb->gw_filtered = counter(points, m, "filtered");
    rb->gw_unknown = counter(points, m, "unknown");
    rb->gw_rejected = counter(points, m, "rejected");
    cfg_free(doc);
    result_set all = {0};
    char err[256], key[512];
    if (dump_path && results_from_dump(&all, dump_path, err, sizeof err) == 0)
        for (size_t i = 0; i < all.n; i++)
            if (claim_key(rb, all.keys[i], key, sizeof key)) results_put(&rb->gw_values, key, all.values[i]);
    results_free(&all);
    results_sort(&rb->gw_values);
}

/* The gateway's reasons: "METER: why" rows of the rejected table. */
static void read_store(replay_bench *rb, const char *store_path) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char source[64];
    snprintf(source, sizeof source, "wmbus:%s", rb->spec->module);
    if (!store_path || sqlite3_open_v2(store_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT meter, reason FROM rejected WHERE source = ?1 ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    rb->store_rejected = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *meter = (const char *)sqlite3_column_text(st, 0);
        const char *reason = (const char *)sqlite3_column_text(st, 1);
        if (!reason) reason = "(no reason)";
        size_t ml = meter ? strlen(meter) : 0;
        if (ml && strncmp(reason, meter, ml) == 0 && strncmp(reason + ml, ": ", 2) == 0) reason += ml + 2;
        replay_count(&rb->gw, reason, 1);
        rb->store_rejected++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Module losses: the telegrams sent in a form its framing check drops are
 * known; any other loss is the air's (collision, sensitivity, mode, dead). */
static void module_losses(replay_bench *rb) {
    const im871a_stats *s = radio_bench_module_stats(rb->radio, rb->spec->module);
    rb->module_caught = (unsigned long)s->caught;
    unsigned long framing = rb->dropped_crc + rb->dropped_short;
    rb->module_lost = (unsigned long)(s->collided + s->other_mode + s->too_weak + s->while_dead);
    if (s->collided >= framing) {
        if (rb->dropped_crc) replay_count(&rb->gw, REPLAY_WHY_CRC, rb->dropped_crc);
        if (rb->dropped_short) replay_count(&rb->gw, REPLAY_WHY_SHORT, rb->dropped_short);
        if (s->collided > framing) replay_count(&rb->gw, "lost on the air: collision", (unsigned long)s->collided - framing);
    } else {
        replay_count(&rb->gw, "dropped by the radio module: CRC, length or collision", (unsigned long)s->collided);
    }
    if (s->other_mode) replay_count(&rb->gw, "not heard: the module's link mode", (unsigned long)s->other_mode);
    if (s->too_weak) replay_count(&rb->gw, "not heard: below the module's sensitivity", (unsigned long)s->too_weak);
    if (s->while_dead) replay_count(&rb->gw, "lost: the radio module was dead", (unsigned long)s->while_dead);
}

static void account(replay_bench *rb, const char *dump_path, const char *store_path) {
    if (rb->accounted) return;
    rb->accounted = true;
    module_losses(rb);
    read_dump(rb, dump_path);
    read_store(rb, store_path);
    if (rb->store_rejected < 0 && rb->gw_rejected)
        replay_count(&rb->gw, "rejected by the gateway (no store to tell why)", rb->gw_rejected);
    if (rb->gw_duplicates) replay_count(&rb->gw, "duplicate (suppressed by the gateway)", rb->gw_duplicates);
    if (rb->gw_unknown) replay_count(&rb->gw, "meter not in the gateway's meter list", rb->gw_unknown);
    if (rb->gw_filtered) replay_count(&rb->gw, "filtered out by the gateway", rb->gw_filtered);
}

static void verdict(FILE *out, bool ok, const char *msg, unsigned *passed, unsigned *failed) {
    fprintf(out, "%s  ", ok ? "PASS" : "FAIL");
    text_safe_fputs(msg, out);
    fputc('\n', out);
    if (ok) (*passed)++;
    else (*failed)++;
}

static void expect_count(FILE *out, const char *what, long long want, unsigned long got,
                         unsigned *passed, unsigned *failed) {
    if (want < 0) return;
    char msg[160];
    if ((unsigned long long)want == got) snprintf(msg, sizeof msg, "radio replay: %s = %lu", what, got);
    else snprintf(msg, sizeof msg, "radio replay: %s: expected %lld, observed %lu", what, want, got);
    verdict(out, (unsigned long long)want == got, msg, passed, failed);
}

static int reasons_text(const replay_tally *t, char *msg, size_t cap, int n) {
    for (size_t i = 0; i < t->n_reasons && n > 0 && (size_t)n < cap - 200; i++)
        n += snprintf(msg + n, cap - (size_t)n, "%s%s: %lu", i ? "; " : " (", t->reasons[i].text, t->reasons[i].n);
    if (t->n_reasons && (size_t)n < cap - 2) n += snprintf(msg + n, cap - (size_t)n, ")");
    return n;
}

/* The chain must close: on the air = caught + lost; caught = what the driver
 * counted; counted = accepted + rejected + duplicates + unknown + filtered;
 * rejected = rows of the store's rejected table. */
static void eval_accounting(replay_bench *rb, FILE *out, unsigned *passed, unsigned *failed) {
    char msg[4096];
    int n = snprintf(msg, sizeof msg,
                     "radio replay: %lu of %zu telegrams on the air, %lu decoded by the gateway, %lu rejected",
                     rb->sent, rb->cap.n, rb->gw.decoded, rb->gw.rejected);
    reasons_text(&rb->gw, msg, sizeof msg, n);
    bool all = rb->sent == rb->cap.n && rb->gw.decoded + rb->gw.rejected == rb->sent;
    verdict(out, all, msg, passed, failed);
    unsigned long driver = rb->gw.decoded + rb->gw_rejected + rb->gw_duplicates + rb->gw_unknown + rb->gw_filtered;
    bool chain = rb->module_caught + rb->module_lost == rb->sent && rb->module_caught == rb->gw_telegrams &&
                 driver == rb->gw_telegrams &&
                 (rb->store_rejected < 0 || (unsigned long)rb->store_rejected == rb->gw_rejected);
    snprintf(msg, sizeof msg,
             "radio replay: module %s caught %lu and lost %lu of %lu; gateway counted %lu = %lu accepted + "
             "%lu rejected + %lu duplicates + %lu unknown + %lu filtered; store: %ld rejected rows",
             rb->spec->module, rb->module_caught, rb->module_lost, rb->sent, rb->gw_telegrams, rb->gw.decoded,
             rb->gw_rejected, rb->gw_duplicates, rb->gw_unknown, rb->gw_filtered, rb->store_rejected);
    verdict(out, chain, msg, passed, failed);
    if (rb->moved) {
        snprintf(msg, sizeof msg, "radio replay: %lu telegrams started up to %.3f ms late (after the previous one on the air)",
                 rb->moved, (double)rb->max_move_ns / 1e6);
        fprintf(out, "NOTE  %s\n", msg);
    }
}

/* The bench's own decode of the same telegrams must agree with the values
 * the gateway published (last value of every record of every meter). */
static void eval_cross_check(replay_bench *rb, FILE *out, unsigned *passed, unsigned *failed) {
    size_t differ = 0, missing = 0;
    char first[600] = "";
    for (size_t i = 0; i < rb->values.n; i++) {
        const char *gw = results_get(&rb->gw_values, rb->values.keys[i]);
        if (gw && strcmp(gw, rb->values.values[i]) == 0) continue;
        if (gw) differ++;
        else missing++;
        if (!first[0])
            snprintf(first, sizeof first, "; first: %s: bench %s, gateway %s", rb->values.keys[i],
                     rb->values.values[i], gw ? gw : "(none)");
    }
    char msg[1024];
    snprintf(msg, sizeof msg,
             "radio replay cross-check: the bench's decoder and the gateway agree on %zu of %zu record values "
             "(%zu differ, %zu not published by the gateway)%s; decoded: bench %lu, gateway %lu",
             rb->values.n - differ - missing, rb->values.n, differ, missing, first, rb->bench.decoded,
             rb->gw.decoded);
    verdict(out, differ == 0 && missing == 0 && rb->bench.decoded >= rb->gw.decoded, msg, passed, failed);
}

void replay_bench_evaluate(replay_bench *rb, const char *dump_path, const char *store_path,
                           FILE *out, unsigned *passed, unsigned *failed) {
    if (!rb || !rb->spec->has_radio) return;
    account(rb, dump_path, store_path);
    eval_accounting(rb, out, passed, failed);
    expect_count(out, "telegrams", rb->spec->expect_telegrams, rb->sent, passed, failed);
    expect_count(out, "decoded", rb->spec->expect_decoded, rb->gw.decoded, passed, failed);
    expect_count(out, "rejected", rb->spec->expect_rejected, rb->gw.rejected, passed, failed);
    eval_cross_check(rb, out, passed, failed);
}

int replay_bench_results(const replay_bench *rb, result_set *rs) {
    if (!rb || !rb->spec->has_radio) return 0;
    char key[512], v[32];
    for (size_t i = 0; i < rs->n; i++) {
        if (!claim_key(rb, rs->keys[i], key, sizeof key)) continue;
        char *k = strdup(key);
        if (!k) return -1;
        free(rs->keys[i]);
        rs->keys[i] = k;
        rs->sorted = false;
    }
    snprintf(v, sizeof v, "%lu", rb->gw.decoded);
    if (results_put(rs, "radio telegrams decoded", v) < 0) return -1;
    for (size_t i = 0; i < rb->gw.n_reasons; i++) {
        snprintf(key, sizeof key, "radio telegrams rejected: %s", rb->gw.reasons[i].text);
        snprintf(v, sizeof v, "%lu", rb->gw.reasons[i].n);
        if (results_put(rs, key, v) < 0) return -1;
    }
    return 0;
}
