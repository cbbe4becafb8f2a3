/* `hil trace-to-pcapng [--start-ns NS] TRACE OUT`: a saved trace.jsonl as pcapng. The
 * trace holds scenario time only; --start-ns gives the wall time of its start (hil run
 * --pcapng uses the scenario's start, e.g. 2026-01-01 in virtual time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/core/trace_pcapng.h"

int trace_pcapng_main(int argc, char **argv) {
    long long start = 0;
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--start-ns") == 0) {
        char *end;
        start = strtoll(argv[i + 1], &end, 10);
        if (*end) {
            fprintf(stderr, "hil trace-to-pcapng: --start-ns %s is not a number of nanoseconds\n", argv[i + 1]);
            return 2;
        }
        i += 2;
    }
    if (argc - i != 2) {
        fputs("usage: hil trace-to-pcapng [--start-ns NS] TRACE.jsonl OUT.pcapng\n", stderr);
        return 2;
    }
    trace tr;
    char err[1024];
    trace_init(&tr, 0);
    if (trace_load(&tr, argv[i], err, sizeof err) < 0) {
        fprintf(stderr, "hil trace-to-pcapng: %s\n", err);
        trace_free(&tr);
        return 1;
    }
    int rc = trace_write_pcapng(&tr, start, argv[i + 1], err, sizeof err);
    if (rc < 0) fprintf(stderr, "hil trace-to-pcapng: %s\n", err);
    else printf("hil trace-to-pcapng: %zu record(s) of %s into %s\n", tr.n, argv[i], argv[i + 1]);
    trace_free(&tr);
    return rc < 0 ? 1 : 0;
}
