/* target_mode: a scenario against a gateway that runs on a device (hil run --target MAP).
 *
 * The bench does not start the gateway; it reaches it through the map file
 * (target_map.h): the plant's segments run on the mapped tty devices, the scenario's
 * gateway configuration is pushed to the device and its service restarted, the plant
 * runs in real time for the scenario's duration (plus the map's settle time), then the
 * service is stopped, the run's directory on the device fetched, the service started
 * again, and the expectations checked on the fetched files.
 *
 * Differences from the bench, each said in the verdict lines:
 *   - real time only; timing expectations are relaxed by the map's timing_tolerance;
 *   - a scenario that needs virtual time (an explicit `start:` wall clock, or a duration
 *     above the map's max_duration) is skipped with its reason, never passed, and so is
 *     one whose plant has parts the map does not wire (radio modules, DLMS, Modbus,
 *     IEC 104 masters, replays: plant_device.c);
 *   - baud checks read the mapped device's termios (the gateway's own UART setting is
 *     not observable from outside), and a missing device or one that keeps another
 *     speed than the scenario's fails the scenario before anything runs.
 * Every other check is the bench runner's own (runner.c): expectations, the recorded
 * results (--record, DIFF lines). */
#ifndef SIM_TARGET_MODE_H
#define SIM_TARGET_MODE_H
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/target/target_map.h"

enum { TARGET_PASS = 0, TARGET_FAIL = 1, TARGET_SKIP = 2 };

/* TARGET_PASS, TARGET_FAIL or TARGET_SKIP. Verdict lines go to opt->out. */
int target_run(const char *scenario_path, const run_options *opt, const target_map *map);
/* hil run --target MAP FILE...: every file in target mode, one line per scenario and a
 * closing "hil: N scenario(s), N passed, N failed, N skipped". Exit 1 on any failure
 * (a map that does not load is one), else 0. */
int target_run_all(const char *map_path, char **files, int n, const run_options *opt);
/* Why a loaded scenario cannot run on hardware, or NULL when it can. */
const char *target_skip_reason(const scenario *sc, const target_map *map, char *buf, size_t cap);

/* Readout cycles (stop_after_cycles) in target mode. With an ssh control session the
 * device counts them as the bench's runner does (a new report file, else a rewritten
 * datahub dump) and the run ends at once: no timing involved. Without ssh (a mounted
 * run directory, the gateway already running) they are counted from the wire: a cycle is a run of gateway frames and answers
 * that ends with a silence of quiet_ns on every segment. Inside a cycle the line is
 * never quiet longer than a response timeout plus a request gap (a meter that does not
 * answer is retried); between cycles it is quiet for the interval. */
typedef struct wire_cycles {
    int64_t quiet_ns;          /* set by the caller */
    int64_t last_activity_ns;  /* end of the latest byte on any wire */
    unsigned frames_seen;      /* gateway frames so far (all segments) */
    bool in_cycle;             /* frames since the last cycle ended */
    unsigned cycles;           /* cycles ended so far */
} wire_cycles;
/* What the plant saw at now: the gateway's frames so far (all segments) and the end of
 * the latest activity on any wire (now or later while a frame arrives or an answer is
 * paced out). True when this call ended a cycle (w->cycles counts them). */
bool wire_cycles_step(wire_cycles *w, unsigned frames, int64_t busy_until_ns, int64_t now);
/* The wire's end-of-cycle silence for a scenario: a third of the gateway's shortest
 * readout interval, capped by the map's cycle_quiet, never below the longest silence
 * inside a cycle (response timeout + request gap at the slowest baud) + 250 ms + the
 * map's timing_tolerance. */
int64_t target_cycle_quiet_ns(const scenario *sc, const target_map *map);
/* The gateway's shortest readout interval (its mbus segments' interval), 0 if none. */
int64_t target_shortest_interval_ns(const scenario *sc);
#endif
