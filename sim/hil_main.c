/* hil: the hardware-in-the-loop bench. Runs scenario files against the real,
 * unmodified gateway binary and prints a verdict per expectation.
 *
 *   hil run [--gwd CMD] [--workdir DIR] [--fixtures DIR] [--keep] [-j N] [--shard K/N] FILE...
 *   hil merge ..., hil trace-to-pcapng ..., hil import ..., hil radio-capture ...,
 *   hil target-check MAP
 *   hil report-index DIR
 *
 * Exit status 0 only when every expectation of every scenario holds. */
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/core/trace_pcapng.h"
#include "sim/import/import.h"
#include "sim/import/replay_gen.h"
#include "sim/report/report.h"
#include "sim/scenario/batch.h"
#include "sim/scenario/merge.h"
#include "sim/scenario/run_summary.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/shard.h"
#include "sim/target/target_check.h"
#include "sim/target/target_mode.h"

static void usage(FILE *f) {
    fputs("usage: hil run [--gwd CMD | --target MAP] [--workdir DIR] [--fixtures DIR] [--keep]\n"
          "               [--record] [-j N] [--shard K/N] [--durations FILE] [--junit FILE]\n"
          "               [--summary FILE] [--pcapng PATH] [--report DIR | --report-failed DIR]\n"
          "               [--list] FILE...\n"
          "       hil import FORMAT|auto CAPTURE -o scenarios/replay/NAME.yaml [options]\n"
          "       hil merge [-o MERGED.xml] [--summary OUT] [--durations OUT] INPUT...\n"
          "       hil trace-to-pcapng [--start-ns NS] TRACE.jsonl OUT.pcapng\n"
          "       hil target-check MAP   (the wiring of a map file, docs/target.md)\n"
          "       hil report-index DIR\n"
          "       hil --help\n\n"
          "Runs each scenario file (docs/scenarios.md): emulates its plant on\n"
          "pseudo-terminals, starts the gateway as `CMD <workdir>/gwd.yaml`, lets it run\n"
          "for the scenario's duration, stops it with SIGTERM and checks the expectations.\n\n"
          "  --gwd CMD      gateway command, may have several words\n"
          "                 (default: $HIL_GWD, else gwd next to hil)\n"
          "  --workdir DIR  the run directory (${workdir}) of the one FILE given, or the\n"
          "                 directory of the run directories DIR/<file name> of several;\n"
          "                 it is emptied before the run and kept after it\n"
          "  --fixtures DIR ${fixtures} in the scenarios (default: $HIL_FIXTURES, else the\n"
          "                 fixtures/ folder of the repository holding the scenario);\n"
          "                 relative plant paths are looked up in the scenario's folder,\n"
          "                 then in that repository\n"
          "  --target MAP   target mode (docs/target.md): the gateway is not started but\n"
          "                 reached on a device as the map file MAP says (tty devices,\n"
          "                 SSH, address); real time; virtual-time-only scenarios skipped\n"
          "  --keep         without --workdir, run directories go to\n"
          "                 build/scenarios/<file name> and are removed after a pass\n"
          "                 unless --keep is given (failed ones are always kept)\n"
          "  --record       store what the gateway produced as the scenario's expected\n"
          "                 results (NAME.expected.json next to it); without it a run\n"
          "                 compares with that file and prints a DIFF line per change\n"
          "                 (docs/replay.md; hil import --help for importing captures)\n"
          "  -j N           run N scenarios at once, each in a worker process of its own\n"
          "                 (default: the number of cores); output in file order, the\n"
          "                 same verdicts and virtual-time traces as -j 1 (docs/ci.md)\n"
          "  --shard K/N    run only the K-th of N shares of the files (stable by path,\n"
          "                 balanced by the durations of --durations)\n"
          "  --durations F  seconds per scenario file: read for --shard, updated after the run\n"
          "  --junit FILE   JUnit XML of the scenarios; --summary FILE: JSON lines, one per\n"
          "                 scenario (hil merge joins those of several shards)\n"
          "  --pcapng PATH  every frame of the run for Wireshark (docs/pcapng.md): PATH for\n"
          "                 one scenario, PATH/<name>.pcapng for several\n"
          "  --report DIR   an HTML run report (docs/run-report.md): DIR/<name>.html per\n"
          "                 scenario (verdicts, replay diffs, a zoomable timeline of the\n"
          "                 trace) and DIR/index.html of every page in DIR, failed first\n"
          "  --report-failed DIR  the same, but pages only for the scenarios that failed\n"
          "  --list         print the files this shard would run, and run nothing\n"
          "Progress (done/total, failures, elapsed, time left) goes to stderr: one live\n"
          "line on a terminal, plain lines otherwise ($HIL_PROGRESS=tty|plain|off).\n\n"
          "Exit status: 0 when every expectation of every scenario holds, 1 otherwise,\n"
          "2 on a usage error, 3 when SIGINT/SIGTERM interrupted a run.\n",
          f);
}

