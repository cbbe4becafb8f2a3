/* hil: the hardware-in-the-loop bench. Runs scenario files against the real,
 * unmodified gateway binary and prints a verdict per expectation.
 *
 *   hil run [--gwd CMD] [--workdir DIR] [--fixtures DIR] [--keep] FILE...
 *
 * Exit status 0 only when every expectation of every scenario holds. */
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/import/import.h"
#include "sim/import/replay_gen.h"
#include "sim/scenario/runner.h"
#include "sim/target/target_mode.h"

static void usage(FILE *f) {
    fputs("usage: hil run [--gwd CMD | --target MAP] [--workdir DIR] [--fixtures DIR] [--keep]\n"
          "               [--record] FILE...\n"
          "       hil import FORMAT|auto CAPTURE -o scenarios/replay/NAME.yaml [options]\n"
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
          "                 (docs/replay.md; hil import --help for importing captures)\n\n"
          "Exit status: 0 when every expectation of every scenario holds, 1 otherwise,\n"
          "2 on a usage error, 3 when SIGINT/SIGTERM interrupted a run.\n",
          f);
}

int main(int argc, char **argv) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "import") == 0) return import_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "radio-capture") == 0) return replay_gen_main(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "run") != 0) {
        usage(stderr);
        return 2;
    }
    char gwd[PATH_MAX];
    runner_default_gwd(gwd, sizeof gwd);
    run_options opt = {.gwd_cmd = gwd, .workdir_base = "build/scenarios", .keep = false,
                       .out = stdout};
    int i = 2;
    bool explicit_workdir = false;
    const char *target_map_path = NULL; /* --target: the gateway runs on a device */
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--gwd") == 0 && i + 1 < argc) opt.gwd_cmd = argv[++i];
        else if (strcmp(argv[i], "--workdir") == 0 && i + 1 < argc) {
            opt.workdir_base = argv[++i];
            explicit_workdir = true;
        }
        else if (strcmp(argv[i], "--fixtures") == 0 && i + 1 < argc) opt.fixtures_dir = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0) opt.keep = true;
        else if (strcmp(argv[i], "--record") == 0) opt.record = true;
        else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) target_map_path = argv[++i];
        else {
            fprintf(stderr, "hil: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i == argc) {
        usage(stderr);
        return 2;
    }
    opt.workdir_exact = explicit_workdir && argc - i == 1;
    if (explicit_workdir) opt.keep = true;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (target_map_path) return target_run_all(target_map_path, argv + i, argc - i, &opt);
    int failed = 0, total = argc - i, rc = 0;
    for (; i < argc && rc != RUNNER_INTERRUPTED; i++)
        if ((rc = runner_run(argv[i], &opt)) != 0) failed++;
    if (rc == RUNNER_INTERRUPTED) { /* the rest was not run: a timeout's kill is no verdict */
        printf("hil: interrupted: %d scenario(s), %d run, %d failed or interrupted\n", total, total - (argc - i), failed);
        return RUNNER_INTERRUPTED;
    }
    printf("hil: %d scenario(s), %d passed, %d failed\n", total, total - failed, failed);
    return failed ? 1 : 0;
}
