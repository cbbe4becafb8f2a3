/* gwproc: the gateway child process (see gwproc.h). */
#include "sim/core/gwproc.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORDS 64

static int split_words(char *text, char **argv, int max) {
    int n = 0;
    for (char *save = NULL, *w = strtok_r(text, " \t\n", &save); w && n < max;
         w = strtok_r(NULL, " \t\n", &save))
        argv[n++] = w;
    return n;
}

/* In the child: fresh signal state, log as stdout/stderr, then exec. */
static void exec_child(char **argv, const char *log_path) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        if (log > STDERR_FILENO) close(log);
    }
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        if (null > STDIN_FILENO) close(null);
    }
    execvp(argv[0], argv);
    fprintf(stderr, "hil: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int gwproc_start(gwproc *gp, gw_loop *loop, const char *cmd, const char *const *extra,
                 const char *config_path, const char *log_path, char *err, size_t errlen) {
    memset(gp, 0, sizeof *gp);
    gp->loop = loop;
    char *copy = strdup(cmd);
    char *argv[2 * MAX_WORDS + 2];
    int n = copy ? split_words(copy, argv, MAX_WORDS) : 0;
    if (n == 0) {
        snprintf(err, errlen, "empty gateway command");
        free(copy);
        return -1;
    }
    for (size_t i = 0; extra && extra[i] && n < 2 * MAX_WORDS; i++) argv[n++] = (char *)extra[i];
    argv[n++] = (char *)config_path;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        free(copy);
        return -1;
    }
    if (pid == 0) exec_child(argv, log_path);
    free(copy);
    gp->pid = pid;
    gp->running = true;
    return 0;
}

bool gwproc_poll(gwproc *gp) {
    if (!gp->running) return gp->exited;
    int status;
    pid_t r = waitpid(gp->pid, &status, WNOHANG);
    if (r == gp->pid) {
        gp->running = false;
        gp->exited = true;
        gp->status = status;
        if (gp->kill_timer) loop_timer_cancel(gp->loop, gp->kill_timer);
        gp->kill_timer = 0;
    }
    return gp->exited;
}

static void on_grace_over(gw_loop *loop, void *arg) {
    gwproc *gp = arg;
    gp->kill_timer = 0;
    if (gwproc_poll(gp)) return;
    kill(gp->pid, SIGKILL);
    gp->killed = true;
}

void gwproc_terminate(gwproc *gp, int64_t grace_ns) {
    if (!gp->running || gp->term_sent) return;
    kill(gp->pid, SIGTERM);
    gp->term_sent = true;
    gp->kill_timer = loop_timer_after(gp->loop, grace_ns, on_grace_over, gp);
}

void gwproc_reap(gwproc *gp) {
    if (gp->kill_timer) loop_timer_cancel(gp->loop, gp->kill_timer);
    gp->kill_timer = 0;
    if (!gp->running) return;
    kill(gp->pid, SIGKILL);
    gp->killed = true;
    int status;
    if (waitpid(gp->pid, &status, 0) == gp->pid) {
        gp->status = status;
        gp->exited = true;
    }
    gp->running = false;
}

void gwproc_describe(const gwproc *gp, char *out, size_t cap) {
    if (!gp->exited) snprintf(out, cap, "still running");
    else if (WIFEXITED(gp->status)) snprintf(out, cap, "exit %d", WEXITSTATUS(gp->status));
    else if (WIFSIGNALED(gp->status))
        snprintf(out, cap, "signal %d (%s)%s", WTERMSIG(gp->status), strsignal(WTERMSIG(gp->status)),
                 gp->killed ? ", killed by hil after the grace period" : "");
    else snprintf(out, cap, "status %d", gp->status);
}
