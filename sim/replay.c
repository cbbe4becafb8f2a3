/* replay: captured radio traffic replayed at its times (replay.h). */
#include "replay.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "clock.h"
#include "decode.h"

#define MAX_REASONS 64

typedef struct reason_count {
    char text[160];
    unsigned long n;
} reason_count;

struct replay_bench {
    const replay_spec *spec;
    gw_loop *loop;
    trace *tr;
    capture cap;
    decoder *dec;
    telegram t;              /* decoder output, reused (large) */
    int64_t t0_ns;           /* bench time of the capture's first telegram */
    size_t next;             /* next telegram to send */
    unsigned long sent, decoded, rejected;
    reason_count reasons[MAX_REASONS];
    size_t n_reasons;
    result_set values;       /* last value of every meter's record */
    size_t sort_at;          /* sort the values again at this size (drops old duplicates) */
};

static void resolve(const char *text, const char *base, const char *fixtures, char **out) {
    char path[PATH_MAX];
    const char *var = "${fixtures}";
    if (strncmp(text, var, strlen(var)) == 0) snprintf(path, sizeof path, "%s%s", fixtures, text + strlen(var));
    else if (text[0] == '/') snprintf(path, sizeof path, "%s", text);
    else snprintf(path, sizeof path, "%s/%s", base, text);
    *out = strdup(path);
}

static bool parse_radio(replay_spec *s, const cfg_node *m, const char *base, const char *fx,
                        cfg_err *err) {
    static const char *const keys[] = {"telegrams", "keys", "expect", NULL};
    static const char *const ekeys[] = {"telegrams", "decoded", "rejected", NULL};
    const char *file, *keyfile;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "radio must be a map {telegrams: FILE, ...}");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "telegrams", CFG_SCALAR, err) ||
        !cfg_str(m, "telegrams", NULL, &file, err) || !cfg_str(m, "keys", NULL, &keyfile, err))
        return false;
    s->has_radio = true;
    resolve(file, base, fx, &s->radio_path);
    if (keyfile) resolve(keyfile, base, fx, &s->keys_path);
    const cfg_node *e = cfg_get(m, "expect");
    if (!e) return true;
    if (e->kind != CFG_MAP) return cfg_fail(err, e, "expect must be a map {telegrams, decoded, rejected}");
    return cfg_only_keys(e, ekeys, err) &&
           cfg_int(e, "telegrams", -1, 0, LLONG_MAX, &s->expect_telegrams, err) &&
           cfg_int(e, "decoded", -1, 0, LLONG_MAX, &s->expect_decoded, err) &&
           cfg_int(e, "rejected", -1, 0, LLONG_MAX, &s->expect_rejected, err);
}

