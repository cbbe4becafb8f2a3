/* target_remote: commands on the device under test, over SSH (target mode).
 *
 * One master connection per device (ssh ControlMaster) carries every command and copy
 * of a run: a handshake with a small board costs seconds, a command on an open
 * connection milliseconds. Every command's output goes to the run's log file. */
#ifndef SIM_TARGET_REMOTE_H
#define SIM_TARGET_REMOTE_H
#include <stddef.h>
#include <sys/types.h>
#include "sim/target/target_map.h"

/* Run a shell command on the device; its exit status (255: ssh failed), -1 when ssh
 * cannot be started. out (may be NULL) receives its standard output. */
int target_ssh(const target_map *m, const char *log, char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Start a shell command on the device without waiting (the plant is live meanwhile);
 * its pid for target_wait, or -1. */
pid_t target_ssh_spawn(const target_map *m, const char *log, const char *cmd);
/* Start a shell command on the device with its stdin and stdout on pipes (both
 * close-on-exec here): *to_remote is written by the run (a line, then close), *from_remote
 * read until EOF (the command has ended). stderr goes to the log. Its pid, or -1. */
pid_t target_ssh_spawn_piped(const target_map *m, const char *log, const char *cmd, int *to_remote,
                             int *from_remote);
/* Wait for a spawned command; its exit status as target_ssh. */
int target_wait(pid_t pid);
/* Copy a local file to the device, or a device directory (recursively) to a local path. */
int target_scp_to(const target_map *m, const char *log, const char *local, const char *remote);
int target_scp_dir_from(const target_map *m, const char *log, const char *remote, const char *local);
/* Close the master connection (at the end of a run). */
void target_ssh_close(const target_map *m);
#endif
