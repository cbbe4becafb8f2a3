/* dlms_server_config: parsing `dlms_server:` (see dlms_server_config.h). */
#include "north/dlms_server/dlms_server_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "codec/dlms/dlms_exception.h"
#include "codec/dlms/dlms_wrapper.h"

static const uint8_t EVENT_LOG_OBIS[6] = {0, 0, 99, 98, 0, 255};

static bool parse_obis(const cfg_node *m, const char *key, bool required, bool *has, uint8_t out[6],
                       cfg_err *err) {
    const char *text;
    if (!cfg_str(m, key, NULL, &text, err)) return false;
    if (has) *has = text != NULL;
    if (!text) return required ? cfg_fail(err, m, "%s is required", key) : true;
    if (!dlms_obis_parse(text, out))
        return cfg_fail(err, cfg_get(m, key), "%s: \"%s\" is not a logical name (A-B:C.D.E.F)", key, text);
    return true;
}

static bool parse_key(const cfg_node *m, const char *key, uint8_t *out, size_t n, cfg_err *err) {
    const char *text;
    if (!cfg_str(m, key, NULL, &text, err)) return false;
    if (!text) return cfg_fail(err, m, "%s is required for auth: hls", key);
    bool ok = n == DLMS_KEY_LEN ? dlms_key_parse(text, out) : dlms_systitle_parse(text, out);
    if (!ok) return cfg_fail(err, cfg_get(m, key), "%s must be %zu hex digits", key, 2 * n);
    return true;
}

static bool parse_client(const cfg_node *m, dlms_srv_client *c, cfg_err *err) {
    static const char *const keys[] = {"sap", "auth", "password", "ek", "ak", "reads", NULL};
    const char *auth, *password, *reads;
    long long sap;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a client must be a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_int(m, "sap", -1, 1, 127, &sap, err) ||
        !cfg_str(m, "auth", "none", &auth, err) || !cfg_str(m, "password", NULL, &password, err) ||
        !cfg_str(m, "reads", NULL, &reads, err))
        return false;
    if (sap < 0) return cfg_fail(err, m, "sap is required (the client's wPort, 16 = public client)");
    c->sap = (uint8_t)sap;
    if (strcmp(auth, "none") == 0) c->auth = DLMS_AUTH_NONE;
    else if (strcmp(auth, "lls") == 0) c->auth = DLMS_AUTH_LLS;
    else if (strcmp(auth, "hls") == 0) c->auth = DLMS_AUTH_HLS_GMAC;
    else return cfg_fail(err, cfg_get(m, "auth"), "auth must be one of: none, lls, hls");
    if (c->auth == DLMS_AUTH_LLS) {
        if (!password || !*password) return cfg_fail(err, m, "password is required for auth: lls");
        if (strlen(password) > DLMS_MAX_SECRET)
            return cfg_fail(err, cfg_get(m, "password"), "password: at most %d characters", DLMS_MAX_SECRET);
        snprintf(c->password, sizeof c->password, "%s", password);
    } else if (password) {
        return cfg_fail(err, cfg_get(m, "password"), "password is for auth: lls only");
    }
    if (c->auth == DLMS_AUTH_HLS_GMAC &&
        (!parse_key(m, "ek", c->keys.ek, DLMS_KEY_LEN, err) || !parse_key(m, "ak", c->keys.ak, DLMS_KEY_LEN, err)))
        return false;
    c->reads_all = c->auth != DLMS_AUTH_NONE;
    if (reads && strcmp(reads, "all") == 0) c->reads_all = true;
    else if (reads && strcmp(reads, "identity") == 0) c->reads_all = false;
    else if (reads) return cfg_fail(err, cfg_get(m, "reads"), "reads must be one of: identity, all");
    return true;
}

static bool parse_clients(const cfg_node *seq, dlms_server_config *c, cfg_err *err) {
    if (!seq) { /* the public client alone */
        c->clients[0] = (dlms_srv_client){.sap = WPORT_PUBLIC_CLIENT, .auth = DLMS_AUTH_NONE};
        c->n_clients = 1;
        return true;
    }
    if (seq->kind != CFG_SEQ) return cfg_fail(err, seq, "clients must be a list");
    if (seq->n > DLMS_SRV_MAX_CLIENTS) return cfg_fail(err, seq, "at most %d clients", DLMS_SRV_MAX_CLIENTS);
    for (size_t i = 0; i < seq->n; i++) {
        if (!parse_client(seq->items[i], &c->clients[i], err)) return false;
        for (size_t j = 0; j < i; j++)
            if (c->clients[j].sap == c->clients[i].sap)
                return cfg_fail(err, seq->items[i], "client sap %u is listed twice", c->clients[i].sap);
        c->n_clients++;
    }
    return true;
}

