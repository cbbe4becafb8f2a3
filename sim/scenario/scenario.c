/* scenario: loading and checking scenario files (see scenario.h, docs/scenarios.md). */
#include "sim/mbus/mbus_tcp_master.h"
#include "sim/scenario/scenario.h"
#include "sim/dlms/dlms_bench.h"
#include "sim/import/replay.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "sim/wmbus/radio_bench.h"
#include "sim/mbus/telegram_edit.h"
#include "sim/core/wire.h"

static char *dir_of(const char *path) {
    char *d = strdup(path);
    if (!d) return NULL;
    char *slash = strrchr(d, '/');
    if (!slash) strcpy(d, ".");
    else if (slash == d) d[1] = '\0';
    else *slash = '\0';
    return d;
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The repository root: the nearest ancestor of the scenario holding fixtures/;
 * ${fixtures}: the one asked for, else $HIL_FIXTURES, else the root's fixtures/. */
static void find_base(scenario *sc, const char *fixtures) {
    char real[PATH_MAX];
    char *dir = dir_of(sc->path);
    if (dir && realpath(dir, real)) {
        char probe[PATH_MAX + 16];
        for (;;) {
            snprintf(probe, sizeof probe, "%s/fixtures", real);
            if (is_dir(probe)) {
                sc->base_dir = strdup(real);
                sc->fixtures_dir = strdup(probe);
                break;
            }
            char *slash = strrchr(real, '/');
            if (!slash || slash == real) break;
            *slash = '\0';
        }
    }
    if (!sc->base_dir) {
        sc->base_dir = dir ? strdup(dir) : strdup(".");
        size_t n = strlen(sc->base_dir) + 16;
        sc->fixtures_dir = malloc(n);
        if (sc->fixtures_dir) snprintf(sc->fixtures_dir, n, "%s/fixtures", sc->base_dir);
    }
    if (!fixtures || !fixtures[0]) fixtures = getenv("HIL_FIXTURES");
    if (fixtures && fixtures[0]) {
        free(sc->fixtures_dir);
        sc->fixtures_dir = strdup(fixtures);
    }
    sc->scenario_dir = dir ? dir : strdup(".");
    sc->paths = (scenario_paths){sc->scenario_dir, sc->base_dir, sc->fixtures_dir};
}

static bool parse_id(const cfg_node *node, uint32_t *id_bcd, cfg_err *err) {
    const char *t = node->scalar;
    if (node->kind != CFG_SCALAR || strlen(t) != 8 || strspn(t, "0123456789") != 8)
        return cfg_fail(err, node, "id must be 8 decimal digits");
    *id_bcd = 0;
    for (int i = 0; i < 8; i++) *id_bcd = *id_bcd << 4 | (uint32_t)(t[i] - '0');
    return true;
}

/* BCD id + k, as 8 decimal digits wrapping at 10^8. */
static uint32_t bcd_add(uint32_t bcd, unsigned k) {
    unsigned long v = 0;
    for (int i = 7; i >= 0; i--) v = v * 10 + ((bcd >> (4 * i)) & 15);
    v = (v + k) % 100000000UL;
    uint32_t out = 0;
    for (int i = 0; i < 8; i++, v /= 10) out |= (uint32_t)(v % 10) << (4 * i);
    return out;
}

static bool parse_faults(const cfg_node *m, mbus_slave_faults *f, cfg_err *err) {
    static const char *const keys[] = {"silent", "answer_after", "answer_every",
                                       "corrupt_checksum", "hang", "wrong_length", "wakeup",
                                       "awake", "added", "removed", NULL};
    if (!m) return true;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "faults must be a map");
    long long after, every, corrupt, hang, wrong_length;
    if (!cfg_only_keys(m, keys, err) || !cfg_bool(m, "silent", false, &f->silent, err) ||
        !cfg_int(m, "answer_after", 0, 0, 1000000, &after, err) ||
        !cfg_int(m, "answer_every", 1, 1, 1000000, &every, err) ||
        !cfg_int(m, "corrupt_checksum", 0, 0, 1000000, &corrupt, err) ||
        !cfg_int(m, "hang", 0, 0, 1000000, &hang, err) ||
        !cfg_int(m, "wrong_length", 0, 0, 1000000, &wrong_length, err) ||
        !cfg_duration_ns(m, "wakeup", 0, &f->wakeup_ns, err) ||
        !cfg_duration_ns(m, "awake", 1000000000LL, &f->awake_ns, err) ||
        !cfg_duration_ns(m, "added", 0, &f->added_ns, err) ||
        !cfg_duration_ns(m, "removed", 0, &f->removed_ns, err))
        return false;
    if (f->removed_ns && f->removed_ns <= f->added_ns)
        return cfg_fail(err, cfg_get(m, "removed"), "removed must come after added");
    f->hang_first = (unsigned)hang;
    f->wrong_length_first = (unsigned)wrong_length;
    f->answer_after = (unsigned)after;
    f->answer_every = (unsigned)every;
    f->corrupt_first = (unsigned)corrupt;
    return true;
}

