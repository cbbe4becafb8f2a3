/* import: the `hil import` command (import.h). */
#include "sim/core/fsdir.h"
#include "sim/import/import.h"
#include "sim/import/import_base.h"
#include "sim/import/import_format.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "core/config.h"
#include "core/json_write.h"

static void usage(FILE *f) {
    fputs("usage: hil import FORMAT|auto CAPTURE -o scenarios/replay/NAME.yaml [options]\n\n"
          "Turns a field capture into a scenario plus fixture files (docs/replay.md).\n", f);
    for (size_t i = 0; i < import_n_formats; i++)
        fprintf(f, "%s%-10s %s\n", i ? "        " : "FORMAT: ", import_formats[i]->name, import_formats[i]->help);
    fputs("        auto       guess from the file\n\n"
          "  -o FILE              the scenario to write; its fixtures go to\n"
          "                       <repository>/fixtures/captures/NAME.*\n"
          "  --fixtures DIR       write fixture files into DIR instead\n"
          "  --compress-idle DUR  shorten every quiet stretch longer than DUR to DUR\n"
          "  --speed X            replay X times faster than recorded\n"
          "  --keys FILE          radio: METER_ID KEY lines for encrypted meters\n"
          "  --base SCENARIO      pcap: take plant and gateway from this scenario\n"
          "  --port N             pcap: the server's TCP port (default 2404 or 502)\n"
          "  --interface NAME     pcapng: replay this interface's packets only (a bench file has\n"
          "                       one a channel; default: the TCP sessions, else an M-Bus line,\n"
          "                       else the radio telegrams)\n"
          "  --at DUR             pcap: the first captured frame this long after the start\n"
          "                       (the base's plant and gateway in the state it had; default 1s)\n"
          "  --protocol-only      pcap: replay the recorded client and check the protocol\n"
          "                       (IEC 104 confirmations, ACT_TERM, negative causes; Modbus\n"
          "                       exception codes), not the values (chosen by itself, with a\n"
          "                       NOTE, when the capture's server has other common addresses,\n"
          "                       IOAs, units or registers than the base's gateway)\n"
          "  --values             pcap: expect the recorded values even so\n"
          "  --derive-base        pcap: write NAME.base.yaml, a plant and gateway serving what\n"
          "                       the capture's server sent, and use it as the base\n"
          "  --baud N             socat: the line's baud rate (default 2400)\n",
          f);
}

void import_seconds(int64_t ns, char *out, size_t cap) {
    char t[40];
    snprintf(t, sizeof t, "%lld.%09lld", (long long)(ns / 1000000000), (long long)(ns % 1000000000));
    char *end = t + strlen(t) - 1;
    while (*end == '0') *end-- = '\0';
    if (*end == '.') *end = '\0';
    snprintf(out, cap, "%ss", t);
}

void import_yaml_string(FILE *out, const char *s) {
    json_write_string(out, s); /* JSON strings are YAML double-quoted scalars */
}

