/* dlms_quirks: the `quirks:` map of an emulated DLMS meter (see dlms_quirks.h). */
#include "sim/dlms/dlms_quirks.h"

#include <string.h>

#include "codec/dlms/dlms_axdr.h"

static bool parse_malformed(const cfg_node *seq, dlms_quirks *q, cfg_err *err) {
    if (seq->kind != CFG_SEQ) return cfg_fail(err, seq, "malformed: a list of logical names");
    if (seq->n > DLMS_QUIRK_MAX_OBJECTS) return cfg_fail(err, seq, "malformed: at most %d objects", DLMS_QUIRK_MAX_OBJECTS);
    q->n_malformed = 0;
    for (size_t i = 0; i < seq->n; i++) {
        const cfg_node *item = seq->items[i];
        if (item->kind != CFG_SCALAR || !dlms_obis_parse(item->scalar, q->malformed[q->n_malformed]))
            return cfg_fail(err, item, "malformed: not a logical name");
        q->n_malformed++;
    }
    return true;
}

bool dlms_quirks_parse(const cfg_node *map, dlms_quirks *q, cfg_err *err) {
    static const char *const keys[] = {"trailing_bytes", "repeat_boundary_rows", "empty_last_block",
                                       "event_burst", "malformed", NULL};
    long long trailing, burst;
    if (map->kind != CFG_MAP) return cfg_fail(err, map, "quirks must be a map");
    if (!cfg_only_keys(map, keys, err) ||
        !cfg_int(map, "trailing_bytes", (long long)q->trailing_bytes, 0, 64, &trailing, err) ||
        !cfg_bool(map, "repeat_boundary_rows", q->repeat_boundary_rows, &q->repeat_boundary_rows, err) ||
        !cfg_bool(map, "empty_last_block", q->empty_last_block, &q->empty_last_block, err) ||
        !cfg_int(map, "event_burst", q->event_burst ? q->event_burst : 1, 1, 16, &burst, err))
        return false;
    q->trailing_bytes = (size_t)trailing;
    q->event_burst = (int)burst;
    const cfg_node *mal = cfg_get(map, "malformed");
    return !mal || parse_malformed(mal, q, err);
}

bool dlms_quirks_malformed(const dlms_quirks *q, const uint8_t obis[6]) {
    for (size_t i = 0; i < q->n_malformed; i++)
        if (memcmp(q->malformed[i], obis, 6) == 0) return true;
    return false;
}
