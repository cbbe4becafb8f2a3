/* search: the meter search of one wired M-Bus segment (see search.h). */
#include "south/mbus/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "codec/mbus/mbus_link.h"
#include "south/mbus/scan.h"

#define MOD "mbus"
/* A garbled answer to a select of at most this many bytes is taken as
 * overlapping E5s (a collision) at once; longer garbage is retried once first. */
#define SCAN_COLLISION_MAX_BYTES 4
#define FOUND_NAME_MAX (2 * MBUS_NAME_MAX)

typedef enum { SCAN_IDLE, SCAN_PRIMARY, SCAN_SECONDARY } scan_phase;

struct mbus_search {
    const mbus_segment_cfg *cfg;
    mbus_port *port;
    mbus_readout *readout;
    bool *cfg_fcb_clear;       /* per configured meter, like mbus_found_meter.fcb_clear */
    const mbus_search_hooks *hooks;
    void *ctx;
    bool due;                  /* at start-up (scan.at_start) or on SIGUSR1 */
    bool scanned;              /* a scan has started (scan.every counts from it) */
    int64_t last_scan_ns;
    bool report_due;           /* write the commission report after this cycle */
    scan_phase phase;
    mbus_scan_mode mode;       /* this scan's: the configured one or the requested one */
    mbus_scan_mode requested;  /* of the next scan (MBUS_SCAN_OFF: the configured one) */
    unsigned probes;           /* probes sent by this scan, retries not counted */
    mbus_scan scan;
    mbus_secondary probe;      /* secondary: the mask asked */
    int primary;               /* primary: the address asked */
    int attempt;               /* 0 = first try of this probe */
    mbus_data *data;           /* decode scratch for primary probes (large: on the heap) */
    mbus_found_meter *found;   /* meters found by scans, read after the configured ones */
    size_t n_found, cap_found;
};

static void next_probe(mbus_search *s);

mbus_search *mbus_search_new(const mbus_segment_cfg *cfg, mbus_port *port, mbus_readout *readout,
                             bool *cfg_fcb_clear, const mbus_search_hooks *hooks, void *ctx) {
    mbus_search *s = calloc(1, sizeof *s);
    mbus_data *data = calloc(1, sizeof *data);
    if (!s || !data) {
        free(s);
        free(data);
        return NULL;
    }
    s->cfg = cfg;
    s->port = port;
    s->readout = readout;
    s->cfg_fcb_clear = cfg_fcb_clear;
    s->hooks = hooks;
    s->ctx = ctx;
    s->data = data;
    s->due = cfg->scan.mode != MBUS_SCAN_OFF && cfg->scan.at_start;
    return s;
}

void mbus_search_free(mbus_search *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->n_found; i++)
        free(s->found[i].cfg.name);
    free(s->found);
    free(s->data);
    free(s);
}

/* ---- the found meters -------------------------------------------------------- */

static mbus_found_meter *add_found(mbus_search *s) {
    if (s->n_found == s->cap_found) {
        size_t cap = s->cap_found ? 2 * s->cap_found : 16;
        mbus_found_meter *grown = realloc(s->found, cap * sizeof *grown);
        if (!grown)
            return NULL;
        s->found = grown;
        s->cap_found = cap;
    }
    mbus_found_meter *m = &s->found[s->n_found];
    memset(m, 0, sizeof *m);
    m->cfg.primary = -1;
    m->cfg.name = malloc(FOUND_NAME_MAX);
    if (!m->cfg.name)
        return NULL;
    s->n_found++;
    return m;
}

static void drop_found(mbus_search *s, size_t k) {
    free(s->found[k].cfg.name);
    memmove(&s->found[k], &s->found[k + 1], (s->n_found - k - 1) * sizeof *s->found);
    s->n_found--;
}

size_t mbus_search_n_found(const mbus_search *s) {
    return s->n_found;
}

/* A scan candidate: found by a mask with wildcards and not read yet. Meters
 * answering a select in step give one clean E5, so only its first readout
 * proves that the mask holds one meter. */
static bool is_candidate(const mbus_found_meter *m) {
    return !m->pinned && !m->read && m->cfg.has_secondary &&
           mbus_secondary_first_wildcard(&m->cfg.secondary) >= 0;
}

mbus_readout_meter mbus_search_meter(mbus_search *s, size_t k) {
    mbus_found_meter *m = &s->found[k];
    mbus_readout_meter r = {.cfg = &m->cfg, .fcb_clear = &m->fcb_clear,
                            .candidate = is_candidate(m)};
    return r;
}

