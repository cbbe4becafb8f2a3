/* import_write_radio: a radio capture → a replay scenario (import.h).
 *
 * Fixture NAME.radio.hex: the telegrams as "SECONDS [RSSI] HEX [crc_error]"
 * lines at their (retimed) offsets from the first telegram. The scenario's
 * implied expectations are the accounting of every telegram (how many decode,
 * how many are rejected) and, in the sidecar NAME.expected.json, the last
 * value of every record of every meter — both from the gateway's decoder. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "sim/import/import.h"
#include "sim/scenario/record.h"
#include "sim/import/replay.h"
#include "sim/import/replay_int.h"

/* The emulated module's default sensitivity (radio_bench.c, `sensitivity:`). */
#define IMPORT_SENSITIVITY_DBM (-110)
#define LEAD_IN_NS 2000000000LL /* the gateway configures its module before the first telegram */

static const char *const mode_text[] = {"S1", "T1", "C1"};

/* The scenario's mode: the one most telegrams were heard in (T1 when the
 * capture does not say); *mixed when others occur too. */
static int main_mode(const capture *c, bool *mixed) {
    size_t n[AIR_N_MODES] = {0};
    for (size_t i = 0; i < c->n; i++)
        if (c->frames[i].has_mode) n[c->frames[i].mode]++;
    int best = AIR_T1;
    for (int m = 0; m < AIR_N_MODES; m++)
        if (n[m] > n[best]) best = m;
    *mixed = false;
    for (int m = 0; m < AIR_N_MODES; m++)
        if (m != best && n[m]) *mixed = true;
    return best;
}

/* The module must hear what the receiver heard: a telegram the capture has
 * with its CRC correct was received, so an RSSI below the emulated module's
 * sensitivity is raised to it (a NOTE counts them); one the receiver flagged
 * keeps its RSSI, which may well be why it failed. */
static void clamp_rssi(capture *c) {
    size_t raised = 0;
    int lowest = 0;
    for (size_t i = 0; i < c->n; i++) {
        cap_frame *f = &c->frames[i];
        if (!f->has_rssi || f->crc_bad) continue;
        int dbm = f->rssi < 0 ? f->rssi : -f->rssi;
        if (dbm >= IMPORT_SENSITIVITY_DBM) continue;
        if (dbm < lowest) lowest = dbm;
        f->rssi = IMPORT_SENSITIVITY_DBM;
        raised++;
    }
    if (raised)
        capture_note(c, "%zu telegrams received at %d dBm or more weakly than the emulated module's sensitivity "
                        "(%d dBm) go on the air at %d dBm (the receiver got them; the lowest was %d dBm)",
                     raised, IMPORT_SENSITIVITY_DBM - 1, IMPORT_SENSITIVITY_DBM, IMPORT_SENSITIVITY_DBM, lowest);
}

static int write_fixture(const char *path, const capture *c, int mode, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    fputs("# radio telegrams: SECONDS [RSSI] [mode=M] HEX [crc_error], seconds from the first one\n", f);
    for (size_t i = 0; i < c->n; i++) {
        const cap_frame *fr = &c->frames[i];
        fprintf(f, "%lld.%09lld ", (long long)(fr->t_ns / 1000000000), (long long)(fr->t_ns % 1000000000));
        if (fr->has_rssi) fprintf(f, "%d ", fr->rssi < 0 ? fr->rssi : -fr->rssi);
        if (fr->has_mode && fr->mode != mode) fprintf(f, "mode=%s ", mode_text[fr->mode]);
        for (size_t k = 0; k < fr->len; k++) fprintf(f, "%02X", fr->bytes[k]);
        fputs(fr->crc_bad ? " crc_error\n" : "\n", f);
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen) {
    char a[PATH_MAX], b[PATH_MAX];
    if (realpath(from, a) && realpath(to, b) && strcmp(a, b) == 0) return 0; /* already there */
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    if (!in || !out) {
        snprintf(err, errlen, "cannot copy %s to %s", from, to);
        if (in) fclose(in);
        return -1;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    return fclose(out) == 0 ? 0 : -1;
}

static int count_meters(const result_set *rs) {
    int n = 0;
    char last[16] = "";
    for (size_t i = 0; i < rs->n; i++) {
        char id[16];
        if (sscanf(rs->keys[i], "radio meter %15s record", id) != 1 || strcmp(id, last) == 0) continue;
        snprintf(last, sizeof last, "%s", id);
        n++;
    }
    return n;
}


/* "METER_ID KEY" of the key file, or NULL. */
static const char *key_of(char (*keys)[2][40], size_t n, const char *id) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i][0], id) == 0) return keys[i][1];
    return NULL;
}

static size_t read_keys(const char *path, char (**out)[2][40]) {
    FILE *f = path ? fopen(path, "r") : NULL;
    size_t n = 0, cap = 0;
    char line[256];
    *out = NULL;
    while (f && fgets(line, sizeof line, f)) {
        char id[40], key[40];
        if (sscanf(line, "%39s %39s", id, key) != 2 || id[0] == '#') continue;
        if (n == cap) {
            char (*grown)[2][40] = realloc(*out, (cap = cap ? 2 * cap : 64) * sizeof **out);
            if (!grown) break;
            *out = grown;
        }
        snprintf((*out)[n][0], 40, "%s", id);
        snprintf((*out)[n][1], 40, "%s", key);
        n++;
    }
    if (f) fclose(f);
    return n;
}

