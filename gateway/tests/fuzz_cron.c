/* libFuzzer target for the cron parser (CMe3100 and SX5D1 dialects): any text
 * parses or gives an error with a column inside the text; a schedule that
 * parses has a next fire time strictly later than the instant asked about. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char text[512];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static const int64_t instants[] = {0, 1767225600000000000LL /* 2026-01-01 */,
                                       1772323199000000000LL /* 2026-02-28 23:59:59 */};
    for (int d = CRON_CME3100; d <= CRON_SX5D1; d++) {
        cron_schedule s;
        cron_error err = {0};
        if (!cron_parse(text, (cron_dialect)d, 12345, &s, &err)) {
            if (!err.msg[0] || err.column < 1 || (size_t)err.column > strlen(text) + 1)
                abort();
            continue;
        }
        if (s.n > CRON_MAX_PATTERNS)
            abort();
        for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
            int64_t next = cron_next(&s, instants[i]);
            if (next >= 0 && next <= instants[i])
                abort();
            (void)cron_period_ns(&s, instants[i]);
        }
    }
    return 0;
}
