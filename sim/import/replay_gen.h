/* replay_gen: `hil radio-capture` writes a synthetic receiver log (rtl-wmbus
 * or timestamped hex lines) of many radio meters over hours, built with the
 * radio meters' telegram builder (wmbus_build.h): the input for testing
 * `hil import` and replay at scale (docs/replay.md). Deterministic for a seed. */
#ifndef SIM_REPLAY_GEN_H
#define SIM_REPLAY_GEN_H
int replay_gen_main(int argc, char **argv);
#endif
