/* batch: serial or parallel runs of many scenarios (see batch.h). */
#define _XOPEN_SOURCE 700
#include "sim/scenario/batch.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sim/scenario/progress.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) {
    stop_signal = sig;
}

static void on_tick(int sig) {
    (void)sig; /* only interrupts waitpid, so the live line's clock moves on */
}

/* On a terminal the live line is redrawn every second while the parent waits: the
 * alarm is armed only around waitpid, so no write of the outputs is ever interrupted. */
static void ticks(const progress *pg, bool on) {
    if (pg->mode != PROGRESS_TTY) return;
    struct sigaction sa = {.sa_handler = on ? on_tick : SIG_DFL};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
}

static pid_t wait_any(const progress *pg, int *status) {
    if (pg->mode == PROGRESS_TTY) alarm(1);
    pid_t pid = waitpid(-1, status, 0);
    if (pg->mode == PROGRESS_TTY) alarm(0);
    return pid;
}

int batch_default_jobs(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void base_name(const char *path, char *out, size_t cap) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t len = strlen(b);
    if (len > 5 && strcmp(b + len - 5, ".yaml") == 0) len -= 5;
    snprintf(out, cap, "%.*s", (int)len, b);
}

typedef struct named {
    char name[256];
    int index;
} named;

static int by_name(const void *a, const void *b) {
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->index - y->index;
}

/* Sorted by run directory name, a clash is two neighbours (n log n for a big library). */
const char *batch_workdir_clash(char *const *files, int n, char *out, size_t cap) {
    named *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return NULL;
    for (int i = 0; i < n; i++) {
        base_name(files[i], v[i].name, sizeof v[i].name);
        v[i].index = i;
    }
    qsort(v, (size_t)n, sizeof *v, by_name);
    const char *found = NULL;
    for (int i = 1; i < n && !found; i++)
        if (strcmp(v[i - 1].name, v[i].name) == 0) {
            snprintf(out, cap, "%s and %s", files[v[i - 1].index], files[v[i].index]);
            found = out;
        }
    free(v);
    return found;
}

static bool result_ok(const run_result *r) {
    return r->verdict == RESULT_PASS || r->verdict == RESULT_SKIP;
}

static void not_run(run_result *r, const char *path) {
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    base_name(path, r->name, sizeof r->name);
    r->verdict = RESULT_INTERRUPTED;
    snprintf(r->first_failure, sizeof r->first_failure, "not run: the run was interrupted");
}

static int serial(char *const *files, int n, const run_options *opt, run_result *results, progress *pg) {
    int rc = 0, i = 0;
    for (; i < n && rc != RUNNER_INTERRUPTED; i++) {
        run_options o = *opt;
        o.result = &results[i];
        progress_began(pg);
        progress_clear(pg);
        int r = runner_run(files[i], &o);
        if (r == RUNNER_INTERRUPTED) rc = RUNNER_INTERRUPTED;
        else if (r != 0 && r != RUNNER_SKIP) rc = 1;
        progress_ended(pg, result_ok(&results[i]), results[i].name);
    }
    for (; i < n; i++) not_run(&results[i], files[i]);
    return rc;
}

typedef struct job {
    pid_t pid;    /* 0: not started or reaped */
    FILE *out;    /* its verdict lines */
    FILE *result; /* its run_result */
    bool done;
} job;

/* The worker: one scenario, its lines into j->out, its summary into j->result. */
static void worker(const char *path, const run_options *opt, job *j) {
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    run_result res;
    run_options o = *opt;
    o.out = j->out;
    o.result = &res;
    setvbuf(j->out, NULL, _IOFBF, 1 << 16);
    int rc = runner_run(path, &o);
    fflush(j->out);
    fwrite(&res, sizeof res, 1, j->result);
    fflush(j->result);
    _exit(rc == RUNNER_SKIP ? 0 : rc);
}

