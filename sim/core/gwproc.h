/* gwproc: the gateway under test as a child process.
 *
 * The command may have several words ("qemu-arm -L sysroot build/armhf/bin/gwd");
 * the configuration path is appended. stdout and stderr go to a log file. The
 * child starts with every signal unblocked (the loop blocks the ones it serves
 * through signalfd, and a blocked mask survives exec). Stopping is SIGTERM,
 * then SIGKILL when it has not exited after a grace period — all in the loop. */
#ifndef SIM_GWPROC_H
#define SIM_GWPROC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/loop.h"

typedef struct gwproc {
    pid_t pid;
    bool running;
    bool exited;
    int status;          /* wait status once exited */
    bool term_sent, killed;
    gw_loop *loop;
    loop_timer_id kill_timer;
    int64_t grace_ns;
} gwproc;

/* Split cmd into words (blanks separate them; no quoting) and start it with
 * the extra arguments (NULL-terminated list, or NULL) and config_path appended.
 * Returns -1 and err on failure to start. */
int gwproc_start(gwproc *gp, gw_loop *loop, const char *cmd, const char *const *extra,
                 const char *config_path, const char *log_path, char *err, size_t errlen);
/* Reap the child if it has exited (call on SIGCHLD). Returns true once exited. */
bool gwproc_poll(gwproc *gp);
/* SIGTERM now, SIGKILL after grace_ns unless it exits first. */
void gwproc_terminate(gwproc *gp, int64_t grace_ns);
/* Last resort at teardown: kill and reap synchronously (child already gone or killed). */
void gwproc_reap(gwproc *gp);
/* "exit 0", "exit 3", "signal 11 (Segmentation fault)" */
void gwproc_describe(const gwproc *gp, char *out, size_t cap);
#endif
