/* dlms_client_tolerate: a bad object fails that object only, and what meters do
 * beside the standard is read as far as it can be, counted and reported once.
 *
 * - An object whose read fails has its point marked invalid and not topical; an
 *   `object_error` event is raised when it starts failing and an `object_recovered`
 *   event when it reads again, so a meter lacking an object does not raise one
 *   event per poll. Every failure is counted (<meter>/link/object_errors).
 * - Tolerated quirks (bytes after an APDU, a repeated block, a late answer to an
 *   earlier request, a block transfer whose entries disagree with their declared
 *   count) are counted per meter (<meter>/link/...) with one `tolerated` event the
 *   first time each kind is seen. docs/dlms.md lists them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "south/dlms/dlms_client_int.h"
#include "core/log.h"

static const char *const TOLERATED_POINT[TOL_KINDS] = {
    [TOL_TRAILING] = "link/trailing_bytes_answers",
    [TOL_REPEATED_BLOCK] = "link/repeated_blocks",
    [TOL_STALE] = "link/stale_answers",
    [TOL_MISMATCH] = "link/profile_count_mismatches",
};

/* The object's own point (registers, data, clock, disconnect control): invalid and
 * not topical from now. Profile entries keep their quality: they were right. */
static void mark_invalid(meter *m, const dlms_object_cfg *o) {
    if (o->kind == DLMS_OBJ_PROFILE) return;
    char id[2 * DLMS_NAME_MAX + 8];
    snprintf(id, sizeof id, "%s/%s", m->cfg->name, o->name);
    const dp *old = datahub_get(m->net->c->hub, id);
    if (!old) return;
    dp marked = *old;
    marked.quality |= DPQ_INVALID | DPQ_NOT_TOPICAL;
    marked.ts_ns = clock_wall_ns();
    datahub_publish(m->net->c->hub, &marked);
}

void dlms_object_failed(meter *m, const dlms_object_cfg *o, const char *fmt, ...) {
    obj_rt *rt = &m->objs[o - m->cfg->objects];
    char why[300], obis[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    dlms_obis_format(o->obis, obis, sizeof obis);
    m->object_errors++;
    rt->failures++;
    mark_invalid(m, o);
    if (rt->failing) {
        log_debug(MOD, "%s: %s (%s) still failing (%u): %s", m->cfg->name, o->name, obis, rt->failures, why);
        return;
    }
    rt->failing = true;
    log_warn(MOD, "%s: %s (%s): %s", m->cfg->name, o->name, obis, why);
    dlms_publish_event(m, "object_error", "%s (%s): %s", o->name, obis, why);
}

void dlms_object_read(meter *m, const dlms_object_cfg *o) {
    obj_rt *rt = &m->objs[o - m->cfg->objects];
    if (!rt->failing) return;
    char obis[32];
    dlms_obis_format(o->obis, obis, sizeof obis);
    dlms_publish_event(m, "object_recovered", "%s (%s): read again after %u failed reads", o->name, obis,
                       rt->failures);
    rt->failing = false;
    rt->failures = 0;
}

void dlms_tolerated(meter *m, tolerated_kind kind, const char *fmt, ...) {
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (m->tolerated[kind]++ == 0)
        dlms_publish_event(m, "tolerated", "%s (first seen; counted in %s/%s)", what, m->cfg->name,
                           TOLERATED_POINT[kind]);
    else
        log_debug(MOD, "%s: tolerated: %s", m->cfg->name, what);
}

static void publish_count(meter *m, const char *name, unsigned count, int64_t wall) {
    dp_value v = {.type = DP_INT, .i = count};
    dlms_publish_point(m, name, "counter", NULL, &v, 0, "", wall, 0, count, true, 0);
}

/* After each job; a counter appears once it is not zero. */
void dlms_publish_link_counters(meter *m, int64_t wall) {
    unsigned values = m->values; /* counters are not readings of this job */
    for (int k = 0; k < TOL_KINDS; k++)
        if (m->tolerated[k]) publish_count(m, TOLERATED_POINT[k], m->tolerated[k], wall);
    if (m->object_errors) publish_count(m, "link/object_errors", m->object_errors, wall);
    m->values = values;
}