static int start(job *j, const char *path, const run_options *opt) {
    j->out = tmpfile();
    j->result = tmpfile();
    if (!j->out || !j->result) return -1;
    fflush(NULL);
    j->pid = fork();
    if (j->pid == 0) worker(path, opt, j);
    return j->pid < 0 ? -1 : 0;
}

static void collect(job *j, const char *path, int status, run_result *res) {
    rewind(j->result);
    if (fread(res, sizeof *res, 1, j->result) != 1) {
        memset(res, 0, sizeof *res);
        snprintf(res->path, sizeof res->path, "%s", path);
        base_name(path, res->name, sizeof res->name);
        res->verdict = RESULT_FAIL;
        res->failed = 1;
        snprintf(res->first_failure, sizeof res->first_failure, "the worker ended without a result (%s %d)",
                 WIFSIGNALED(status) ? "signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        fprintf(j->out, "FAIL  %s\nscenario %s: FAIL\n", res->first_failure, res->name);
    }
    fclose(j->result);
    j->result = NULL;
    j->done = true;
    j->pid = 0;
}

/* Print the finished scenarios' output in file order, as far as they are done. */
static void print_ready(job *jobs, int n, int *next, FILE *out, progress *pg) {
    for (; *next < n && jobs[*next].done; (*next)++) {
        FILE *f = jobs[*next].out;
        char buf[8192];
        size_t got;
        progress_clear(pg);
        rewind(f);
        while ((got = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, got, out);
        fflush(out);
        fclose(f);
        jobs[*next].out = NULL;
    }
}

static int index_of(const job *jobs, int n, pid_t pid) {
    for (int i = 0; i < n; i++)
        if (jobs[i].pid == pid) return i;
    return -1;
}

static void stop_all(job *jobs, int n) {
    for (int i = 0; i < n; i++)
        if (jobs[i].pid > 0) kill(jobs[i].pid, SIGTERM);
}

static int parallel(char *const *files, int n, const run_options *opt, int workers, run_result *results,
                    progress *pg) {
    job *jobs = calloc((size_t)n, sizeof *jobs);
    if (!jobs) return 1;
    struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    ticks(pg, true);
    int launched = 0, running = 0, printed = 0, rc = 0;
    bool stopping = false;
    while (running > 0 || (launched < n && !stopping)) {
        while (!stopping && running < workers && launched < n) {
            if (start(&jobs[launched], files[launched], opt) < 0) {
                stopping = true;
                rc = 1;
                break;
            }
            progress_began(pg);
            launched++, running++;
        }
        int status;
        pid_t pid = wait_any(pg, &status);
        if (pid < 0 && errno == EINTR) {
            progress_tick(pg);
            if (stop_signal && !stopping) stop_all(jobs, launched);
            stopping = stopping || stop_signal;
            continue;
        }
        if (pid < 0) break;
        int i = index_of(jobs, launched, pid);
        if (i < 0) continue; /* not one of ours */
        collect(&jobs[i], files[i], status, &results[i]);
        running--;
        if (results[i].verdict == RESULT_INTERRUPTED) rc = RUNNER_INTERRUPTED;
        else if (!result_ok(&results[i]) && rc == 0) rc = 1;
        progress_ended(pg, result_ok(&results[i]), results[i].name);
        print_ready(jobs, launched, &printed, opt->out, pg);
    }
    ticks(pg, false);
    for (int i = launched; i < n; i++) not_run(&results[i], files[i]);
    if (stop_signal) rc = RUNNER_INTERRUPTED;
    for (int i = 0; i < n; i++)
        if (jobs[i].out) fclose(jobs[i].out);
    free(jobs);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

int batch_run(char *const *files, int n, const run_options *opt, int jobs, run_result *results) {
    progress pg;
    progress_start(&pg, stderr, n);
    int rc = jobs <= 1 || n <= 1 ? serial(files, n, opt, results, &pg)
                                 : parallel(files, n, opt, jobs, results, &pg);
    progress_finish(&pg);
    return rc;
}
