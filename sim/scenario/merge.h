/* merge: `hil merge`: the JUnit XML files and run summaries (--junit, --summary) of
 * several shards or machines into one of each, and the durations table the next
 * shards balance by (docs/ci.md). */
#ifndef SIM_MERGE_H
#define SIM_MERGE_H
int merge_main(int argc, char **argv);
#endif
