/* `gwd decode`: the gateway's own decoder on the command line, for QA to
 * replay field captures. Telegrams come as arguments or, with "-", one per
 * line on stdin (blank lines and # comments skipped); each gives one JSON
 * line on stdout. Exit 0 when every telegram decoded, 1 when any gave an
 * error, 2 for bad usage or a bad key file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec/decode/decode.h"
#include "tools/decode_cmd.h"

static void usage(FILE *out) {
    fputs("usage: gwd decode [--key HEX] [--keys FILE] HEX...|-\n"
          "  HEX      a wired M-Bus frame (68.../10.../E5) or a wireless M-Bus frame\n"
          "           (L field first, with or without block CRCs), hex digits, spaces allowed\n"
          "  -        read telegrams from stdin, one per line\n"
          "  --key    AES-128 key (32 hex digits) for every meter without its own key\n"
          "  --keys   file of \"METER_ID KEY\" lines (8 digit id, 32 hex digit key)\n",
          out);
}

static bool load_keys(decode_keys *k, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open the key file\n", path);
        return false;
    }
    char line[512], why[96];
    bool ok = true;
    for (unsigned no = 1; ok && fgets(line, sizeof line, f); no++) {
        if (!decode_keys_add_line(k, line, why, sizeof why)) {
            fprintf(stderr, "%s:%u:%s\n", path, no, why);
            ok = false;
        }
    }
    fclose(f);
    return ok;
}

/* Decode one line of hex; prints its JSON. Returns false on any error. */
static bool decode_line(decoder *d, telegram *t, char *json, const char *text) {
    uint8_t bytes[1024];
    size_t bad = 0;
    long n = decode_hex_text(text, bytes, sizeof bytes, &bad);
    if (n < 0) {
        /* not a telegram at all: still one JSON object, with the reason */
        printf("{\"error\":\"not hex: bad character or odd digit count (at column %zu)\","
               "\"error_offset\":%zu}\n",
               bad + 1, bad);
        return false;
    }
    bool ok = decode_telegram(d, bytes, (size_t)n, t);
    size_t len = decode_json(t, json, DECODE_JSON_MAX - 1);
    if (len == 0) {
        printf("{\"error\":\"decoded telegram does not fit the JSON buffer\"}\n");
        return false;
    }
    json[len] = '\n'; /* one write of a known length, no scan for the end */
    fwrite(json, 1, len + 1, stdout);
    return ok;
}

static bool blank_or_comment(const char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0' || *s == '\n' || *s == '\r' || *s == '#';
}

static int run(decoder *d, int argc, char **argv, int first) {
    telegram *t = malloc(sizeof *t);
    char *json = malloc(DECODE_JSON_MAX);
    if (!t || !json) {
        free(t);
        free(json);
        fputs("gwd decode: out of memory\n", stderr);
        return 2;
    }
    /* a large buffer, also on a terminal: no write per line */
    static char out_buf[1 << 16];
    setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    bool all_ok = true;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "-") != 0) {
            all_ok &= decode_line(d, t, json, argv[i]);
            continue;
        }
        char line[4096];
        while (fgets(line, sizeof line, stdin))
            if (!blank_or_comment(line))
                all_ok &= decode_line(d, t, json, line);
    }
    fflush(stdout);
    free(t);
    free(json);
    return all_ok ? 0 : 1;
}

int decode_cmd_main(int argc, char **argv) {
    decoder *d = decoder_new();
    if (!d) {
        fputs("gwd decode: libcrypto gives no AES/CMAC\n", stderr);
        return 2;
    }
    int i = 1, rc = 2;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            decoder_free(d);
            return 0;
        } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            if (!decode_parse_key(argv[++i], d->keys.default_key)) {
                fprintf(stderr, "gwd decode: --key needs 32 hex digits\n");
                goto out;
            }
            d->keys.has_default = true;
        } else if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
            if (!load_keys(&d->keys, argv[++i]))
                goto out;
        } else {
            usage(stderr);
            goto out;
        }
    }
    if (i == argc) {
        usage(stderr);
        goto out;
    }
    rc = run(d, argc, argv, i);
out:
    decoder_free(d);
    return rc;
}