static bool load_pages(const scenario *sc, const cfg_node *slave, telegram_list *pages,
                       cfg_err *err) {
    const cfg_node *files = cfg_get(slave, "telegrams");
    if (!files || files->kind != CFG_SEQ || files->n == 0)
        return cfg_fail(err, files ? files : slave, "telegrams must be a list of telegram files");
    for (size_t i = 0; i < files->n; i++) {
        const cfg_node *f = files->items[i];
        if (f->kind != CFG_SCALAR) return cfg_fail(err, f, "a telegram file name expected");
        char path[PATH_MAX], msg[512];
        if (!scenario_path(&sc->paths, f, "telegram file", path, sizeof path, err)) return false;
        if (hexfile_load(path, pages, msg, sizeof msg) < 0)
            return cfg_fail(err, f, "%s", msg);
    }
    for (size_t i = 0; i < pages->n; i++)
        if (!tg_is_long(&pages->items[i]))
            return cfg_fail(err, files, "telegram %zu is not an M-Bus long frame (68 L L 68 ... 16)",
                            i + 1);
    return true;
}

/* One `slaves:` item; `count: N` makes N slaves with consecutive primary
 * addresses and identification numbers. */
static bool parse_slave(scenario *sc, segment_spec *seg, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"primary",    "secondary", "id",    "telegrams",
                                       "response_delay", "faults", "count", "more_follows", "rotate",
                                       "baud", NULL};
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a slave must be a map");
    if (!cfg_only_keys(m, keys, err)) return false;
    slave_spec base;
    memset(&base, 0, sizeof base);
    base.node = m;
    long long primary, count, baud;
    bool more_follows, has_id = false;
    uint32_t id = 0;
    const char *secondary;
    if (!cfg_int(m, "baud", seg->baud, 300, 115200, &baud, err)) return false;
    if (wire_speed_from_baud((unsigned)baud) == (unsigned)-1)
        return cfg_fail(err, cfg_get(m, "baud"), "baud %lld is not a standard rate", baud);
    base.baud = (unsigned)baud == seg->baud ? 0 : (unsigned)baud;
    if (!cfg_int(m, "primary", -1, 0, 250, &primary, err) ||
        !cfg_int(m, "count", 1, 1, 250, &count, err) ||
        !cfg_duration_ns(m, "response_delay", wire_bits_ns((unsigned)baud, 22),
                         &base.response_delay_ns, err) ||
        !cfg_bool(m, "more_follows", true, &more_follows, err) ||
        !cfg_bool(m, "rotate", false, &base.rotate, err) ||
        !cfg_str(m, "secondary", "auto", &secondary, err) ||
        !parse_faults(cfg_get(m, "faults"), &base.faults, err))
        return false;
    if (cfg_get(m, "id")) {
        if (!parse_id(cfg_get(m, "id"), &id, err)) return false;
        has_id = true;
    }
    base.secondary_auto = strcmp(secondary, "auto") == 0;
    if (!base.secondary_auto && !mbus_secondary_parse(secondary, &base.secondary))
        return cfg_fail(err, cfg_get(m, "secondary"),
                        "secondary must be auto or 16 hex characters (id, manufacturer, version, medium)");
    if (primary + count - 1 > 250) return cfg_fail(err, m, "primary addresses run past 250");
    telegram_list pages = {0};
    if (!load_pages(sc, m, &pages, err)) {
        telegram_list_free(&pages);
        return false;
    }
    slave_spec *all = realloc(seg->slaves, (seg->n_slaves + (size_t)count) * sizeof *all);
    if (!all) {
        telegram_list_free(&pages);
        return cfg_fail(err, m, "out of memory");
    }
    seg->slaves = all;
    for (long long k = 0; k < count; k++) {
        slave_spec *s = &seg->slaves[seg->n_slaves++];
        *s = base;
        s->primary = primary < 0 ? -1 : (int)(primary + k);
        memset(&s->pages, 0, sizeof s->pages);
        for (size_t p = 0; p < pages.n; p++) {
            telegram_list_add(&s->pages, pages.items[p].bytes, pages.items[p].len);
            hex_frame *t = &s->pages.items[s->pages.n - 1];
            if (has_id) tg_set_id(t, bcd_add(id, (unsigned)k));
            if (s->primary >= 0) tg_set_address(t, (uint8_t)s->primary);
            if (more_follows && p + 1 < pages.n) tg_set_more_follows(t);
        }
        if (s->secondary_auto && !tg_secondary(&s->pages.items[0], &s->secondary)) {
            telegram_list_free(&pages);
            return cfg_fail(err, m, "secondary: auto needs a telegram with a long header (CI 0x72)");
        }
    }
    telegram_list_free(&pages);
    return true;
}

