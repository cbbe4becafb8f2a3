/* wired_and: byte-level wired-AND of simultaneous answers (see wired_and.h). */
#include "sim/core/wired_and.h"
#include <stdlib.h>

static int by_time(const void *a, const void *b) {
    const wa_byte *x = a, *y = b;
    return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

size_t wired_and_merge(const wa_answer *answers, size_t n, int64_t byte_ns, wa_byte *out,
                       size_t cap) {
    size_t total = 0;
    for (size_t k = 0; k < n; k++) total += answers[k].len;
    if (total == 0) return 0;
    wa_byte *all = malloc(total * sizeof *all);
    if (!all) return 0;
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < answers[k].len; i++) {
            all[m].t_ns = answers[k].start_ns + (int64_t)i * byte_ns;
            all[m].value = answers[k].bytes[i];
            m++;
        }
    qsort(all, m, sizeof *all, by_time);
    /* Greedy: the earliest pending byte opens a slot; every byte starting inside
     * that slot overlaps it and is ANDed in. The next slot cannot start before
     * the line is free again. */
    size_t o = 0, i = 0;
    int64_t line_free = INT64_MIN;
    while (i < m && o < cap) {
        int64_t first = all[i].t_ns;
        int64_t t = first > line_free ? first : line_free;
        uint8_t v = all[i].value;
        int64_t last_start = first;
        i++;
        /* overlap is judged on the transmitters' own slots, not on the delayed one */
        while (i < m && all[i].t_ns < first + byte_ns) {
            v &= all[i].value;
            if (all[i].t_ns > last_start) last_start = all[i].t_ns;
            i++;
        }
        out[o].t_ns = t;
        out[o].value = v;
        o++;
        /* an overlapping byte that started later keeps the line busy longer */
        line_free = (last_start > t ? last_start : t) + byte_ns;
    }
    free(all);
    return o;
}
