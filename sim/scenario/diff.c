/* diff: the readable difference between recorded and new results (record.h).
 * One line per result that changed, appeared or went missing:
 *   DIFF  meter water1 record 0 (volume, m3): recorded 12.71, now 12.8
 *   DIFF  meter water1 record 7 (date, no unit): recorded 2008-05-31, now missing
 *   DIFF  iec104 m1 frame 00012: recorded (none), now t=30s M_ME_NC_1 spont ... */
#include "sim/scenario/record.h"
#include "sim/core/text_safe.h"
#include <string.h>

static void line(FILE *out, const char *key, const char *old, const char *now) {
    fputs("DIFF  ", out);
    text_safe_fputs(key, out);
    fputs(": recorded ", out);
    text_safe_fputs(old ? old : "(none)", out);
    fputs(", now ", out);
    text_safe_fputs(now ? now : "missing", out);
    fputc('\n', out);
}

size_t results_diff(const result_set *recorded, const result_set *now, FILE *out,
                    size_t max_lines) {
    size_t i = 0, k = 0, diffs = 0;
    while (i < recorded->n || k < now->n) {
        int c = i == recorded->n ? 1 : k == now->n ? -1 : strcmp(recorded->keys[i], now->keys[k]);
        const char *key, *old = NULL, *new_value = NULL;
        if (c < 0) {
            key = recorded->keys[i];
            old = recorded->values[i++];
        } else if (c > 0) {
            key = now->keys[k];
            new_value = now->values[k++];
        } else {
            key = now->keys[k];
            old = recorded->values[i++];
            new_value = now->values[k++];
            if (strcmp(old, new_value) == 0) continue;
        }
        if (diffs++ < max_lines) line(out, key, old, new_value);
    }
    if (diffs > max_lines) fprintf(out, "DIFF  ... and %zu more\n", diffs - max_lines);
    return diffs;
}