/* short_circuit: {from: 20s, to: 40s}: no slave answers in between. */
static bool parse_short(const cfg_node *m, segment_spec *seg, cfg_err *err) {
    static const char *const keys[] = {"from", "to", NULL};
    const cfg_node *sc = cfg_get(m, "short_circuit");
    if (!sc) return true;
    if (sc->kind != CFG_MAP) return cfg_fail(err, sc, "short_circuit must be a map (from, to)");
    if (!cfg_only_keys(sc, keys, err) ||
        !cfg_duration_ns(sc, "from", 0, &seg->short_from_ns, err) ||
        !cfg_duration_ns(sc, "to", 0, &seg->short_to_ns, err))
        return false;
    if (seg->short_to_ns <= seg->short_from_ns)
        return cfg_fail(err, sc, "short_circuit: to must be after from");
    return true;
}

/* noise: [{at: 2s, bytes: 20}, ...] in time order: random bytes towards the master. */
static bool parse_noise(const cfg_node *m, segment_spec *seg, cfg_err *err) {
    static const char *const keys[] = {"at", "bytes", NULL};
    const cfg_node *list = cfg_get(m, "noise");
    if (!list) return true;
    if (list->kind != CFG_SEQ || list->n > 8)
        return cfg_fail(err, list, "noise must be a list of at most 8 bursts {at, bytes}");
    for (size_t i = 0; i < list->n; i++) {
        const cfg_node *b = list->items[i];
        long long bytes;
        if (b->kind != CFG_MAP) return cfg_fail(err, b, "a noise burst must be a map {at, bytes}");
        if (!cfg_only_keys(b, keys, err) || !cfg_require(b, "at", CFG_SCALAR, err) ||
            !cfg_duration_ns(b, "at", 0, &seg->noise_at_ns[i], err) ||
            !cfg_int(b, "bytes", 16, 1, 1000, &bytes, err))
            return false;
        if (i > 0 && seg->noise_at_ns[i] < seg->noise_at_ns[i - 1])
            return cfg_fail(err, b, "noise bursts must be in time order");
        seg->noise_bytes[i] = (unsigned)bytes;
        seg->n_noise = i + 1;
    }
    return true;
}

