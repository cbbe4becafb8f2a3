/* runner: runs one scenario end to end: the plant on ptys, gwd as a child
 * process, the loop for the scenario's duration (or until enough readout
 * cycles were seen), SIGTERM to the gateway, then the expectations. */
#ifndef SIM_RUNNER_H
#define SIM_RUNNER_H
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>

typedef struct run_options {
    const char *gwd_cmd;      /* command to start the gateway (words; config path appended) */
    const char *workdir_base; /* run directories go to <base>/<scenario file name> */
    bool workdir_exact;       /* workdir_base is the run directory itself (one scenario) */
    bool keep;                /* keep the run directory of a passing scenario */
    FILE *out;                /* verdict lines */
    bool record;              /* --record: the results become the expected ones (record_run.h) */
    const char *fixtures_dir; /* --fixtures / $HIL_FIXTURES: ${fixtures}; NULL: the repository's */
    const char *pcapng;       /* --pcapng: the run's frames as pcapng here (docs/pcapng.md), or NULL */
    bool pcapng_dir;          /* pcapng is a folder: <pcapng>/<scenario name>.pcapng */
    const char *report_dir;   /* --report / --report-failed: HTML run reports here (docs/run-report.md) */
    bool report_failed_only;  /* --report-failed: a page only for a scenario that failed */
    struct run_result *result; /* filled by the run when not NULL */
} run_options;

/* What one scenario run came to: the per-run summary hil writes (--summary, --junit)
 * and the run report reads. */
typedef enum { RESULT_PASS, RESULT_FAIL, RESULT_SKIP, RESULT_INTERRUPTED } run_verdict_kind;
typedef struct run_result {
    char path[PATH_MAX];    /* the scenario file as given */
    char name[128];         /* its file name without .yaml */
    char workdir[PATH_MAX]; /* its run directory (removed after a pass without --keep) */
    run_verdict_kind verdict;
    unsigned passed, failed;
    double seconds;         /* wall time of the run */
    char first_failure[512]; /* the first FAIL line's message, or "" */
} run_result;

/* A run ended early by SIGINT/SIGTERM (a timeout's kill): hil's exit status too. */
#define RUNNER_INTERRUPTED 3
/* A named rule said the scenario cannot run this way (target mode: virtual time only). */
#define RUNNER_SKIP 2

/* Returns 0 when every expectation held, RUNNER_INTERRUPTED when a signal
 * ended the run early, 1 otherwise (also for load errors). */
int runner_run(const char *scenario_path, const run_options *opt);

/* Default gateway command: $HIL_GWD, else gwd next to the running hil. */
void runner_default_gwd(char *out, size_t cap);
#endif
