/* progress: live progress of a many-scenario run (see progress.h). */
#include "sim/scenario/progress.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"

static progress_mode choose_mode(FILE *f) {
    const char *env = getenv("HIL_PROGRESS");
    if (env && strcmp(env, "off") == 0) return PROGRESS_OFF;
    if (env && strcmp(env, "plain") == 0) return PROGRESS_PLAIN;
    if (env && strcmp(env, "tty") == 0) return PROGRESS_TTY;
    return isatty(fileno(f)) ? PROGRESS_TTY : PROGRESS_PLAIN;
}

void progress_start(progress *p, FILE *f, int total) {
    memset(p, 0, sizeof *p);
    p->f = f;
    p->total = total;
    p->mode = total > 1 ? choose_mode(f) : PROGRESS_OFF;
    p->start_ns = p->last_line_ns = clock_host_mono_ns();
}

static void span(int64_t ns, char *out, size_t cap) {
    long s = (long)(ns / 1000000000);
    if (s >= 3600) snprintf(out, cap, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(out, cap, "%ld:%02ld", s / 60, s % 60);
}

void progress_format(const progress *p, int64_t now_ns, char *out, size_t cap) {
    char el[32], left[48] = "";
    int64_t elapsed = now_ns - p->start_ns;
    span(elapsed, el, sizeof el);
    if (p->done > 0 && p->done < p->total) {
        char t[32];
        span(elapsed / p->done * (p->total - p->done), t, sizeof t);
        snprintf(left, sizeof left, ", about %s left", t);
    }
    snprintf(out, cap, "%d/%d done, %d failed, %s elapsed%s", p->done, p->total, p->failed, el, left);
}

static void show(progress *p, const char *name, bool force) {
    char line[256];
    int64_t now = clock_host_mono_ns();
    progress_format(p, now, line, sizeof line);
    if (p->mode == PROGRESS_TTY) {
        fprintf(p->f, "\r\033[K[hil] %s, %d running%s%s", line, p->running, name ? ": last " : "",
                name ? name : "");
        fflush(p->f);
        return;
    }
    int percent = p->total ? p->done * 100 / p->total : 100;
    if (force || p->total <= 100 || percent > p->last_percent || now - p->last_line_ns >= 30000000000LL) {
        fprintf(p->f, "hil: progress %s\n", line);
        p->last_line_ns = now;
        p->last_percent = percent;
    }
}

void progress_began(progress *p) {
    p->running++;
    if (p->mode == PROGRESS_TTY) show(p, NULL, false);
}

void progress_ended(progress *p, bool ok, const char *name) {
    p->running--;
    p->done++;
    if (!ok) p->failed++;
    if (p->mode != PROGRESS_OFF) show(p, name, p->done == p->total);
}

void progress_tick(progress *p) {
    if (p->mode == PROGRESS_TTY) show(p, NULL, false);
}

void progress_clear(progress *p) {
    if (p->mode != PROGRESS_TTY) return;
    fputs("\r\033[K", p->f);
    fflush(p->f);
}

void progress_finish(progress *p) {
    progress_clear(p);
}
