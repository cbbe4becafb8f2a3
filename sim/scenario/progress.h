/* progress: how far a run of many scenarios is, on stderr. On a terminal one line kept
 * up to date in place; otherwise plain lines (each scenario when there are at most 100,
 * else every 1 % or 30 s). $HIL_PROGRESS=tty|plain|off overrides the choice. */
#ifndef SIM_PROGRESS_H
#define SIM_PROGRESS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { PROGRESS_OFF, PROGRESS_PLAIN, PROGRESS_TTY } progress_mode;

typedef struct progress {
    FILE *f;
    progress_mode mode;
    int total, done, failed, running;
    int64_t start_ns, last_line_ns;
    int last_percent;
} progress;

void progress_start(progress *p, FILE *f, int total);
/* One scenario began (running + 1) or ended (ok or failed). */
void progress_began(progress *p);
void progress_ended(progress *p, bool ok, const char *name);
/* Redraw the live line (its clock), on a terminal only. */
void progress_tick(progress *p);
/* Wipe the live line before other output goes to the same terminal. */
void progress_clear(progress *p);
void progress_finish(progress *p);
/* "12/79 done, 1 failed, 0:12 elapsed, about 0:40 left" into out. */
void progress_format(const progress *p, int64_t now_ns, char *out, size_t cap);
#endif