static bool parse_segment(scenario *sc, const cfg_node *m, cfg_err *err) {
    static const char *const keys[] = {"name", "baud", "slaves", "echo", "short_circuit", "noise",
                                       NULL};
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a segment must be a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "name", CFG_SCALAR, err)) return false;
    segment_spec *all = realloc(sc->segments, (sc->n_segments + 1) * sizeof *all);
    if (!all) return cfg_fail(err, m, "out of memory");
    sc->segments = all;
    segment_spec *seg = &sc->segments[sc->n_segments++];
    memset(seg, 0, sizeof *seg);
    long long baud;
    if (!cfg_str(m, "name", NULL, &seg->name, err) ||
        !cfg_int(m, "baud", 2400, 300, 115200, &baud, err) ||
        !cfg_bool(m, "echo", false, &seg->echo, err) || !parse_short(m, seg, err) ||
        !parse_noise(m, seg, err))
        return false;
    if (wire_speed_from_baud((unsigned)baud) == (unsigned)-1)
        return cfg_fail(err, cfg_get(m, "baud"), "baud %lld is not a standard rate", baud);
    seg->baud = (unsigned)baud;
    for (size_t i = 0; i + 1 < sc->n_segments; i++)
        if (strcmp(sc->segments[i].name, seg->name) == 0)
            return cfg_fail(err, cfg_get(m, "name"), "segment %s defined twice", seg->name);
    const cfg_node *slaves = cfg_get(m, "slaves");
    if (slaves && slaves->kind != CFG_SEQ) return cfg_fail(err, slaves, "slaves must be a list");
    for (size_t i = 0; slaves && i < slaves->n; i++)
        if (!parse_slave(sc, seg, slaves->items[i], err)) return false;
    return true;
}

static bool parse_plant(scenario *sc, const cfg_node *plant, cfg_err *err) {
    static const char *const keys[] = {"segments", "iec104", "dlms", "modbus", "replay", "wmbus", "mbus_tcp", NULL};
    if (plant->kind != CFG_MAP || !cfg_only_keys(plant, keys, err))
        return plant->kind == CFG_MAP ? false : cfg_fail(err, plant, "plant must be a map");
    const cfg_node *segs = cfg_require(plant, "segments", CFG_SEQ, err);
    if (!segs) return false;
    for (size_t i = 0; i < segs->n; i++)
        if (!parse_segment(sc, segs->items[i], err)) return false;
    const cfg_node *iec = cfg_get(plant, "iec104");
    if (iec && !(sc->iec104 = iec104_plan_parse(iec, err))) return false;
    const cfg_node *dl = cfg_get(plant, "dlms");
    if (dl && !dlms_bench_parse(dl, &sc->paths, &sc->dlms, &sc->n_dlms, err)) return false;
    const cfg_node *mb = cfg_get(plant, "modbus");
    if (mb && !(sc->modbus = modbus_plan_parse(mb, &sc->paths, err))) return false;
    const cfg_node *rp = cfg_get(plant, "replay");
    if (rp && !(sc->replay = replay_spec_parse(rp, &sc->paths, err))) return false;
    const cfg_node *wm = cfg_get(plant, "wmbus");
    if (wm && !(sc->wmbus = radio_plan_parse(wm, &sc->paths, err))) return false;
    const cfg_node *mt = cfg_get(plant, "mbus_tcp");
    if (mt && !(sc->mbus_tcp = mbus_tcp_plan_parse(mt, err))) return false;
    return true;
}