replay_spec *replay_spec_parse(const cfg_node *node, const char *base_dir,
                               const char *fixtures_dir, cfg_err *err) {
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
    if (radio && !parse_radio(s, radio, base_dir, fixtures_dir, err)) {
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

static int load_keys(replay_bench *rb, char *err, size_t errlen) {
    FILE *f = fopen(rb->spec->keys_path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open the key file %s", rb->spec->keys_path);
        return -1;
    }
    char line[256], why[128];
    unsigned ln = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!decode_keys_add_line(&rb->dec->keys, line, why, sizeof why)) {
            snprintf(err, errlen, "%s:%u:%s", rb->spec->keys_path, ln, why);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

static void count_reason(replay_bench *rb, const char *why) {
    char text[160];
    snprintf(text, sizeof text, "%s", why);
    char *at = strstr(text, " (at byte"); /* one reason, wherever in the telegram */
    if (at) *at = '\0';
    for (size_t i = 0; i < rb->n_reasons; i++)
        if (strcmp(rb->reasons[i].text, text) == 0) {
            rb->reasons[i].n++;
            return;
        }
    size_t i = rb->n_reasons < MAX_REASONS ? rb->n_reasons++ : MAX_REASONS - 1;
    if (i == MAX_REASONS - 1 && rb->reasons[i].n) snprintf(text, sizeof text, "other reasons");
    snprintf(rb->reasons[i].text, sizeof rb->reasons[i].text, "%s", text);
    rb->reasons[i].n++;
}

static void record_text(const telegram *t, const mbus_record *r, char *out, size_t cap) {
    if (r->kind == MBUS_VAL_NUMBER) results_number(r->value, out, cap);
    else if (r->kind == MBUS_VAL_NONE) snprintf(out, cap, "null");
    else if (r->kind == MBUS_VAL_BYTES && (r->dif[0] & 0x0F) == 0x0F) {
        size_t n = 0;
        for (size_t i = 0; i < t->app.mfr_len && n + 3 < cap; i++)
            n += (size_t)snprintf(out + n, cap - n, "%02X", t->app.mfr_data[i]);
        if (n == 0) out[0] = '\0';
    } else snprintf(out, cap, "%s", r->text);
}

/* Decoded: remember its values; rejected: the reason. Returns the trace event. */
static void account(replay_bench *rb, const cap_frame *f, char *event, size_t cap) {
    telegram *t = &rb->t;
    bool ok = decode_telegram(rb->dec, f->bytes, f->len, t);
    const char *sec = decode_security_name(t);
    bool sec_bad = t->has_ci && strcmp(sec, "none") != 0 && strcmp(sec, "ok") != 0 &&
                   strcmp(sec, "plain_flagged_encrypted") != 0;
    char why[200] = "";
    if (f->crc_bad) snprintf(why, sizeof why, "the receiver flagged a CRC error");
    else if (!ok) snprintf(why, sizeof why, "%s", t->error);
    else if (sec_bad) snprintf(why, sizeof why, "security %s", sec);
    else if (!t->has_meter) snprintf(why, sizeof why, "no meter address");
    if (why[0]) {
        rb->rejected++;
        count_reason(rb, why);
        snprintf(event, cap, "rejected: %s", why);
        return;
    }
    rb->decoded++;
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
    snprintf(event, cap, "decoded %s %s %zu records", t->meter.id, t->meter.man, t->app.n_records);
    if (f->has_rssi) {
        size_t l = strlen(event);
        snprintf(event + l, cap - l, " rssi %d", f->rssi);
    }
}

static void schedule(replay_bench *rb);

static void on_telegram(gw_loop *loop, void *arg) {
    replay_bench *rb = arg;
    int64_t now = clock_mono_ns();
    while (rb->next < rb->cap.n && rb->t0_ns + rb->cap.frames[rb->next].t_ns <= now) {
        const cap_frame *f = &rb->cap.frames[rb->next++];
        char event[256];
        account(rb, f, event, sizeof event);
        rb->sent++;
        trace_add(rb->tr, "air", TRACE_BUS_TO_GW, 0, now, now, f->bytes, f->len, event);
    }
    if (rb->next == rb->cap.n) results_sort(&rb->values);
    schedule(rb);
}

static void schedule(replay_bench *rb) {
    if (rb->next < rb->cap.n)
        loop_timer_at(rb->loop, rb->t0_ns + rb->cap.frames[rb->next].t_ns, on_telegram, rb);
}

replay_bench *replay_bench_start(const replay_spec *spec, gw_loop *loop, trace *tr, char *err,
                                 size_t errlen) {
    replay_bench *rb = calloc(1, sizeof *rb);
    if (!rb) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rb->spec = spec;
    rb->loop = loop;
    rb->tr = tr;
    rb->t0_ns = clock_mono_ns();
    if (!spec->has_radio) return rb;
    rb->dec = decoder_new();
    if (!rb->dec) {
        snprintf(err, errlen, "libcrypto gives no AES/CMAC for the decoder");
        replay_bench_free(rb);
        return NULL;
    }
    if ((spec->keys_path && load_keys(rb, err, errlen) < 0) ||
        capture_read_hex(spec->radio_path, &rb->cap, err, errlen) < 0) {
        replay_bench_free(rb);
        return NULL;
    }
    schedule(rb);
    return rb;
}

static void verdict(FILE *out, bool ok, const char *msg, unsigned *passed, unsigned *failed) {
    fprintf(out, "%s  %s\n", ok ? "PASS" : "FAIL", msg);
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

void replay_bench_evaluate(const replay_bench *rb, FILE *out, unsigned *passed, unsigned *failed) {
    if (!rb || !rb->spec->has_radio) return;
    char msg[4096];
    int n = snprintf(msg, sizeof msg, "radio replay: %lu of %zu telegrams on the air, %lu decoded, %lu rejected",
                     rb->sent, rb->cap.n, rb->decoded, rb->rejected);
    for (size_t i = 0; i < rb->n_reasons && n > 0 && (size_t)n < sizeof msg - 200; i++)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "%s%s: %lu", i ? "; " : " (",
                      rb->reasons[i].text, rb->reasons[i].n);
    if (rb->n_reasons && (size_t)n < sizeof msg - 2) snprintf(msg + n, sizeof msg - (size_t)n, ")");
    bool all = rb->sent == rb->cap.n && rb->decoded + rb->rejected == rb->sent;
    verdict(out, all, msg, passed, failed);
    expect_count(out, "telegrams", rb->spec->expect_telegrams, rb->sent, passed, failed);
    expect_count(out, "decoded", rb->spec->expect_decoded, rb->decoded, passed, failed);
    expect_count(out, "rejected", rb->spec->expect_rejected, rb->rejected, passed, failed);
}

int replay_bench_results(const replay_bench *rb, result_set *rs) {
    if (!rb || !rb->spec->has_radio) return 0;
    for (size_t i = 0; i < rb->values.n; i++)
        if (results_put(rs, rb->values.keys[i], rb->values.values[i]) < 0) return -1;
    char v[32];
    snprintf(v, sizeof v, "%lu", rb->decoded);
    if (results_put(rs, "radio telegrams decoded", v) < 0) return -1;
    for (size_t i = 0; i < rb->n_reasons; i++) {
        char key[200];
        snprintf(key, sizeof key, "radio telegrams rejected: %s", rb->reasons[i].text);
        snprintf(v, sizeof v, "%lu", rb->reasons[i].n);
        if (results_put(rs, key, v) < 0) return -1;
    }
    return 0;
}

int replay_radio_offline(const capture *c, const char *keys_path, unsigned long *decoded,
                         unsigned long *rejected, result_set *rs, char *err, size_t errlen) {
    replay_spec spec = {.has_radio = true, .keys_path = (char *)keys_path};
    replay_bench *rb = calloc(1, sizeof *rb);
    if (!rb || !(rb->dec = decoder_new())) {
        snprintf(err, errlen, "cannot make a decoder");
        replay_bench_free(rb);
        return -1;
    }
    rb->spec = &spec;
    if (keys_path && load_keys(rb, err, errlen) < 0) {
        replay_bench_free(rb);
        return -1;
    }
    for (size_t i = 0; i < c->n; i++) {
        char event[256];
        account(rb, &c->frames[i], event, sizeof event);
        rb->sent++;
    }
    results_sort(&rb->values);
    *decoded = rb->decoded;
    *rejected = rb->rejected;
    int rc = replay_bench_results(rb, rs);
    replay_bench_free(rb);
    return rc;
}

void replay_bench_free(replay_bench *rb) {
    if (!rb) return;
    decoder_free(rb->dec);
    capture_free(&rb->cap);
    results_free(&rb->values);
    free(rb);
}
