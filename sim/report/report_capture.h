/* report_capture: the run's output lines (PASS/FAIL verdicts, DIFF lines of a
 * replay, SKIP, ERROR) kept for the run report while they still go, unchanged and
 * as they come, to the run's own output. Every part of a run (expectations, the
 * radio and replay checks, the recorded-results comparison) writes its lines to one
 * FILE; a tee of that FILE sees them all without each part knowing of the report. */
#ifndef SIM_REPORT_CAPTURE_H
#define SIM_REPORT_CAPTURE_H
#include <stddef.h>
#include <stdio.h>

typedef struct report_capture {
    FILE *tee;   /* write here: to the original output and into text */
    FILE *to;    /* the original output */
    char *text;  /* everything written so far (NUL-terminated) */
    size_t len, cap;
} report_capture;

/* tee is NULL when it cannot be made (the run then goes on without a report). */
int report_capture_open(report_capture *c, FILE *to);
/* Flushes the tee: text then holds every line written. */
void report_capture_sync(report_capture *c);
void report_capture_close(report_capture *c);
#endif
