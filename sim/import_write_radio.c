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
#include "import.h"
#include "record.h"
#include "replay.h"

static int write_fixture(const char *path, const capture *c, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    fputs("# radio telegrams: SECONDS [RSSI] HEX [crc_error], seconds from the first one\n", f);
    for (size_t i = 0; i < c->n; i++) {
        const cap_frame *fr = &c->frames[i];
        fprintf(f, "%lld.%09lld ", (long long)(fr->t_ns / 1000000000), (long long)(fr->t_ns % 1000000000));
        if (fr->has_rssi) fprintf(f, "%d ", fr->rssi < 0 ? fr->rssi : -fr->rssi);
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

int import_write_radio(const import_opts *o, const capture *c, FILE *out, char *err, size_t errlen) {
    char fixture[PATH_MAX], keys[PATH_MAX], sidecar[PATH_MAX];
    snprintf(fixture, sizeof fixture, "%s/%s.radio.hex", o->fixtures_dir, o->name);
    if (write_fixture(fixture, c, err, errlen) < 0) return -1;
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
    import_seconds(last + 1000000000LL, dur, sizeof dur);
    fprintf(out, "# Radio: %lu telegrams decode, %lu are rejected (same decoder as the gateway);\n"
                 "# the last value of every record of the %d meters is in %s.expected.json.\n",
            decoded, rejected, meters, o->name);
    snprintf(title, sizeof title, "replay of %s (%zu radio telegrams, %d meters)", o->capture_path, c->n, meters);
    fputs("name: ", out);
    import_yaml_string(out, title);
    fprintf(out, "\nduration: %s\n", dur);
    if (c->has_wall) {
        import_wall_text(c->t0_wall_ns, start, sizeof start);
        fprintf(out, "start: %s\n", start);
    }
    fprintf(out, "plant:\n  segments: []\n  replay:\n    radio:\n      telegrams: %s/%s.radio.hex\n",
            o->fixtures_ref, o->name);
    if (o->keys_path) fprintf(out, "      keys: %s/%s.keys\n", o->fixtures_ref, o->name);
    fprintf(out, "      expect: {telegrams: %zu, decoded: %lu, rejected: %lu}\n", c->n, decoded, rejected);
    fputs("gateway:\n  gateway: {name: replay, datahub_dump: \"${workdir}/datahub.json\"}\n", out);
    return 0;
}