/* Every meter of the capture in the gateway's meter list (named by its id,
 * with its key when the key file has one), so that the gateway decodes what
 * it can and says why it cannot. */
static int write_meters(const import_opts *o, const capture *c, FILE *out, char *err, size_t errlen) {
    result_set ids = {0};
    for (size_t i = 0; i < c->n; i++) {
        char id[16];
        replay_meter_id(&c->frames[i], id, sizeof id);
        if (id[0] && strspn(id, "0123456789") == 8 && results_put(&ids, id, "") < 0) {
            results_free(&ids);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    results_sort(&ids);
    char (*keys)[2][40];
    size_t n_keys = read_keys(o->keys_path, &keys);
    for (size_t i = 0; i < ids.n; i++) {
        const char *key = key_of(keys, n_keys, ids.keys[i]);
        fprintf(out, "        - {name: \"%s\", id: \"%s\"", ids.keys[i], ids.keys[i]);
        if (key) fprintf(out, ", key: %s", key);
        fputs("}\n", out);
    }
    if (ids.n == 0) fputs("        []\n", out);
    free(keys);
    results_free(&ids);
    return 0;
}

int import_write_radio(const import_opts *o, capture *c, FILE *out, char *err, size_t errlen) {
    char fixture[PATH_MAX], keys[PATH_MAX], sidecar[PATH_MAX];
    bool mixed;
    int mode = main_mode(c, &mixed);
    /* the module and the gateway listen to what the capture holds: CT hears C1 and T1 */
    const char *listen = mixed ? "CT" : mode == AIR_C1 ? "C1A" : mode_text[mode];
    if (mixed) capture_note(c, "telegrams heard in several modes: each goes on the air in its own, the module listens in CT (C1 and T1)");
    clamp_rssi(c);
    snprintf(fixture, sizeof fixture, "%s/%s.radio.hex", o->fixtures_dir, o->name);
    if (write_fixture(fixture, c, mode, err, errlen) < 0) return -1;
    if (o->keys_path) {
        snprintf(keys, sizeof keys, "%s/%s.keys", o->fixtures_dir, o->name);
        if (copy_file(o->keys_path, keys, err, errlen) < 0) return -1;
    }
    /* The expectations the capture implies: the same decoder, all at once. */
    result_set rs = {0};
    unsigned long decoded = 0, rejected = 0;
    if (replay_radio_offline(c, o->keys_path, &decoded, &rejected, &rs, err, errlen) < 0) {
        results_free(&rs);
        return -1;
    }
    results_sort(&rs);
    record_sidecar_path(o->out_path, sidecar, sizeof sidecar);
    int rc = results_write(&rs, sidecar, err, errlen);
    int meters = count_meters(&rs);
    results_free(&rs);
    if (rc < 0) return -1;

    char dur[40], start[40], title[PATH_MAX + 64];
    int64_t last = c->n ? c->frames[c->n - 1].t_ns : 0;
    import_seconds(LEAD_IN_NS + last + 3000000000LL, dur, sizeof dur);
    fprintf(out, "# Radio: through the emulated radio module to the gateway's wmbus driver;\n"
                 "# the gateway's decoder predicts %lu telegrams decoded and %lu rejected, and\n"
                 "# the last value of every record of the %d meters (in %s.expected.json).\n",
            decoded, rejected, meters, o->name);
    snprintf(title, sizeof title, "replay of %s (%zu radio telegrams, %d meters)", o->capture_path, c->n, meters);
    fputs("name: ", out);
    import_yaml_string(out, title);
    fprintf(out, "\nduration: %s\n", dur);
    if (c->has_wall) {
        import_wall_text(c->t0_wall_ns - LEAD_IN_NS, start, sizeof start);
        fprintf(out, "start: %s\n", start);
    }
    fprintf(out, "plant:\n  segments: []\n  wmbus:\n    modules: [{name: radio1, default_mode: %s}]\n"
                 "  replay:\n    radio:\n      telegrams: %s/%s.radio.hex\n",
            listen, o->fixtures_ref, o->name);
    if (o->keys_path) fprintf(out, "      keys: %s/%s.keys\n", o->fixtures_ref, o->name);
    fprintf(out, "      module: radio1\n      mode: %s\n      at: 2s\n", mode_text[mode]);
    fprintf(out, "      expect: {telegrams: %zu, decoded: %lu, rejected: %lu}\n", c->n, decoded, rejected);
    fputs("gateway:\n  gateway: {name: replay, store: \"${workdir}/gw.db\", datahub_dump: \"${workdir}/datahub.json\"}\n"
          "  wmbus:\n    - name: radio1\n      device: \"${radio:radio1}\"\n      link_mode: ", out);
    fprintf(out, "%s\n      cycle: 15m\n      meters:\n", listen);
    return write_meters(o, c, out, err, errlen);
}