void import_wall_text(int64_t wall_ns, char *out, size_t cap) {
    time_t secs = (time_t)(wall_ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Quiet stretches longer than max shrink to max; then everything runs faster. */
static void retime(capture *c, int64_t max_gap, double speed) {
    int64_t shift = 0, prev = 0;
    for (size_t i = 0; i < c->n; i++) {
        int64_t t = c->frames[i].t_ns;
        if (max_gap > 0 && t - prev > max_gap) shift += t - prev - max_gap;
        prev = t;
        c->frames[i].t_ns = (int64_t)((double)(t - shift) / speed);
    }
}

#define LONG_GAP_NS (3600LL * 1000000000LL)

/* Quiet stretches over an hour make a scenario that runs for long (virtual
 * time still steps through the gateway's timers): said at import, with the
 * option that shortens them, unless it was given. */
static void note_long_gaps(capture *c, int64_t compress) {
    size_t n = 0, at = 0;
    int64_t longest = 0;
    for (size_t i = 1; i < c->n; i++) {
        int64_t gap = c->frames[i].t_ns - c->frames[i - 1].t_ns;
        if (gap <= LONG_GAP_NS) continue;
        n++;
        if (gap > longest) longest = gap, at = i;
    }
    if (n == 0 || compress > 0) return;
    capture_note(c, "%zu quiet stretch(es) over an hour, the longest %.1f h (%.1f days) before line/packet %u: "
                    "give --compress-idle 60s to shorten them (the scenario runs through them otherwise)",
                 n, (double)longest / 3.6e12, (double)longest / 8.64e13, c->frames[at].line);
}

#define AT_FROM_BENCH_MAX_NS (30LL * 86400 * 1000000000LL)

/* A pcapng of `hil run --pcapng BASE` stamps frames with the base's start plus
 * their scenario time: the first frame's offset from that start is the --at
 * that puts the replay where the recording was (the base's plant and gateway in
 * the same state), so a round trip needs no --at. Said in a NOTE. */
static void at_from_bench_file(import_opts *o, capture *c) {
    int64_t start;
    if (o->at_given || !o->base_path || c->kind != CAP_TCP || !c->bench_file || !c->has_wall ||
        !import_base_start_ns(o->base_path, &start))
        return;
    int64_t at = c->t0_wall_ns - start;
    if (at < 0 || at > AT_FROM_BENCH_MAX_NS) return;
    o->at_ns = at;
    char t[40];
    import_seconds(at, t, sizeof t);
    capture_note(c, "--at %s: the bench's pcapng has its first frame %s after the --base's start: (give --at to "
                    "change it)", t, t);
}

/* The repository of the output scenario: nearest ancestor holding fixtures/. */
static bool find_repo(const char *out_path, char *repo, size_t cap) {
    char dir[PATH_MAX], real[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", out_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    if (!realpath(dir, real)) return false;
    for (;;) {
        char probe[PATH_MAX + 16];
        struct stat st;
        snprintf(probe, sizeof probe, "%s/fixtures", real);
        if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(repo, cap, "%s", real);
            return true;
        }
        slash = strrchr(real, '/');
        if (!slash || slash == real) return false;
        *slash = '\0';
    }
}

/* The row of o->format (auto: of what the file looks like, o->format then
 * naming it); NULL with a message in err. */
static const import_format *pick_format(import_opts *o, char *err, size_t errlen) {
    char list[256];
    import_format_list(list, sizeof list);
    if (strcmp(o->format, "auto") == 0) {
        const import_format *f = import_format_detect(o->capture_path);
        if (!f) {
            snprintf(err, errlen, "%s:1:1: cannot tell the capture's format; name it (%s)", o->capture_path, list);
            return NULL;
        }
        o->format = f->name;
        return f;
    }
    const import_format *f = import_format_named(o->format);
    if (!f) snprintf(err, errlen, "unknown format %s (%s, auto)", o->format, list);
    return f;
}

static int parse_args(int argc, char **argv, import_opts *o, char *err, size_t errlen) {
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool flag = strcmp(a, "--protocol-only") == 0 || strcmp(a, "--values") == 0 || strcmp(a, "--derive-base") == 0;
        bool takes = a[0] == '-' && a[1] != '\0' && !flag;
        if (takes && !v) {
            snprintf(err, errlen, "option %s needs a value", a);
            return -1;
        }
        if (strcmp(a, "-o") == 0) o->out_path = v;
        else if (strcmp(a, "--fixtures") == 0) o->fixtures_dir = v;
        else if (strcmp(a, "--keys") == 0) o->keys_path = v;
        else if (strcmp(a, "--base") == 0) o->base_path = v;
        else if (strcmp(a, "--interface") == 0) o->iface = v;
        else if (flag) { /* takes no value */
            if (a[2] == 'p') o->protocol_only = true;
            else if (a[2] == 'v') o->values = true;
            else o->derive_base = true;
            continue;
        }
        else if (strcmp(a, "--at") == 0) {
            o->at_given = true;
            if (!cfg_parse_duration_ns(v, &o->at_ns) || o->at_ns < 0) {
                snprintf(err, errlen, "--at needs a duration like 21.5s, not %s", v);
                return -1;
            }
        } else if (strcmp(a, "--compress-idle") == 0) {
            if (!cfg_parse_duration_ns(v, &o->compress_idle_ns) || o->compress_idle_ns <= 0) {
                snprintf(err, errlen, "--compress-idle needs a duration like 10s, not %s", v);
                return -1;
            }
        } else if (strcmp(a, "--speed") == 0) {
            char *end;
            o->speed = strtod(v, &end);
            if (*end || !(o->speed > 0)) {
                snprintf(err, errlen, "--speed needs a positive number, not %s", v);
                return -1;
            }
        } else if (strcmp(a, "--port") == 0 || strcmp(a, "--baud") == 0) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (*end || n == 0 || n > 65535 * 4) {
                snprintf(err, errlen, "%s needs a number, not %s", a, v);
                return -1;
            }
            if (a[2] == 'p') o->port = (unsigned)n;
            else o->baud = (unsigned)n, o->baud_given = true;
        } else if (takes) {
            snprintf(err, errlen, "unknown option %s", a);
            return -1;
        } else {
            if (pos == 0) o->format = a;
            else if (pos == 1) o->capture_path = a;
            else {
                snprintf(err, errlen, "unexpected argument %s", a);
                return -1;
            }
            pos++;
            continue;
        }
        i++;
    }
    if (!o->format || !o->capture_path || !o->out_path) {
        snprintf(err, errlen, "FORMAT, CAPTURE and -o FILE are needed");
        return -1;
    }
    return 0;
}

