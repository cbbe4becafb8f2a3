/* scan: wildcard tree search over secondary addresses (see scan.h). */
#include "south/mbus/scan.h"

#include <string.h>

#define ID_DIGITS MBUS_SECONDARY_ID_NIBBLES
#define ID_VALUES 10  /* BCD: the id digits are complete with 0-9 */
#define HEX_VALUES 15 /* 0-E: F is the wildcard, it cannot be selected */

static int n_values(int pos) {
    return pos < ID_DIGITS ? ID_VALUES : HEX_VALUES;
}

/* Values are tried in ascending order, or descending with `reverse`. */
static unsigned value_at(const mbus_scan *s, int pos, int index) {
    int n = n_values(pos);
    return (unsigned)(s->reverse ? n - 1 - index : index);
}

/* A mask with at least two meters: split it one level deeper, if it can be. */
static void descend(mbus_scan *s, const mbus_secondary *mask, bool proven) {
    int pos = mbus_secondary_first_wildcard(mask);
    if (pos < 0 || s->depth == MBUS_SECONDARY_NIBBLES + 1) {
        s->unresolved += proven; /* meters with the same complete address cannot be told apart */
        return;
    }
    mbus_scan_frame *f = &s->stack[s->depth++];
    memset(f, 0, sizeof *f);
    f->mask = *mask;
    f->pos = pos;
    f->proven = proven;
}

/* The top frame is done: its meters count for its parent's next guesses. */
static void pop(mbus_scan *s) {
    unsigned found = s->stack[--s->depth].found;
    if (s->depth == 0)
        return;
    mbus_scan_frame *parent = &s->stack[s->depth - 1];
    parent->found += found;
    parent->last_child[0] = parent->last_child[1];
    parent->last_child[1] = found;
    parent->finished++;
}

/* Rule 5: the siblings before were crowded, so this one will collide too. */
static bool expect_collision(const mbus_scan_frame *f) {
    return f->finished >= 2 && f->last_child[0] >= MBUS_SCAN_DENSE &&
           f->last_child[1] >= MBUS_SCAN_DENSE;
}

void mbus_scan_init(mbus_scan *s, const mbus_secondary *base, bool reverse) {
    memset(s, 0, sizeof *s);
    s->base = base ? *base : mbus_secondary_any();
    s->reverse = reverse;
}

/* Walk the tree to the next child worth a probe; false when it is exhausted. */
static bool next_child(mbus_scan *s) {
    for (;;) {
        if (s->depth == 0)
            return false;
        mbus_scan_frame *f = &s->stack[s->depth - 1];
        int n = n_values(f->pos);
        if (f->next >= n) {
            pop(s);
            continue;
        }
        mbus_secondary child = f->mask;
        mbus_secondary_set_nibble(&child, f->pos, value_at(s, f->pos, f->next));
        /* The id values cover every BCD digit: if all siblings were silent the
         * parent's two or more meters are all in the last one. */
        if (f->next == n - 1 && !f->answered && f->proven && f->pos < ID_DIGITS) {
            f->next++;
            s->inferred++;
            descend(s, &child, true);
            continue;
        }
        if (expect_collision(f)) {
            f->next++;
            f->answered = true; /* rule 4 cannot count on this one being silent */
            s->skipped++;
            descend(s, &child, false);
            continue;
        }
        s->probe = child;
        return true;
    }
}

bool mbus_scan_next(mbus_scan *s, mbus_secondary *mask) {
    if (s->pending) {
        *mask = s->probe;
        return true;
    }
    if (!s->root_done)
        s->probe = s->base;
    else if (!next_child(s))
        return false;
    s->pending = true;
    s->probes++;
    *mask = s->probe;
    return true;
}

void mbus_scan_result(mbus_scan *s, mbus_probe_outcome outcome) {
    if (!s->pending)
        return;
    s->pending = false;
    if (outcome == MBUS_PROBE_SINGLE)
        s->singles++;
    if (outcome == MBUS_PROBE_COLLISION)
        s->collisions++;
    if (!s->root_done) {
        s->root_done = true;
    } else {
        mbus_scan_frame *f = &s->stack[s->depth - 1];
        f->next++;
        if (outcome != MBUS_PROBE_NONE)
            f->answered = true;
        if (outcome != MBUS_PROBE_COLLISION) { /* a finished child of f */
            f->found += outcome == MBUS_PROBE_SINGLE;
            f->last_child[0] = f->last_child[1];
            f->last_child[1] = outcome == MBUS_PROBE_SINGLE;
            f->finished++;
        }
    }
    if (outcome == MBUS_PROBE_COLLISION)
        descend(s, &s->probe, true);
}

int mbus_scan_percent(const mbus_scan *s) {
    if (s->root_done && s->depth == 0)
        return 100;
    double done = 0, share = 1;
    for (int k = 0; k < 2 && k < s->depth; k++) {
        int n = n_values(s->stack[k].pos);
        int tried = s->stack[k].next > 0 ? s->stack[k].next - 1 : 0; /* the current one is open */
        share /= n;
        done += tried * share;
    }
    int pct = (int)(done * 100);
    return pct > 99 ? 99 : pct;
}