static bool parse_gateway(scenario *sc, cfg_err *err) {
    const cfg_node *inline_cfg = cfg_get(sc->root, "gateway");
    const cfg_node *file = cfg_get(sc->root, "gateway_file");
    if (!inline_cfg == !file)
        return cfg_fail(err, sc->root, "give exactly one of gateway (inline) or gateway_file");
    if (inline_cfg) {
        if (inline_cfg->kind != CFG_MAP) return cfg_fail(err, inline_cfg, "gateway must be a map");
        sc->gateway = inline_cfg;
        return true;
    }
    if (file->kind != CFG_SCALAR) return cfg_fail(err, file, "gateway_file must be a path");
    char *dir = dir_of(sc->path);
    char path[PATH_MAX];
    if (file->scalar[0] == '/') snprintf(path, sizeof path, "%s", file->scalar);
    else snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", file->scalar);
    free(dir);
    sc->gateway_root = cfg_load_file(path, err);
    if (!sc->gateway_root) return false;
    if (sc->gateway_root->kind != CFG_MAP)
        return cfg_fail(err, sc->gateway_root, "the gateway configuration must be a map");
    sc->gateway = sc->gateway_root;
    return true;
}

/* A report's equals_file is a fixture like any other plant path. */
static bool resolve_equals_file(scenario *sc, size_t i, cfg_err *err) {
    expectation *ex = &sc->expects[i];
    if (ex->kind != EX_REPORT || !ex->equals_file) return true;
    const cfg_node *node = cfg_get(ex->node, "equals_file");
    char path[PATH_MAX];
    if (!scenario_path(&sc->paths, node, "equals_file", path, sizeof path, err)) return false;
    if (!(sc->resolved[i] = strdup(path))) return cfg_fail(err, node, "out of memory");
    ex->equals_file = sc->resolved[i];
    return true;
}

static bool parse_expects(scenario *sc, cfg_err *err) {
    const cfg_node *list = cfg_get(sc->root, "expect");
    if (!list) return true;
    if (list->kind != CFG_SEQ) return cfg_fail(err, list, "expect must be a list");
    sc->expects = calloc(list->n ? list->n : 1, sizeof *sc->expects);
    if (!sc->expects) return cfg_fail(err, list, "out of memory");
    sc->resolved = calloc(list->n ? list->n : 1, sizeof *sc->resolved);
    if (!sc->resolved) return cfg_fail(err, list, "out of memory");
    for (size_t i = 0; i < list->n; i++) {
        if (!expect_parse(list->items[i], &sc->expects[i], err)) return false;
        sc->n_expects++;
        if (!resolve_equals_file(sc, i, err)) return false;
    }
    return true;
}

/* "2026-01-01T00:00:00Z" (UTC, whole seconds) → ns since the epoch. */
static bool parse_start(const cfg_node *r, int64_t *out, cfg_err *err) {
    const cfg_node *n = cfg_get(r, "start");
    const char *text = n && n->kind == CFG_SCALAR ? n->scalar : "2026-01-01T00:00:00Z";
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char z = 0;
    int got = sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z);
    if (n && n->kind != CFG_SCALAR) return cfg_fail(err, n, "start must be a timestamp");
    /* Years outside 1970..2200 would overflow nanoseconds since the epoch in 64 bits. */
    if (got != 7 || z != 'Z' || tm.tm_year < 1970 || tm.tm_year > 2200 || tm.tm_mon < 1 ||
        tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return cfg_fail(err, n, "start must be a UTC time like 2026-01-01T00:00:00Z");
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm) * 1000000000LL;
    return true;
}