bool mbus_search_take_read_in_scan(mbus_search *s, size_t k) {
    if (k >= s->n_found || !s->found[k].read_in_scan)
        return false;
    s->found[k].read_in_scan = false;
    return true;
}

/* Is the meter isolated by mask (or at primary address a) already known? */
static bool known(const mbus_search *s, const mbus_secondary *mask, int primary) {
    size_t n_cfg = s->cfg->n_meters;
    for (size_t i = 0; i < n_cfg + s->n_found; i++) {
        const mbus_meter_cfg *m = i < n_cfg ? &s->cfg->meters[i] : &s->found[i - n_cfg].cfg;
        if (primary >= 0 && m->primary == primary)
            return true;
        if (mask && m->has_secondary && mbus_secondary_match(mask, &m->secondary))
            return true;
    }
    return false;
}

/* Is a clean E5 to mask worth a candidate? A mask matching a known meter may
 * still hide another one answering in step with it, unless its id digits are
 * complete; a candidate with the same mask is not added twice. */
static bool wants(const mbus_search *s, const mbus_secondary *mask) {
    for (size_t i = 0; i < s->n_found; i++)
        if (!s->found[i].pinned && mbus_secondary_equal(&s->found[i].cfg.secondary, mask))
            return false;
    return !known(s, mask, -1) || !mbus_secondary_id_complete(mask);
}

/* The first answer of a meter found by the secondary scan: from now on it is
 * selected by its complete address (a meter added later cannot share it). */
static void pin(mbus_search *s, size_t k, const mbus_header *h) {
    mbus_found_meter *m = &s->found[k];
    m->hdr = *h;
    m->read = true;
    if (m->pinned || !m->cfg.has_secondary || !h->present || !h->is_long)
        return;
    mbus_secondary full = {h->id_bcd, h->manufacturer, h->version, h->medium};
    m->cfg.secondary = full;
    snprintf(m->cfg.name, FOUND_NAME_MAX, "%s-%s", s->cfg->name, h->id);
    m->pinned = true;
}

/* The FCB memory of the known meter (configured or found) that found meter k
 * turned out to be, or NULL when it is a new one. */
static bool *known_fcb_memory(mbus_search *s, size_t k) {
    const mbus_found_meter *m = &s->found[k];
    for (size_t i = 0; i < s->cfg->n_meters; i++)
        if (s->cfg->meters[i].has_secondary &&
            mbus_secondary_match(&s->cfg->meters[i].secondary, &m->cfg.secondary))
            return &s->cfg_fcb_clear[i];
    for (size_t i = 0; i < s->n_found; i++)
        if (i != k && s->found[i].pinned && s->found[i].cfg.has_secondary &&
            mbus_secondary_equal(&s->found[i].cfg.secondary, &m->cfg.secondary))
            return &s->found[i].fcb_clear;
    return NULL;
}

/* A candidate whose first answer shows the address of a meter already known
 * (configured or found): its mask had matched that one; it is dropped. */
static bool drop_duplicate(mbus_search *s, size_t k) {
    const mbus_found_meter *m = &s->found[k];
    if (!m->pinned || !m->cfg.has_secondary)
        return false;
    bool *known_fcb = known_fcb_memory(s, k);
    if (!known_fcb)
        return false;
    /* The known meter answered this request: its next readout toggles from it
     * (set before drop_found moves the found meters). */
    if (!s->cfg->reset_nke)
        *known_fcb = mbus_readout_fcb(s->readout);
    char text[MBUS_SECONDARY_TEXT];
    mbus_secondary_format(&m->cfg.secondary, text);
    log_info(MOD, "%s: %s is already known: dropped", s->cfg->name, text);
    drop_found(s, k);
    return true;
}

/* A candidate's first REQ_UD2 got a garbled answer again (once may be noise):
 * several different RSP_UD collided, so the mask hides several meters. */
static bool collides(const mbus_search *s, int attempt) {
    /* Long frames in step AND into one with an intact header (68 L L 68, as
     * long as L says) and a wrong checksum: several meters, no retry needed.
     * Other garbage may be noise: asked once more. */
    const mbus_rx *rx = mbus_port_rx(s->port);
    const uint8_t *b = rx->buf;
    bool in_step = rx->len >= 6 && b[0] == 0x68 && b[3] == 0x68 && b[1] == b[2] &&
                   rx->len == (size_t)b[1] + 6;
    return in_step || attempt >= 1 || attempt >= s->cfg->retries;
}

/* ---- the search ------------------------------------------------------------ */

static const char *mode_name(mbus_scan_mode m) {
    return m == MBUS_SCAN_PRIMARY ? "primary" : m == MBUS_SCAN_BOTH ? "both" : "secondary";
}

