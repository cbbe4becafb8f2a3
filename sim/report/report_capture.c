/* report_capture: a tee FILE (glibc fopencookie) over the run's output (report_capture.h). */
#include "sim/report/report_capture.h"
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static ssize_t tee_write(void *cookie, const char *buf, size_t n) {
    report_capture *c = cookie;
    if (c->len + n + 1 > c->cap) {
        size_t cap = (c->len + n + 1) * 2;
        char *t = realloc(c->text, cap);
        if (!t) return -1;
        c->text = t;
        c->cap = cap;
    }
    memcpy(c->text + c->len, buf, n);
    c->len += n;
    c->text[c->len] = '\0';
    if (fwrite(buf, 1, n, c->to) != n) return -1;
    return (ssize_t)n;
}

int report_capture_open(report_capture *c, FILE *to) {
    memset(c, 0, sizeof *c);
    c->to = to;
    c->text = calloc(1, 1);
    cookie_io_functions_t io = {.write = tee_write};
    c->tee = c->text ? fopencookie(c, "w", io) : NULL;
    if (!c->tee) return -1;
    setvbuf(c->tee, NULL, _IOLBF, 0); /* lines reach the original output as they are written */
    return 0;
}

void report_capture_sync(report_capture *c) {
    if (c->tee) fflush(c->tee);
    fflush(c->to);
}

void report_capture_close(report_capture *c) {
    if (c->tee) fclose(c->tee);
    if (c->to) fflush(c->to);
    free(c->text);
    memset(c, 0, sizeof *c);
}