typedef struct cli {
    run_options opt;
    bool explicit_workdir, list;
    const char *target_map_path; /* --target: the gateway runs on a device */
    int jobs, shard_k, shard_n;
    const char *durations, *junit, *summary;
} cli;

/* One option at argv[*i] (moving *i past its value); false when it is not one. */
static bool parse_option(cli *c, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    bool has = *i + 1 < argc;
    if (strcmp(a, "--gwd") == 0 && has) c->opt.gwd_cmd = argv[++*i];
    else if (strcmp(a, "--workdir") == 0 && has) {
        c->opt.workdir_base = argv[++*i];
        c->explicit_workdir = true;
    } else if (strcmp(a, "--fixtures") == 0 && has) c->opt.fixtures_dir = argv[++*i];
    else if (strcmp(a, "--keep") == 0) c->opt.keep = true;
    else if (strcmp(a, "--record") == 0) c->opt.record = true;
    else if (strcmp(a, "--target") == 0 && has) c->target_map_path = argv[++*i];
    else if (strcmp(a, "--pcapng") == 0 && has) c->opt.pcapng = argv[++*i];
    else if (strcmp(a, "--durations") == 0 && has) c->durations = argv[++*i];
    else if (strcmp(a, "--junit") == 0 && has) c->junit = argv[++*i];
    else if (strcmp(a, "--summary") == 0 && has) c->summary = argv[++*i];
    else if (strcmp(a, "--list") == 0) c->list = true;
    else if ((strcmp(a, "--report") == 0 || strcmp(a, "--report-failed") == 0) && has) {
        c->opt.report_dir = argv[++*i];
        c->opt.report_failed_only = strcmp(a, "--report-failed") == 0;
    }
    else if (strcmp(a, "--shard") == 0 && has) return shard_parse(argv[++*i], &c->shard_k, &c->shard_n);
    else if (strncmp(a, "-j", 2) == 0 && (a[2] || has)) {
        const char *v = a[2] ? a + 2 : argv[++*i];
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 1024) return false;
        c->jobs = (int)n;
    } else return false;
    return true;
}

/* After the run: the summaries asked for, and the durations table updated. */
static int write_outputs(const cli *c, const run_result *res, int n, durations *d) {
    int rc = 0;
    if (c->junit && run_summary_write_junit(res, n, "hil", c->junit) < 0) {
        fprintf(stderr, "hil: cannot write %s\n", c->junit);
        rc = 1;
    }
    if (c->summary && run_summary_write_jsonl(res, n, c->summary) < 0) {
        fprintf(stderr, "hil: cannot write %s\n", c->summary);
        rc = 1;
    }
    if (!c->durations) return rc;
    for (int i = 0; i < n; i++)
        if (res[i].verdict == RESULT_PASS || res[i].verdict == RESULT_FAIL) durations_set(d, res[i].path, res[i].seconds);
    if (durations_save(d, c->durations) < 0) {
        fprintf(stderr, "hil: cannot write %s\n", c->durations);
        rc = 1;
    }
    return rc;
}