/* Primary addresses asked, or the tree's estimate (a both scan: half each). */
static int percent(const mbus_search *s, bool done) {
    if (done)
        return 100;
    const mbus_scan_cfg *sc = &s->cfg->scan;
    int span = sc->primary_to - sc->primary_from + 1, asked = s->primary - sc->primary_from;
    int primary = span > 0 ? 100 * (asked < span ? asked : span) / span : 100;
    if (s->mode == MBUS_SCAN_PRIMARY)
        return primary > 99 ? 99 : primary;
    int secondary = s->phase == SCAN_SECONDARY ? mbus_scan_percent(&s->scan) : 0;
    int pct = s->mode == MBUS_SCAN_BOTH ? (primary + secondary) / 2 : secondary;
    return pct > 99 ? 99 : pct;
}

static void tell_progress(mbus_search *s, bool done) {
    if (!s->hooks->progress)
        return;
    mbus_search_progress p = {.kind = mode_name(s->mode), .probes = s->probes,
                              .found = s->n_found, .percent = percent(s, done), .done = done};
    s->hooks->progress(s->ctx, &p);
}

static void tell_found(mbus_search *s, size_t k) {
    if (s->hooks->found)
        s->hooks->found(s->ctx, &s->found[k]);
}

static void finish(mbus_search *s) {
    log_info(MOD, "%s: scan done: %zu meters found (%u probes, %u collisions, %u inferred)",
             s->cfg->name, s->n_found, s->scan.probes, s->scan.collisions, s->scan.inferred);
    s->phase = SCAN_IDLE;
    s->report_due = true;
    tell_progress(s, true);
    s->hooks->over(s->ctx);
}

static void start(mbus_search *s) {
    const mbus_scan_cfg *sc = &s->cfg->scan;
    s->mode = s->requested != MBUS_SCAN_OFF ? s->requested : sc->mode;
    s->requested = MBUS_SCAN_OFF;
    s->probes = 0;
    s->primary = sc->primary_from;
    mbus_scan_init(&s->scan, &sc->mask, sc->reverse);
    s->phase = s->mode == MBUS_SCAN_SECONDARY ? SCAN_SECONDARY : SCAN_PRIMARY;
    log_info(MOD, "%s: %s meter scan starts", s->cfg->name, mode_name(s->mode));
    tell_progress(s, false);
    next_probe(s);
}

/* Search again below mask, known to hide several meters (its probe is not
 * sent again), then the cycle goes on. */
static void search_below(mbus_search *s, const mbus_secondary *mask) {
    mbus_secondary first;
    char text[MBUS_SECONDARY_TEXT];
    mbus_scan_init(&s->scan, mask, s->cfg->scan.reverse);
    if (mbus_scan_next(&s->scan, &first))
        mbus_scan_result(&s->scan, MBUS_PROBE_COLLISION);
    s->phase = SCAN_SECONDARY;
    mbus_secondary_format(mask, text);
    log_info(MOD, "%s: meters answering in step below %s: searching there", s->cfg->name, text);
    next_probe(s);
}

static const mbus_port_hooks probe_hooks;

/* A select of the probe's mask, or a REQ_UD2 to the primary address. */
static void send_probe(mbus_search *s) {
    uint8_t tx[MBUS_FRAME_MAX], sel[8];
    size_t len;
    if (s->phase == SCAN_PRIMARY) {
        len = mbus_encode_short(tx, sizeof tx, MBUS_C_REQ_UD2 | MBUS_C_FCB, (uint8_t)s->primary);
    } else {
        mbus_secondary_encode(&s->probe, sel);
        len = mbus_encode_long(tx, sizeof tx, MBUS_C_SND_UD, MBUS_ADDR_SELECTED, MBUS_CI_SELECT,
                               sel, sizeof sel);
    }
    if (s->attempt == 0)
        s->probes++;
    mbus_port_request req = {
        .bytes = tx, .len = len, .baud = s->cfg->baud, .answered = true, .label = "scan"};
    mbus_port_send(s->port, &req, &probe_hooks, s);
}

static void next_probe(mbus_search *s) {
    s->attempt = 0;
    if (s->probes)
        tell_progress(s, false);
    if (s->phase == SCAN_PRIMARY) {
        if (s->primary > s->cfg->scan.primary_to) {
            if (s->mode != MBUS_SCAN_BOTH) {
                finish(s);
                return;
            }
            s->phase = SCAN_SECONDARY;
            next_probe(s);
            return;
        }
        send_probe(s);
        return;
    }
    if (!mbus_scan_next(&s->scan, &s->probe)) {
        finish(s);
        return;
    }
    send_probe(s);
}

