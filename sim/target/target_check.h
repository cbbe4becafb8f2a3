/* target_check: hil target-check MAP, the wiring of a lab checked before a run.
 *
 * For every serial entry of the map: the adapter is present and a tty, each speed a
 * scenario may use is set and read back (the map's pinned baud, else 300, 2400 and
 * 9600: the M-Bus speeds), and, with `check: loopback`, bytes sent come back unchanged
 * at each speed. With ssh in the map: the device answers, knows the service, and has
 * each serial entry's target port. One PASS/FAIL/SKIP line per check, then
 * "target-check: N passed, N failed, N skipped"; exit status 1 on any failure. */
#ifndef SIM_TARGET_CHECK_H
#define SIM_TARGET_CHECK_H
#include <stdio.h>

int target_check_main(int argc, char **argv, FILE *out);
#endif