/* "51 APDUs (24 from the client, ...)" or "12 telegrams". */
static void summary_text(const import_opts *o, const capture *c, char *out, size_t cap) {
    if (c->unit[0] && c->unit_detail[0])
        snprintf(out, cap, "%lu %s (%s)", c->units, c->unit, c->unit_detail);
    else if (c->unit[0]) snprintf(out, cap, "%lu %s", c->units, c->unit);
    else snprintf(out, cap, "%zu %s", c->n, c->kind == CAP_RADIO ? "telegrams" : "frames");
}

/* The writer's text goes to memory first: the header counts what it turned
 * into steps and what it could not, which is known only at the end. */
static int write_scenario(const import_opts *o, const import_format *f, capture *c, char *err, size_t errlen) {
    char *body = NULL;
    size_t body_len = 0;
    FILE *mem = open_memstream(&body, &body_len);
    if (!mem) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = f->write(o, c, mem, err, errlen);
    fclose(mem);
    char tmp[PATH_MAX], what[512];
    snprintf(tmp, sizeof tmp, "%.4000s.tmp", o->out_path);
    FILE *out = rc == 0 ? fopen(tmp, "w") : NULL;
    if (rc == 0 && !out) {
        snprintf(err, errlen, "cannot write %.900s", tmp);
        rc = -1;
    }
    if (out) {
        summary_text(o, c, what, sizeof what);
        fprintf(out, "# Made by `hil import %s %s` (docs/replay.md): %s", o->format, o->capture_path, what);
        if (o->compress_idle_ns > 0) {
            char t[40];
            import_seconds(o->compress_idle_ns, t, sizeof t);
            fprintf(out, ", quiet stretches over %s compressed to %s", t, t);
        }
        if (o->speed != 1) fprintf(out, ", %g times faster than recorded", o->speed);
        fputs(".\n", out);
        capture_print_counts(c, out, "# ");
        fputs(body ? body : "", out);
        if (fclose(out) != 0) {
            snprintf(err, errlen, "cannot write %.900s", tmp);
            rc = -1;
        }
    }
    free(body);
    if (rc == 0 && rename(tmp, o->out_path) != 0) {
        snprintf(err, errlen, "cannot write %s", o->out_path);
        rc = -1;
    }
    if (rc != 0) remove(tmp);
    return rc;
}

int import_main(int argc, char **argv) {
    import_opts o = {.speed = 1, .baud = 2400, .at_ns = 1000000000LL, .fixtures_ref = "fixtures/captures"};
    char err[1024], name[256], fixdir[PATH_MAX + 32], repo[PATH_MAX];
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (parse_args(argc, argv, &o, err, sizeof err) < 0) {
        fprintf(stderr, "hil import: %s\n", err);
        usage(stderr);
        return 2;
    }
    const char *base = strrchr(o.out_path, '/');
    base = base ? base + 1 : o.out_path;
    size_t len = strlen(base);
    if (len <= 5 || strcmp(base + len - 5, ".yaml") != 0) {
        fprintf(stderr, "hil import: the scenario must be a NAME.yaml file, not %s\n", o.out_path);
        return 2;
    }
    snprintf(name, sizeof name, "%.*s", (int)(len - 5), base);
    o.name = name;
    if (!o.fixtures_dir) {
        if (!find_repo(o.out_path, repo, sizeof repo)) {
            fprintf(stderr, "hil import: no fixtures/ directory above %s; give --fixtures DIR\n", o.out_path);
            return 2;
        }
        snprintf(fixdir, sizeof fixdir, "%s/fixtures/captures", repo);
        o.fixtures_dir = fixdir;
    } else {
        o.fixtures_ref = o.fixtures_dir;
    }
    if (fsdir_make(o.fixtures_dir) < 0) {
        fprintf(stderr, "hil import: cannot make %s\n", o.fixtures_dir);
        return 1;
    }
    capture c;
    memset(&c, 0, sizeof c);
    const import_format *f = pick_format(&o, err, sizeof err);
    int rc = f ? f->read(&o, &c, err, sizeof err) : -1;
    if (rc == 0) {
        at_from_bench_file(&o, &c);
        note_long_gaps(&c, o.compress_idle_ns);
        retime(&c, o.compress_idle_ns, o.speed);
        rc = write_scenario(&o, f, &c, err, sizeof err);
    }
    if (rc == 0) {
        char what[512];
        summary_text(&o, &c, what, sizeof what);
        printf("hil import: %s of %s (%s) -> %s, fixtures in %s\n", what, o.capture_path, o.format, o.out_path,
               o.fixtures_dir);
        capture_print_counts(&c, stdout, "hil import: ");
    } else fprintf(stderr, "hil import: %s\n", err);
    capture_free(&c);
    return rc == 0 ? 0 : 1;
}
