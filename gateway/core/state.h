/* state: what a driver keeps across restarts, in protocol-neutral terms.
 *
 * Two kinds of memory: small integers under a key of the driver's choosing
 * (a DLMS meter's HLS frame counter: "dlms/<meter>/fc"), and what was
 * published before the restart (the newest time of a point and its samples
 * at that time: where a profile read resumes). The store implements it
 * (store/store_state.c); without a store there is none (gw_services.state is
 * NULL) and nothing survives a restart. The helpers below take NULL. */
#ifndef GW_STATE_H
#define GW_STATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One stored sample: a number, or a text (strings; bytes as "AB CD"), or neither. */
typedef void (*gw_sample_fn)(void *arg, bool has_number, double number, const char *text);

typedef struct gw_state {
    void *impl;
    /* false when the key was never put */
    bool (*get)(void *impl, const char *key, int64_t *value);
    /* durable when it returns true: a value may be relied on at once */
    bool (*put)(void *impl, const char *key, int64_t value);
    /* newest time (ns) of a point's topical samples, 0 when none */
    int64_t (*point_latest)(void *impl, const char *point);
    /* each topical sample of a point at exactly ts, oldest first; returns how many */
    size_t (*point_samples_at)(void *impl, const char *point, int64_t ts, gw_sample_fn fn, void *arg);
} gw_state;

static inline bool gw_state_get(const gw_state *s, const char *key, int64_t *value) {
    return s && s->get(s->impl, key, value);
}

static inline bool gw_state_put(const gw_state *s, const char *key, int64_t value) {
    return s && s->put(s->impl, key, value);
}

static inline int64_t gw_state_point_latest(const gw_state *s, const char *point) {
    return s ? s->point_latest(s->impl, point) : 0;
}

static inline size_t gw_state_point_samples_at(const gw_state *s, const char *point, int64_t ts,
                                               gw_sample_fn fn, void *arg) {
    return s ? s->point_samples_at(s->impl, point, ts, fn, arg) : 0;
}
#endif
