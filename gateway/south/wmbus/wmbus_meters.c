/* wmbus_meters: meter list, listen cache, duplicates, access numbers (see wmbus_meters.h). */
#include "south/wmbus/wmbus_meters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_id(uint32_t id, size_t cap) {
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 32) & (cap - 1);
}

void wmbus_meter_label(uint16_t man, uint32_t id_bcd, char *out, size_t cap) {
    char letters[4] = {(char)('@' + ((man >> 10) & 31)), (char)('@' + ((man >> 5) & 31)),
                       (char)('@' + (man & 31)), 0};
    snprintf(out, cap, "%s-%08X", letters, id_bcd);
}

static bool build_index(wmbus_meters *m) {
    m->index_cap = 16;
    while (m->index_cap < 2 * m->n_known)
        m->index_cap *= 2;
    m->index = malloc(m->index_cap * sizeof *m->index);
    if (!m->index)
        return false;
    for (size_t i = 0; i < m->index_cap; i++)
        m->index[i] = -1;
    for (size_t i = 0; i < m->n_known; i++) {
        size_t s = hash_id(m->known[i].id_bcd, m->index_cap);
        while (m->index[s] >= 0)
            s = (s + 1) & (m->index_cap - 1);
        m->index[s] = (int32_t)i;
    }
    return true;
}

bool wmbus_meters_init(wmbus_meters *m, const wmbus_module_cfg *cfg) {
    memset(m, 0, sizeof *m);
    m->n_known = cfg->n_meters;
    m->known = calloc(cfg->n_meters ? cfg->n_meters : 1, sizeof *m->known);
    m->listen_cap = cfg->listen ? (size_t)cfg->listen_cache : 0;
    m->listen = calloc(m->listen_cap ? m->listen_cap : 1, sizeof *m->listen);
    if (!m->known || !m->listen) {
        wmbus_meters_free(m);
        return false;
    }
    for (size_t i = 0; i < cfg->n_meters; i++) {
        wmbus_meter *mt = &m->known[i];
        mt->cfg = &cfg->meters[i];
        snprintf(mt->name, sizeof mt->name, "%s", cfg->meters[i].name);
        mt->id_bcd = cfg->meters[i].id_bcd;
        mt->manufacturer = cfg->meters[i].manufacturer;
    }
    if (!build_index(m)) {
        wmbus_meters_free(m);
        return false;
    }
    return true;
}

void wmbus_meters_free(wmbus_meters *m) {
    free(m->known);
    free(m->listen);
    free(m->index);
    memset(m, 0, sizeof *m);
}

wmbus_meter *wmbus_meters_find(wmbus_meters *m, uint32_t id_bcd, uint16_t manufacturer) {
    if (!m->index)
        return NULL;
    for (size_t s = hash_id(id_bcd, m->index_cap); m->index[s] >= 0; s = (s + 1) & (m->index_cap - 1)) {
        wmbus_meter *mt = &m->known[m->index[s]];
        if (mt->id_bcd == id_bcd && (mt->cfg->any_man || mt->manufacturer == manufacturer))
            return mt;
    }
    return NULL;
}

static void listen_entry(wmbus_meter *mt, uint32_t id, uint16_t man, uint8_t ver, uint8_t type) {
    memset(mt, 0, sizeof *mt);
    mt->id_bcd = id;
    mt->manufacturer = man;
    mt->version = ver;
    mt->device_type = type;
    char label[24];
    wmbus_meter_label(man, id, label, sizeof label);
    snprintf(mt->name, sizeof mt->name, "listen:%s", label);
}

wmbus_meter *wmbus_meters_listen(wmbus_meters *m, uint32_t id_bcd, uint16_t man, uint8_t ver,
                                 uint8_t type, int64_t now_ns, bool *is_new, char *evicted,
                                 size_t cap) {
    *is_new = false;
    if (evicted && cap)
        evicted[0] = '\0';
    if (m->listen_cap == 0)
        return NULL;
    size_t oldest = 0;
    for (size_t i = 0; i < m->n_listen; i++) {
        wmbus_meter *mt = &m->listen[i];
        if (mt->id_bcd == id_bcd && mt->manufacturer == man)
            return mt;
        if (mt->last_heard_ns < m->listen[oldest].last_heard_ns)
            oldest = i;
    }
    *is_new = true;
    wmbus_meter *slot;
    if (m->n_listen < m->listen_cap) {
        slot = &m->listen[m->n_listen++];
    } else {
        slot = &m->listen[oldest];
        if (evicted && cap)
            snprintf(evicted, cap, "%s", slot->name);
        m->evicted++;
    }
    listen_entry(slot, id_bcd, man, ver, type);
    slot->first_heard_ns = slot->last_heard_ns = now_ns;
    return slot;
}

uint64_t wmbus_fingerprint(const uint8_t *frame, size_t len) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 2; i < len; i++)     /* M A and everything after the C field */
        h = (h ^ frame[i]) * 1099511628211ULL;
    return h ^ len;
}

bool wmbus_meter_seen(wmbus_meter *mt, uint64_t fp, int64_t now_ns, int64_t window_ns) {
    for (unsigned i = 0; i < WMBUS_DEDUP_SLOTS; i++)
        if (mt->recent[i] == fp && mt->recent_ns[i] != 0 && now_ns - mt->recent_ns[i] <= window_ns) {
            mt->duplicates++;
            mt->dirty = true;
            return true;
        }
    return false;
}

void wmbus_meter_remember(wmbus_meter *mt, uint64_t fp, int64_t now_ns) {
    mt->recent[mt->recent_next] = fp;
    mt->recent_ns[mt->recent_next] = now_ns ? now_ns : 1;
    mt->recent_next = (mt->recent_next + 1) % WMBUS_DEDUP_SLOTS;
}

bool wmbus_meter_is_duplicate(wmbus_meter *mt, uint64_t fp, int64_t now_ns, int64_t window_ns) {
    if (wmbus_meter_seen(mt, fp, now_ns, window_ns))
        return true;
    wmbus_meter_remember(mt, fp, now_ns);
    return false;
}

unsigned wmbus_meter_heard(wmbus_meter *mt, bool has_access, uint8_t access, double rssi,
                           int64_t now_ns) {
    unsigned gap = 0;
    if (has_access && mt->has_access) {
        unsigned step = (uint8_t)(access - mt->last_access);
        /* 0 is a re-send the fingerprint did not catch; a huge jump is a restart */
        if (step > 1 && step < 128)
            gap = step - 1;
    }
    if (has_access) {
        mt->has_access = true;
        mt->last_access = access;
    }
    if (mt->heard == 0)
        mt->first_heard_ns = now_ns;
    mt->heard++;
    mt->missed += gap;
    mt->rssi_dbm = rssi;
    mt->rssi_sum += rssi;
    mt->last_heard_ns = now_ns;
    mt->dirty = true;
    return gap;
}

uint64_t wmbus_meter_expected(const wmbus_meter *mt, int64_t since_ns, int64_t now_ns) {
    int64_t interval = mt->cfg ? mt->cfg->interval_ns : 0;
    if (interval > 0) {
        int64_t from = mt->heard ? mt->first_heard_ns : since_ns;
        uint64_t by_time = (mt->heard ? 1 : 0) + (uint64_t)((now_ns - from) / interval);
        return by_time > mt->heard + mt->missed ? by_time : mt->heard + mt->missed;
    }
    return mt->heard + mt->missed;
}