static bool parse_register(const cfg_node *m, dlms_srv_register *r, cfg_err *err) {
    static const char *const keys[] = {"point", "obis", "class", "scaler", "unit", NULL};
    const char *point, *cls, *unit;
    long long scaler;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a register must be a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_str(m, "point", NULL, &point, err) ||
        !cfg_str(m, "class", "register", &cls, err) || !cfg_str(m, "unit", NULL, &unit, err) ||
        !parse_obis(m, "obis", false, &r->has_obis, r->obis, err) ||
        !cfg_int(m, "scaler", 1000, -128, 127, &scaler, err))
        return false;
    if (!point || !*point) return cfg_fail(err, m, "point is required (the data point served)");
    if (strcmp(cls, "register") == 0) r->kind = DLMS_SRV_REGISTER;
    else if (strcmp(cls, "data") == 0) r->kind = DLMS_SRV_DATA;
    else return cfg_fail(err, cfg_get(m, "class"), "class must be one of: register, data");
    r->has_scaler = scaler != 1000;
    r->scaler = (int8_t)(r->has_scaler ? scaler : 0);
    if (unit) {
        int code = dlms_unit_code(unit);
        if (code == 255 && strcmp(unit, "") != 0 && strcmp(unit, "none") != 0)
            return cfg_fail(err, cfg_get(m, "unit"), "unit \"%s\" has no COSEM code (Wh, W, V, A, m3, ...)", unit);
        r->has_unit = true;
        r->unit = (uint8_t)code;
    }
    r->point = strdup(point);
    return r->point != NULL;
}

static bool parse_column(const cfg_node *m, dlms_srv_column *col, cfg_err *err) {
    static const char *const keys[] = {"point", "register", "obis", NULL};
    const char *point;
    bool has_obis;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a column must be a map");
    if (!cfg_only_keys(m, keys, err) || !cfg_str(m, "point", NULL, &point, err) ||
        !parse_obis(m, "register", false, &col->has_register, col->obis, err))
        return false;
    if (!point || !*point) return cfg_fail(err, m, "point is required (the stored point of the column)");
    if (!col->has_register) {
        if (!parse_obis(m, "obis", true, &has_obis, col->obis, err)) return false;
    } else if (cfg_get(m, "obis")) {
        return cfg_fail(err, cfg_get(m, "obis"), "a column names a register or a data object (obis), not both");
    }
    col->point = strdup(point);
    return col->point != NULL;
}

static bool parse_profile(const cfg_node *m, dlms_srv_profile *p, cfg_err *err) {
    static const char *const keys[] = {"obis", "period", "columns", NULL};
    const cfg_node *cols;
    if (m->kind != CFG_MAP) return cfg_fail(err, m, "a profile must be a map");
    if (!cfg_only_keys(m, keys, err) || !parse_obis(m, "obis", true, NULL, p->obis, err) ||
        !cfg_duration_ns(m, "period", 15 * 60 * NS_PER_S, &p->period_ns, err) ||
        !(cols = cfg_require(m, "columns", CFG_SEQ, err)))
        return false;
    if (p->period_ns < NS_PER_S) return cfg_fail(err, cfg_get(m, "period"), "period must be at least 1s");
    if (cols->n == 0 || cols->n > DLMS_SRV_MAX_COLUMNS)
        return cfg_fail(err, cols, "a profile has 1 to %d columns (after the clock)", DLMS_SRV_MAX_COLUMNS);
    for (size_t i = 0; i < cols->n; i++, p->n_cols++)
        if (!parse_column(cols->items[i], &p->cols[i], err)) return false;
    return true;
}

static bool parse_list(const cfg_node *sec, const char *key, size_t size, void **items, size_t *n,
                       bool (*one)(const cfg_node *, void *, cfg_err *), cfg_err *err) {
    const cfg_node *seq = cfg_get(sec, key);
    if (!seq) return true;
    if (seq->kind != CFG_SEQ) return cfg_fail(err, seq, "%s must be a list", key);
    if (!(*items = calloc(seq->n ? seq->n : 1, size))) return cfg_fail(err, seq, "out of memory");
    for (size_t i = 0; i < seq->n; i++, (*n)++)
        if (!one(seq->items[i], (char *)*items + i * size, err)) {
            (*n)++; /* freed with the others */
            return false;
        }
    return true;
}

static bool one_register(const cfg_node *m, void *r, cfg_err *err) { return parse_register(m, r, err); }
static bool one_profile(const cfg_node *m, void *p, cfg_err *err) { return parse_profile(m, p, err); }

static bool parse_hdlc(const cfg_node *h, dlms_server_config *c, cfg_err *err) {
    static const char *const keys[] = {"device", "baud", "physical", "max_info", NULL};
    const char *device;
    long long physical, info;
    if (!h) return true;
    if (h->kind != CFG_MAP) return cfg_fail(err, h, "hdlc must be a map {device, baud, physical}");
    if (!cfg_only_keys(h, keys, err) || !cfg_str(h, "device", NULL, &device, err) ||
        !cfg_int(h, "baud", 9600, 300, 115200, &c->hdlc_baud, err) ||
        !cfg_int(h, "physical", 16, 1, 0x3FFF, &physical, err) ||
        !cfg_int(h, "max_info", 128, 32, 2030, &info, err))
        return false;
    if (!device || !*device) return cfg_fail(err, h, "device is required (the serial port)");
    c->hdlc_physical = (uint16_t)physical;
    c->hdlc_max_info = (size_t)info;
    return (c->hdlc_device = strdup(device)) != NULL;
}