static const mbus_readout_hooks discovery_hooks;

/* A probe's clean E5 left the meter it found (and any answering in step with
 * it) selected: read it now, which saves the select of its first readout;
 * the probe's outcome is told to the search once the readout shows it. */
static void read_at_discovery(mbus_search *s) {
    mbus_readout_meter meter = mbus_search_meter(s, s->n_found - 1);
    meter.selected = true;
    mbus_readout_begin(s->readout, &meter, &discovery_hooks, s);
}

/* The readout of a meter found by the current probe is over: the search goes
 * on with the probe's outcome (a collision when the readout showed several
 * meters in step). */
static void discovery_done(mbus_search *s, mbus_probe_outcome outcome) {
    mbus_scan_result(&s->scan, outcome);
    next_probe(s);
}

/* A clean E5 to a mask: a candidate, read at once, unless it is known. */
static bool add_candidate(mbus_search *s) {
    if (!wants(s, &s->probe))
        return false;
    mbus_found_meter *m = add_found(s);
    if (!m)
        return false;
    /* the mask selects it until its first readout pins its address */
    char text[MBUS_SECONDARY_TEXT];
    mbus_secondary_format(&s->probe, text);
    m->cfg.has_secondary = true;
    m->cfg.secondary = s->probe;
    snprintf(m->cfg.name, FOUND_NAME_MAX, "%s-%.8s", s->cfg->name, text);
    log_info(MOD, "%s: found a meter with mask %s", s->cfg->name, text);
    read_at_discovery(s);
    return true;
}

/* The outcome of the current probe is known: record it and go on. */
static void outcome(mbus_search *s, mbus_probe_outcome o) {
    if (s->phase == SCAN_PRIMARY) {
        if (o == MBUS_PROBE_COLLISION)
            log_warn(MOD, "%s: primary address %d: garbled answers (duplicate address?)",
                     s->cfg->name, s->primary);
        s->primary++;
        next_probe(s);
        return;
    }
    if (o == MBUS_PROBE_SINGLE && add_candidate(s))
        return;
    mbus_scan_result(&s->scan, o);
    if (s->scan.unresolved)
        log_debug(MOD, "%s: %u masks with several identical addresses", s->cfg->name,
                  s->scan.unresolved);
    next_probe(s);
}

/* A garbled answer: a collision, or noise. Overlapping E5s are short; anything
 * else is asked once more before the search descends. */
static void probe_rejected(mbus_search *s) {
    bool looks_like_collision =
        s->phase == SCAN_SECONDARY && mbus_port_rx(s->port)->len <= SCAN_COLLISION_MAX_BYTES;
    if (!looks_like_collision && s->attempt == 0) {
        s->attempt++;
        send_probe(s);
        return;
    }
    outcome(s, MBUS_PROBE_COLLISION);
}

/* A meter answered the REQ_UD2 of the primary scan. */
static void primary_found(mbus_search *s) {
    if (known(s, NULL, s->primary)) {
        /* it answered this scan: told as found, though it is read already */
        mbus_found_meter seen = {.cfg = {.name = (char *)"", .primary = s->primary},
                                 .hdr = s->data->hdr};
        if (s->hooks->found)
            s->hooks->found(s->ctx, &seen);
        return;
    }
    mbus_found_meter *m = add_found(s);
    if (!m)
        return;
    m->cfg.primary = s->primary;
    snprintf(m->cfg.name, FOUND_NAME_MAX, "%s-p%d", s->cfg->name, s->primary);
    m->hdr = s->data->hdr;
    m->pinned = true;
    log_info(MOD, "%s: found a meter at primary address %d", s->cfg->name, s->primary);
    tell_found(s, s->n_found - 1);
}

static void on_probe_frame(void *ctx, const mbus_frame *f) {
    mbus_search *s = ctx;
    if (s->phase == SCAN_SECONDARY) {
        if (f->kind != MBUS_FRAME_ACK) {
            probe_rejected(s); /* anything but E5 answers a select only in a collision */
            return;
        }
        /* Another meter may answer later, up to the response timeout after
         * the request: only silence until then proves a single meter. */
        mbus_port_await_more(s->port);
        return;
    }
    mbus_error err = {0};
    if (f->kind != MBUS_FRAME_LONG ||
        mbus_app_decode(f->ci, f->data, f->data_len, s->data, &err) != MBUS_OK) {
        probe_rejected(s);
        return;
    }
    primary_found(s);
    outcome(s, MBUS_PROBE_SINGLE);
}

