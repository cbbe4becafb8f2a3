/* replay: captured radio traffic put on the bench's air at its times (replay.h). */
#include "sim/import/replay.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "sim/wmbus/radio_bench.h"
#include "sim/import/replay_int.h"
#include "codec/wmbus/wmbus.h"

static bool resolve(const scenario_paths *paths, const cfg_node *node, const char *what, char **out,
                    cfg_err *err) {
    char path[PATH_MAX];
    if (!scenario_path(paths, node, what, path, sizeof path, err)) return false;
    *out = strdup(path);
    return *out || cfg_fail(err, node, "out of memory");
}

static bool parse_expect(replay_spec *s, const cfg_node *e, cfg_err *err) {
    static const char *const ekeys[] = {"telegrams", "decoded", "rejected", NULL};
    if (!e) return true;
    if (e->kind != CFG_MAP) return cfg_fail(err, e, "expect must be a map {telegrams, decoded, rejected}");
    return cfg_only_keys(e, ekeys, err) &&
           cfg_int(e, "telegrams", -1, 0, LLONG_MAX, &s->expect_telegrams, err) &&
           cfg_int(e, "decoded", -1, 0, LLONG_MAX, &s->expect_decoded, err) &&
           cfg_int(e, "rejected", -1, 0, LLONG_MAX, &s->expect_rejected, err);
}

static bool parse_radio(replay_spec *s, const cfg_node *m, const scenario_paths *paths, cfg_err *err) {
    static const char *const keys[] = {"telegrams", "keys", "module", "mode", "at", "expect", NULL};
    const char *file, *keyfile, *module, *mode;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "radio must be a map {telegrams: FILE, module: NAME, ...}");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "telegrams", CFG_SCALAR, err) ||
        !cfg_require(m, "module", CFG_SCALAR, err) || !cfg_str(m, "telegrams", NULL, &file, err) ||
        !cfg_str(m, "keys", NULL, &keyfile, err) || !cfg_str(m, "module", NULL, &module, err) ||
        !cfg_str(m, "mode", "T1", &mode, err) || !cfg_duration_ns(m, "at", 2 * NS_PER_S, &s->at_ns, err))
        return false;
    s->mode = air_mode_parse(mode);
    if (s->mode < 0) return cfg_fail(err, cfg_get(m, "mode"), "mode must be S1, T1 or C1");
    if (strlen(module) >= sizeof s->module) return cfg_fail(err, cfg_get(m, "module"), "module name too long");
    snprintf(s->module, sizeof s->module, "%s", module);
    s->has_radio = true;
    if (!resolve(paths, cfg_get(m, "telegrams"), "capture", &s->radio_path, err)) return false;
    if (keyfile && !resolve(paths, cfg_get(m, "keys"), "key file", &s->keys_path, err)) return false;
    return parse_expect(s, cfg_get(m, "expect"), err);
}

replay_spec *replay_spec_parse(const cfg_node *node, const scenario_paths *paths, cfg_err *err) {
    static const char *const keys[] = {"radio", NULL};
    if (node->kind != CFG_MAP) {
        cfg_fail(err, node, "replay must be a map {radio: ...}");
        return NULL;
    }
    if (!cfg_only_keys(node, keys, err)) return NULL;
    replay_spec *s = calloc(1, sizeof *s);
    if (!s) {
        cfg_fail(err, node, "out of memory");
        return NULL;
    }
    s->node = node;
    s->expect_telegrams = s->expect_decoded = s->expect_rejected = -1;
    const cfg_node *radio = cfg_get(node, "radio");
    if (radio && !parse_radio(s, radio, paths, err)) {
        replay_spec_free(s);
        return NULL;
    }
    return s;
}

void replay_spec_free(replay_spec *s) {
    if (!s) return;
    free(s->radio_path);
    free(s->keys_path);
    free(s);
}

