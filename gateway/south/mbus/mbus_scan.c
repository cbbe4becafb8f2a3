/* mbus_scan: wildcard tree search over secondary addresses (see mbus_scan.h). */
#include "south/mbus/mbus_scan.h"

#include <ctype.h>
#include <string.h>

#define ID_DIGITS 8
static const char ID_VALUES[] = "0123456789";       /* BCD: the id digits are complete with these */
static const char HEX_VALUES[] = "0123456789ABCDE"; /* F is the wildcard, it cannot be selected */

bool mbus_scan_mask_parse(const char *text, char out[MBUS_SCAN_MASK_LEN + 1]) {
    size_t len = text ? strlen(text) : 0;
    if (len != ID_DIGITS && len != MBUS_SCAN_MASK_LEN)
        return false;
    for (size_t i = 0; i < MBUS_SCAN_MASK_LEN; i++) {
        char c = i < len ? (char)toupper((unsigned char)text[i]) : 'F';
        bool ok = i < ID_DIGITS ? (c >= '0' && c <= '9') || c == 'F' : isxdigit((unsigned char)c);
        if (!ok)
            return false;
        out[i] = c;
    }
    out[MBUS_SCAN_MASK_LEN] = '\0';
    return true;
}

static int n_values(int pos) {
    return pos < ID_DIGITS ? (int)sizeof ID_VALUES - 1 : (int)sizeof HEX_VALUES - 1;
}

static char value_at(const mbus_scan *s, int pos, int index) {
    int n = n_values(pos);
    int i = s->reverse ? n - 1 - index : index;
    return pos < ID_DIGITS ? ID_VALUES[i] : HEX_VALUES[i];
}

static int first_wildcard(const char *mask) {
    for (int i = 0; i < MBUS_SCAN_MASK_LEN; i++)
        if (mask[i] == 'F')
            return i;
    return -1;
}

/* A mask with at least two meters: split it one level deeper, if it can be. */
static void descend(mbus_scan *s, const char *mask, bool proven) {
    int pos = first_wildcard(mask);
    if (pos < 0 || s->depth == MBUS_SCAN_MASK_LEN + 1) {
        s->unresolved += proven; /* meters with the same complete address cannot be told apart */
        return;
    }
    mbus_scan_frame *f = &s->stack[s->depth++];
    memset(f, 0, sizeof *f);
    memcpy(f->mask, mask, sizeof f->mask);
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

void mbus_scan_init(mbus_scan *s, const char *base, bool reverse) {
    memset(s, 0, sizeof *s);
    if (!base || !mbus_scan_mask_parse(base, s->base))
        memset(s->base, 'F', MBUS_SCAN_MASK_LEN);
    s->reverse = reverse;
}

bool mbus_scan_next(mbus_scan *s, char mask[MBUS_SCAN_MASK_LEN + 1]) {
    if (s->pending) {
        memcpy(mask, s->probe, sizeof s->probe);
        return true;
    }
    if (!s->root_done) {
        memcpy(s->probe, s->base, sizeof s->probe);
    } else {
        for (;;) {
            if (s->depth == 0)
                return false;
            mbus_scan_frame *f = &s->stack[s->depth - 1];
            int n = n_values(f->pos);
            if (f->next >= n) {
                pop(s);
                continue;
            }
            char child[MBUS_SCAN_MASK_LEN + 1];
            memcpy(child, f->mask, sizeof child);
            child[f->pos] = value_at(s, f->pos, f->next);
            /* The id values cover every BCD digit: if all siblings were silent the
             * parent's two or more meters are all in the last one. */
            if (f->next == n - 1 && !f->answered && f->proven && f->pos < ID_DIGITS) {
                f->next++;
                s->inferred++;
                descend(s, child, true);
                continue;
            }
            if (expect_collision(f)) {
                f->next++;
                f->answered = true; /* rule 4 cannot count on this one being silent */
                s->skipped++;
                descend(s, child, false);
                continue;
            }
            memcpy(s->probe, child, sizeof child);
            break;
        }
    }
    s->pending = true;
    s->probes++;
    memcpy(mask, s->probe, sizeof s->probe);
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
        descend(s, s->probe, true);
}

bool mbus_scan_mask_id_complete(const char *mask) {
    for (int i = 0; i < ID_DIGITS; i++)
        if (mask[i] == 'F')
            return false;
    return true;
}

bool mbus_scan_mask_match(const char *mask, const char *address) {
    for (int i = 0; i < MBUS_SCAN_MASK_LEN; i++)
        if (mask[i] != 'F' && toupper((unsigned char)mask[i]) != toupper((unsigned char)address[i]))
            return false;
    return true;
}