static void on_probe_timeout(void *ctx) {
    outcome(ctx, MBUS_PROBE_NONE);
}

static void on_probe_bad(void *ctx, const char *why) {
    (void)why; /* the search tells collisions from noise by the bytes, not by why */
    probe_rejected(ctx);
}

static void on_probe_more(void *ctx) {
    outcome(ctx, MBUS_PROBE_COLLISION); /* bytes after the E5: several meters answered */
}

static void on_probe_quiet(void *ctx) {
    outcome(ctx, MBUS_PROBE_SINGLE);
}

static const mbus_port_hooks probe_hooks = {.frame = on_probe_frame,
                                            .timeout = on_probe_timeout,
                                            .bad = on_probe_bad,
                                            .more = on_probe_more,
                                            .quiet = on_probe_quiet};

/* ---- the readout of a found meter -------------------------------------------- */

/* The meter read at discovery is the last one found. */
static size_t discovered(const mbus_search *s) {
    return s->n_found - 1;
}

static void on_discovery_done(void *ctx, bool read) {
    mbus_search *s = ctx;
    if (read)
        s->found[discovered(s)].read_in_scan = true;
    discovery_done(s, MBUS_PROBE_SINGLE);
}

static bool on_discovery_answer(void *ctx, const mbus_header *hdr) {
    mbus_search *s = ctx;
    pin(s, discovered(s), hdr);
    tell_found(s, discovered(s)); /* a meter known already answered this scan too */
    if (!drop_duplicate(s, discovered(s)))
        return true;
    discovery_done(s, MBUS_PROBE_SINGLE);
    return false;
}

static bool on_discovery_garbled(void *ctx, int attempt) {
    mbus_search *s = ctx;
    if (!collides(s, attempt))
        return false;
    drop_found(s, discovered(s));
    discovery_done(s, MBUS_PROBE_COLLISION);
    return true;
}

static void on_discovery_phantom(void *ctx, const mbus_secondary *mask) {
    mbus_search *s = ctx;
    (void)mask; /* the search goes on below the probe's mask anyway */
    drop_found(s, discovered(s));
    discovery_done(s, MBUS_PROBE_COLLISION);
}

static const mbus_readout_hooks discovery_hooks = {.done = on_discovery_done,
                                                   .first_answer = on_discovery_answer,
                                                   .garbled = on_discovery_garbled,
                                                   .phantom = on_discovery_phantom};

bool mbus_search_first_answer(mbus_search *s, size_t k, const mbus_header *hdr) {
    bool was_pinned = s->found[k].pinned;
    pin(s, k, hdr);
    if (drop_duplicate(s, k))
        return false;
    if (!was_pinned && s->found[k].pinned)
        tell_found(s, k);
    return true;
}

bool mbus_search_garbled(mbus_search *s, size_t k, int attempt) {
    if (!collides(s, attempt))
        return false;
    mbus_secondary mask = s->found[k].cfg.secondary;
    drop_found(s, k);
    search_below(s, &mask);
    return true;
}

void mbus_search_phantom(mbus_search *s, size_t k, const mbus_secondary *mask) {
    mbus_secondary below = *mask;
    drop_found(s, k);
    search_below(s, &below);
}

/* ---- when ------------------------------------------------------------------- */

void mbus_search_request(mbus_search *s) {
    s->due = true;
}

void mbus_search_request_mode(mbus_search *s, mbus_scan_mode mode) {
    s->requested = mode;
    s->due = true;
}

bool mbus_search_busy(const mbus_search *s) {
    return s->phase != SCAN_IDLE;
}

bool mbus_search_cycle_starts(mbus_search *s, int64_t now_ns) {
    const mbus_scan_cfg *sc = &s->cfg->scan;
    /* scan.every: meters added to the bus are found without a signal */
    if (sc->mode != MBUS_SCAN_OFF && sc->every_ns > 0 &&
        (!s->scanned || now_ns - s->last_scan_ns >= sc->every_ns))
        s->due = true;
    if (!s->due)
        return false;
    s->due = false;
    s->scanned = true;
    s->last_scan_ns = now_ns;
    start(s);
    return true;
}

void mbus_search_cycle_end(mbus_search *s, int64_t wall_ns) {
    if (!s->report_due || !s->cfg->scan.report)
        return;
    s->report_due = false;
    char err[256];
    if (!mbus_scan_report_write(s->cfg->scan.report, s->cfg, s->found, s->n_found, wall_ns, err,
                                sizeof err))
        log_warn(MOD, "%s: commission report: %s", s->cfg->name, err);
}