static int load_keys(replay_bench *rb, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open the key file %s", path);
        return -1;
    }
    char line[256], why[128];
    unsigned ln = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!decode_keys_add_line(&rb->dec->keys, line, why, sizeof why)) {
            snprintf(err, errlen, "%s:%u:%s", path, ln, why);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

/* One reason, wherever in the telegram it was found. */
void replay_count(replay_tally *t, const char *why, unsigned long n) {
    char text[160];
    snprintf(text, sizeof text, "%s", why);
    char *at = strstr(text, " (at byte");
    if (at) *at = '\0';
    t->rejected += n;
    for (size_t i = 0; i < t->n_reasons; i++)
        if (strcmp(t->reasons[i].text, text) == 0) {
            t->reasons[i].n += n;
            return;
        }
    size_t i = t->n_reasons < REPLAY_MAX_REASONS ? t->n_reasons++ : REPLAY_MAX_REASONS - 1;
    if (i == REPLAY_MAX_REASONS - 1 && t->reasons[i].n) snprintf(text, sizeof text, "other reasons");
    snprintf(t->reasons[i].text, sizeof t->reasons[i].text, "%s", text);
    t->reasons[i].n += n;
}

void replay_meter_id(const cap_frame *f, char *out, size_t cap) {
    if (f->len < 10) {
        snprintf(out, cap, "%s", "");
        return;
    }
    uint32_t id = (uint32_t)f->bytes[4] | (uint32_t)f->bytes[5] << 8 | (uint32_t)f->bytes[6] << 16 |
                  (uint32_t)f->bytes[7] << 24;
    snprintf(out, cap, "%08X", id);
}

/* A telegram that already carries valid CRCs goes as it is; a plain one gets
 * format A CRCs. The receiver's CRC flag becomes a broken CRC, a telegram cut
 * short keeps its L field: the module's framing check drops both, as a real
 * module would. */
size_t replay_air_bytes(const cap_frame *f, uint8_t *out, size_t cap, const char **drop) {
    uint8_t plain[WMBUS_FRAME_MAX];
    size_t n;
    wmbus_format fmt;
    *drop = NULL;
    if (f->len > cap || f->len < 12) {
        *drop = REPLAY_WHY_SHORT;
        n = f->len < cap ? f->len : cap;
        memcpy(out, f->bytes, n);
        return n;
    }
    if (wmbus_frame_strip(f->bytes, f->len, plain, sizeof plain, &n, &fmt, NULL) == WMBUS_OK &&
        fmt != WMBUS_FMT_PLAIN) {
        memcpy(out, f->bytes, f->len);
        n = f->len;
    } else {
        n = wmbus_frame_add_crcs(f->bytes, f->len, WMBUS_FMT_A, out, cap);
        if (n == 0) {
            memcpy(out, f->bytes, f->len);
            n = f->len;
        }
        if (f->bytes[0] != f->len - 1) {
            out[0] = f->bytes[0]; /* the first block's CRC was computed over it */
            *drop = REPLAY_WHY_SHORT;
        }
    }
    if (f->crc_bad && !*drop) {
        out[n - 1] ^= 0xFF;
        *drop = REPLAY_WHY_CRC;
    }
    return n;
}

static void record_text(const telegram *t, const mbus_record *r, char *out, size_t cap) {
    if (r->kind == MBUS_VAL_NUMBER) results_number(r->value, out, cap);
    else if (r->kind == MBUS_VAL_NONE) snprintf(out, cap, "null");
    else snprintf(out, cap, "%s", r->text);
}

static void remember_values(replay_bench *rb, const telegram *t) {
    for (size_t i = 0; i < t->app.n_records; i++) {
        const mbus_record *r = &t->app.records[i];
        char key[200], val[200];
        snprintf(key, sizeof key, "radio meter %s record %zu (%s, %s)", t->meter.id, i,
                 r->quantity ? r->quantity : "?", r->unit && *r->unit ? r->unit : "no unit");
        record_text(t, r, val, sizeof val);
        results_put(&rb->values, key, val);
    }
    if (!rb->values.sorted && rb->values.n >= rb->sort_at) {
        results_sort(&rb->values); /* later puts of known keys replace in place */
        rb->sort_at = 2 * rb->values.n + 1024;
    }
}

/* What the module and then the gateway's decoder will make of the telegram. */
void replay_bench_decode(replay_bench *rb, const cap_frame *f, char *event, size_t cap) {
    uint8_t air_bytes[AIR_BYTES_MAX];
    const char *drop;
    replay_air_bytes(f, air_bytes, sizeof air_bytes, &drop);
    telegram *t = &rb->t;
    char why[200] = "";
    if (drop) snprintf(why, sizeof why, "%s", drop);
    else if (!decode_telegram(rb->dec, f->bytes, f->len, t)) snprintf(why, sizeof why, "%s", t->error);
    else if (!t->has_meter) snprintf(why, sizeof why, "no meter address");
    if (why[0]) {
        replay_count(&rb->bench, why, 1);
        snprintf(event, cap, "rejected: %s", why);
        return;
    }
    rb->bench.decoded++;
    remember_values(rb, t);
    snprintf(event, cap, "decoded %s %s %zu records", t->meter.id, t->meter.man, t->app.n_records);
}

static void add_id(replay_bench *rb, const cap_frame *f) {
    char id[16];
    replay_meter_id(f, id, sizeof id);
    if (id[0]) results_put(&rb->ids, id, "");
}

static void transmit(replay_bench *rb, const cap_frame *f, int64_t at) {
    int mode = f->has_mode ? f->mode : rb->spec->mode; /* the mode the receiver heard it in */
    air_tx tx = {.mode = (uint8_t)mode, .format = WMBUS_FMT_A,
                 .channel_khz = air_mode_get((air_mode)mode)->channel_khz, .start_ns = at,
                 .rssi_dbm = f->has_rssi ? (f->rssi < 0 ? f->rssi : -f->rssi) : -70.0,
                 .sender = (uint32_t)(0x80000000u + rb->next)};
    const char *drop;
    tx.len = replay_air_bytes(f, tx.bytes, sizeof tx.bytes, &drop);
    tx.duration_ns = air_time_ns((air_mode)mode, tx.len);
    if (drop && strcmp(drop, REPLAY_WHY_CRC) == 0) rb->dropped_crc++;
    else if (drop) rb->dropped_short++;
    rb->air_free_ns = at + tx.duration_ns;
    rb->sent++;
    char event[256];
    replay_bench_decode(rb, f, event, sizeof event);
    air_transmit(rb->air, &tx);
    trace_add(rb->tr, "air", TRACE_NOTE, 0, at, rb->air_free_ns, tx.bytes, tx.len, event);
}

static void schedule(replay_bench *rb);

/* A transmission carries its start time, so the telegrams of the next
 * WINDOW go on the air together: one bench instant per window instead of one
 * per telegram (fewer co-simulation steps). The module decides what it
 * catches at each transmission's end, whatever came in between. */
#define WINDOW_NS (30 * NS_PER_S)

static int64_t start_of(const replay_bench *rb, size_t i) {
    int64_t want = rb->t0_ns + rb->cap.frames[i].t_ns;
    return want > rb->air_free_ns ? want : rb->air_free_ns;
}

/* The capture's times are the receiver's, to the millisecond: a telegram it
 * received cannot have overlapped the one before on its channel, so one that
 * would starts when the previous has ended. */
static void on_telegram(gw_loop *loop, void *arg) {
    replay_bench *rb = arg;
    int64_t now = clock_mono_ns();
    while (rb->next < rb->cap.n) {
        const cap_frame *f = &rb->cap.frames[rb->next];
        int64_t want = rb->t0_ns + f->t_ns, at = start_of(rb, rb->next);
        if (at >= now + 2 * WINDOW_NS) break;
        if (at > want) {
            rb->moved++;
            if (at - want > rb->max_move_ns) rb->max_move_ns = at - want;
        }
        transmit(rb, f, at);
        rb->next++;
    }
    if (rb->next == rb->cap.n) results_sort(&rb->values);
    schedule(rb);
}

static void schedule(replay_bench *rb) {
    if (rb->next >= rb->cap.n) return;
    int64_t at = start_of(rb, rb->next) - WINDOW_NS, now = clock_mono_ns();
    loop_timer_at(rb->loop, at > now ? at : now, on_telegram, rb);
}

static replay_bench *bench_new(const replay_spec *spec, char *err, size_t errlen) {
    replay_bench *rb = calloc(1, sizeof *rb);
    if (!rb || !(rb->dec = decoder_new())) {
        snprintf(err, errlen, "cannot make a decoder (out of memory, or libcrypto without AES/CMAC)");
        replay_bench_free(rb);
        return NULL;
    }
    rb->spec = spec;
    rb->store_rejected = -1;
    if (spec->keys_path && load_keys(rb, spec->keys_path, err, errlen) < 0) {
        replay_bench_free(rb);
        return NULL;
    }
    return rb;
}

replay_bench *replay_bench_start(const replay_spec *spec, gw_loop *loop, trace *tr,
                                 struct radio_bench *radio, char *err, size_t errlen) {
    if (spec->has_radio && (!radio || !radio_bench_air(radio) ||
                            !radio_bench_module_stats(radio, spec->module))) {
        snprintf(err, errlen, "replay: radio: module %s is not a radio module of plant: wmbus:", spec->module);
        return NULL;
    }
    replay_bench *rb = bench_new(spec, err, errlen);
    if (!rb) return NULL;
    rb->loop = loop;
    rb->tr = tr;
    rb->radio = radio;
    rb->t0_ns = clock_mono_ns() + spec->at_ns;
    if (!spec->has_radio) return rb;
    rb->air = radio_bench_air(radio);
    if (capture_read_hex(spec->radio_path, &rb->cap, err, errlen) < 0) {
        replay_bench_free(rb);
        return NULL;
    }
    for (size_t i = 0; i < rb->cap.n; i++) add_id(rb, &rb->cap.frames[i]);
    results_sort(&rb->ids);
    schedule(rb);
    return rb;
}

int replay_radio_offline(const capture *c, const char *keys_path, unsigned long *decoded,
                         unsigned long *rejected, result_set *rs, char *err, size_t errlen) {
    replay_spec spec = {.has_radio = true, .keys_path = (char *)keys_path};
    replay_bench *rb = bench_new(&spec, err, errlen);
    if (!rb) return -1;
    for (size_t i = 0; i < c->n; i++) {
        char event[256];
        replay_bench_decode(rb, &c->frames[i], event, sizeof event);
    }
    results_sort(&rb->values);
    *decoded = rb->bench.decoded;
    *rejected = rb->bench.rejected;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < rb->values.n; i++)
        rc = results_put(rs, rb->values.keys[i], rb->values.values[i]);
    char v[32];
    snprintf(v, sizeof v, "%lu", rb->bench.decoded);
    if (rc == 0) rc = results_put(rs, "radio telegrams decoded", v);
    for (size_t i = 0; rc == 0 && i < rb->bench.n_reasons; i++) {
        char key[200];
        snprintf(key, sizeof key, "radio telegrams rejected: %s", rb->bench.reasons[i].text);
        snprintf(v, sizeof v, "%lu", rb->bench.reasons[i].n);
        rc = results_put(rs, key, v);
    }
    if (rc < 0) snprintf(err, errlen, "out of memory");
    replay_bench_free(rb);
    return rc;
}

void replay_bench_free(replay_bench *rb) {
    if (!rb) return;
    decoder_free(rb->dec);
    capture_free(&rb->cap);
    results_free(&rb->values);
    results_free(&rb->ids);
    results_free(&rb->gw_values);
    free(rb);
}