static bool parse_tcp(const cfg_node *t, dlms_server_config *c, cfg_err *err) {
    static const char *const keys[] = {"port", "bind", "max_connections", "idle_timeout", NULL};
    const char *bind;
    c->max_connections = 4;
    if (!t) return true;
    if (t->kind != CFG_MAP) return cfg_fail(err, t, "tcp must be a map");
    c->tcp = true;
    if (!cfg_only_keys(t, keys, err) || !cfg_int(t, "port", 4059, 1, 65535, &c->port, err) ||
        !cfg_str(t, "bind", "0.0.0.0", &bind, err) ||
        !cfg_int(t, "max_connections", 4, 1, 64, &c->max_connections, err) ||
        !cfg_duration_ns(t, "idle_timeout", 120 * NS_PER_S, &c->idle_timeout_ns, err))
        return false;
    return (c->bind = strdup(bind)) != NULL;
}

static bool parse_events(const cfg_node *sec, dlms_server_config *c, cfg_err *err) {
    const cfg_node *ev = cfg_get(sec, "event_log");
    memcpy(c->event_obis, EVENT_LOG_OBIS, 6);
    c->event_log = true;
    if (!ev) return true;
    if (ev->kind == CFG_SCALAR) return cfg_node_bool(ev, &c->event_log, err);
    static const char *const keys[] = {"obis", NULL};
    bool has;
    if (!cfg_only_keys(ev, keys, err)) return false;
    return parse_obis(ev, "obis", false, &has, c->event_obis, err);
}

static bool parse_body(const cfg_node *sec, const char *gateway_name, dlms_server_config *c, cfg_err *err) {
    static const char *const keys[] = {"tcp", "hdlc", "logical_device", "max_pdu", "system_title", "device_id",
                                       "max_entries", "clients", "registers", "profiles", "event_log", NULL};
    long long logical, pdu, entries;
    const char *title, *device;
    if (sec->kind != CFG_MAP) return cfg_fail(err, sec, "dlms_server must be a map");
    if (!cfg_only_keys(sec, keys, err) || !parse_tcp(cfg_get(sec, "tcp"), c, err) ||
        !parse_hdlc(cfg_get(sec, "hdlc"), c, err) ||
        !cfg_int(sec, "logical_device", 1, 1, 0x3FFF, &logical, err) ||
        !cfg_int(sec, "max_pdu", 1024, 64, 65535, &pdu, err) ||
        !cfg_int(sec, "max_entries", 10000, 1, 1000000, &entries, err) ||
        !cfg_str(sec, "system_title", "4757440000000001", &title, err) ||
        !cfg_str(sec, "device_id", gateway_name ? gateway_name : "gwd", &device, err) ||
        !parse_clients(cfg_get(sec, "clients"), c, err) || !parse_events(sec, c, err))
        return false;
    if (!c->tcp && !c->hdlc_device) return cfg_fail(err, sec, "dlms_server needs tcp, hdlc or both");
    if (!dlms_systitle_parse(title, c->systitle))
        return cfg_fail(err, cfg_get(sec, "system_title"), "system_title must be 16 hex digits or 8 characters");
    c->logical = (uint16_t)logical;
    c->max_pdu = (uint16_t)pdu;
    c->max_entries = (size_t)entries;
    if (!(c->device_id = strdup(device))) return cfg_fail(err, sec, "out of memory");
    return parse_list(sec, "registers", sizeof *c->regs, (void **)&c->regs, &c->n_regs, one_register, err) &&
           parse_list(sec, "profiles", sizeof *c->profiles, (void **)&c->profiles, &c->n_profiles, one_profile, err);
}

bool dlms_server_config_parse(const cfg_node *sec, const char *gateway_name, dlms_server_config **out,
                              cfg_err *err) {
    *out = NULL;
    if (!sec) return true;
    dlms_server_config *c = calloc(1, sizeof *c);
    if (!c) return cfg_fail(err, sec, "out of memory");
    if (!parse_body(sec, gateway_name, c, err)) {
        dlms_server_config_free(c);
        return false;
    }
    *out = c;
    return true;
}

void dlms_server_config_free(dlms_server_config *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_regs; i++) free(c->regs[i].point);
    for (size_t i = 0; i < c->n_profiles; i++)
        for (size_t k = 0; k < c->profiles[i].n_cols; k++) free(c->profiles[i].cols[k].point);
    free(c->regs);
    free(c->profiles);
    free(c->bind);
    free(c->hdlc_device);
    free(c->device_id);
    free(c);
}

const dlms_srv_client *dlms_server_client(const dlms_server_config *c, uint8_t sap) {
    for (size_t i = 0; i < c->n_clients; i++)
        if (c->clients[i].sap == sap) return &c->clients[i];
    return NULL;
}