static bool parse_top(scenario *sc, cfg_err *err) {
    static const char *const keys[] = {"name", "clock", "start", "watchdog", "duration",
                                       "stop_after_cycles",
                                       "plant", "gateway", "gateway_file", "expect", NULL};
    const cfg_node *r = sc->root;
    if (r->kind != CFG_MAP) return cfg_fail(err, r, "a scenario must be a map");
    const char *clock;
    if (!cfg_only_keys(r, keys, err) || !cfg_require(r, "name", CFG_SCALAR, err) ||
        !cfg_require(r, "duration", CFG_SCALAR, err) || !cfg_str(r, "name", NULL, &sc->name, err) ||
        !cfg_str(r, "clock", "virtual", &clock, err) || !parse_start(r, &sc->start_wall_ns, err) ||
        !cfg_duration_ns(r, "watchdog", 20000000000LL, &sc->watchdog_ns, err) ||
        !cfg_duration_ns(r, "duration", 0, &sc->duration_ns, err) ||
        !cfg_int(r, "stop_after_cycles", 0, 0, 1000000, &sc->stop_after_cycles, err))
        return false;
    if (strcmp(clock, "real") != 0 && strcmp(clock, "virtual") != 0)
        return cfg_fail(err, cfg_get(r, "clock"), "clock must be virtual or real, not %s", clock);
    sc->virtual_time = strcmp(clock, "virtual") == 0;
    if (sc->watchdog_ns <= 0) return cfg_fail(err, cfg_get(r, "watchdog"), "watchdog must be positive");
    if (sc->duration_ns <= 0) return cfg_fail(err, cfg_get(r, "duration"), "duration must be positive");
    const cfg_node *plant = cfg_require(r, "plant", CFG_MAP, err);
    return plant && parse_plant(sc, plant, err) && parse_gateway(sc, err) && parse_expects(sc, err);
}

scenario *scenario_load(const char *path, cfg_err *err) {
    return scenario_load_fixtures(path, NULL, err);
}

scenario *scenario_load_fixtures(const char *path, const char *fixtures_dir, cfg_err *err) {
    scenario *sc = calloc(1, sizeof *sc);
    if (!sc) {
        snprintf(err->msg, sizeof err->msg, "%s:1:1: out of memory", path);
        return NULL;
    }
    sc->path = strdup(path);
    sc->root = cfg_load_file(path, err);
    if (!sc->root) {
        scenario_free(sc);
        return NULL;
    }
    find_base(sc, fixtures_dir);
    if (!parse_top(sc, err)) {
        scenario_free(sc);
        return NULL;
    }
    return sc;
}

void scenario_free(scenario *sc) {
    if (!sc) return;
    for (size_t i = 0; i < sc->n_segments; i++) {
        for (size_t k = 0; k < sc->segments[i].n_slaves; k++)
            telegram_list_free(&sc->segments[i].slaves[k].pages);
        free(sc->segments[i].slaves);
    }
    free(sc->segments);
    for (size_t i = 0; sc->resolved && i < sc->n_expects; i++) free(sc->resolved[i]);
    free(sc->resolved);
    free(sc->expects);
    cfg_free(sc->gateway_root);
    iec104_plan_free(sc->iec104);
    radio_plan_free(sc->wmbus);
    mbus_tcp_plan_free(sc->mbus_tcp);
    modbus_plan_free(sc->modbus);
    replay_spec_free(sc->replay);
    dlms_bench_specs_free(sc->dlms, sc->n_dlms);
    cfg_free(sc->root);
    free(sc->path);
    free(sc->scenario_dir);
    free(sc->base_dir);
    free(sc->fixtures_dir);
    free(sc);
}

int scenario_slave_setup(const slave_spec *spec, mbus_slave *slave) {
    slave->primary = spec->primary;
    slave->secondary = spec->secondary;
    slave->response_delay_ns = spec->response_delay_ns;
    slave->baud = spec->baud;
    slave->faults = spec->faults;
    slave->rotate = spec->rotate;
    for (size_t i = 0; i < spec->pages.n; i++)
        if (telegram_list_add(&slave->pages, spec->pages.items[i].bytes, spec->pages.items[i].len) < 0)
            return -1;
    return 0;
}