/* The index once more after every worker wrote its page (each also rewrote it). */
static void write_index(const cli *c) {
    char err[1024];
    if (!c->opt.report_dir) return;
    if (report_index_write(c->opt.report_dir, err, sizeof err) < 0) fprintf(stderr, "hil: report: %s\n", err);
    else printf("report %s/index.html\n", c->opt.report_dir);
}

static int run_files(cli *c, char **files, int n) {
    durations d = {0};
    char err[4200];
    if (c->durations && durations_load(&d, c->durations, err, sizeof err) < 0) {
        fprintf(stderr, "hil: %s\n", err);
        return 2;
    }
    char **mine = malloc((size_t)n * sizeof *mine);
    run_result *res = calloc((size_t)n, sizeof *res);
    if (!mine || !res) {
        free(mine);
        free(res);
        durations_free(&d);
        return 1;
    }
    int m = c->shard_n ? shard_select(files, n, c->shard_k, c->shard_n, &d, mine) : n;
    if (!c->shard_n) memcpy(mine, files, (size_t)n * sizeof *mine);
    int rc = 0;
    char clash[8400];
    if (c->list) {
        for (int i = 0; i < m; i++) printf("%s\n", mine[i]);
    } else if (!c->opt.workdir_exact && batch_workdir_clash(mine, m, clash, sizeof clash)) {
        fprintf(stderr, "hil: %s would share one run directory: give them different file names\n", clash);
        rc = 2;
    } else {
        c->opt.pcapng_dir = c->opt.pcapng && m > 1;
        rc = batch_run(mine, m, &c->opt, c->jobs, res);
        int failed = 0, notrun = 0; /* an interrupted run counts as failed; one never begun, as not run */
        for (int i = 0; i < m; i++) {
            bool begun = res[i].seconds > 0;
            failed += res[i].verdict == RESULT_FAIL || (res[i].verdict == RESULT_INTERRUPTED && begun);
            notrun += res[i].verdict == RESULT_INTERRUPTED && !begun;
        }
        if (rc == RUNNER_INTERRUPTED)
            printf("hil: interrupted: %d scenario(s), %d run, %d failed or interrupted\n", m, m - notrun, failed);
        else
            printf("hil: %d scenario(s), %d passed, %d failed\n", m, m - failed, failed);
        if (write_outputs(c, res, m, &d) != 0 && rc == 0) rc = 1;
        write_index(c);
    }
    durations_free(&d);
    free(mine);
    free(res);
    return rc;
}

int main(int argc, char **argv) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "import") == 0) return import_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "radio-capture") == 0) return replay_gen_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "merge") == 0) return merge_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "target-check") == 0) return target_check_main(argc - 1, argv + 1, stdout);
    if (argc >= 2 && strcmp(argv[1], "trace-to-pcapng") == 0) return trace_pcapng_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "report-index") == 0) return report_index_main(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "run") != 0) {
        usage(stderr);
        return 2;
    }
    char gwd[PATH_MAX];
    runner_default_gwd(gwd, sizeof gwd);
    cli c = {.opt = {.gwd_cmd = gwd, .workdir_base = "build/scenarios", .keep = false, .out = stdout},
             .jobs = batch_default_jobs()};
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!parse_option(&c, argc, argv, &i)) {
            fprintf(stderr, "hil: unknown option or bad value: %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i == argc) {
        usage(stderr);
        return 2;
    }
    c.opt.workdir_exact = c.explicit_workdir && argc - i == 1;
    if (c.explicit_workdir) c.opt.keep = true;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (c.target_map_path) return target_run_all(c.target_map_path, argv + i, argc - i, &c.opt);
    return run_files(&c, argv + i, argc - i);
}
