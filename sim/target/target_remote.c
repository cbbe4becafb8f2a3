/* target_remote: ssh and scp to the device (see target_remote.h). */
#define _XOPEN_SOURCE 700
#include "sim/target/target_remote.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 40

typedef struct argv_list {
    const char *v[MAX_ARGS];
    int n;
    char port[16], dest[256], control[128];
} argv_list;

static void push(argv_list *a, const char *s) {
    if (a->n < MAX_ARGS - 1) a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

/* Options shared by ssh and scp: no prompts, no host key bookkeeping (a board's key
 * changes with every image), a shared master connection per device. */
static void common_options(argv_list *a, const target_map *m) {
    snprintf(a->control, sizeof a->control, "ControlPath=/tmp/hil-ssh-%u-%%C", (unsigned)getuid());
    static const char *const opts[] = {"BatchMode=yes", "StrictHostKeyChecking=no",
                                       "UserKnownHostsFile=/dev/null", "LogLevel=ERROR",
                                       "ConnectTimeout=20", "ServerAliveInterval=5",
                                       "ControlMaster=auto", "ControlPersist=60"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        push(a, "-o");
        push(a, opts[i]);
    }
    push(a, "-o");
    push(a, a->control);
    if (m->ssh_key) {
        push(a, "-i");
        push(a, m->ssh_key);
    }
    snprintf(a->port, sizeof a->port, "%u", m->ssh_port);
}

/* Log the command line after mark, then fork + exec it: stdin from /dev/null,
 * stdout to out_fd (or the log when -1), stderr to the log. Its pid, or -1. */
static pid_t start_argv(const argv_list *a, const char *log, const char *mark, int out_fd) {
    FILE *lf = log ? fopen(log, "a") : NULL;
    if (lf) {
        fputs(mark, lf);
        for (int i = 0; i < a->n; i++) fprintf(lf, " %s", a->v[i]);
        fputc('\n', lf);
        fflush(lf);
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        int logfd = lf ? fileno(lf) : null;
        dup2(null, 0);
        dup2(out_fd >= 0 ? out_fd : logfd, 1);
        dup2(logfd, 2);
        execvp(a->v[0], (char *const *)a->v);
        _exit(127);
    }
    if (lf) fclose(lf);
    return pid;
}

/* Start the command with stdout and stderr to the log; its pid, or -1. */
static pid_t spawn_argv(const argv_list *a, const char *log) {
    return start_argv(a, log, "$ (background)", -1);
}

/* fork + exec; stdout to out (when given) else the log; stderr to the log. Waits for
 * the command: it runs between the scenario's phases, never while the plant is live. */
static int run_argv(const argv_list *a, const char *log, char *out, size_t cap) {
    int pipefd[2] = {-1, -1};
    if (out && pipe(pipefd) < 0) return -1;
    pid_t pid = start_argv(a, log, "$", out ? pipefd[1] : -1);
    if (out) close(pipefd[1]);
    size_t len = 0;
    if (out && pid > 0) {
        ssize_t r;
        while ((r = read(pipefd[0], out + len, cap - 1 - len)) != 0) {
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) break;
            len += (size_t)r;
            if (len == cap - 1) {
                char sink[256]; /* drain what does not fit */
                while (read(pipefd[0], sink, sizeof sink) > 0) {}
                break;
            }
        }
        out[len] = '\0';
    }
    if (out) close(pipefd[0]);
    if (pid < 0) return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* "ssh OPTIONS -p PORT [-O control] USER@HOST [cmd]" into a. */
static void ssh_to(argv_list *a, const target_map *m, const char *control, const char *cmd) {
    push(a, "ssh");
    common_options(a, m);
    push(a, "-p");
    push(a, a->port);
    if (control) {
        push(a, "-O");
        push(a, control);
    }
    snprintf(a->dest, sizeof a->dest, "%s@%s", m->ssh_user, m->ssh_host);
    push(a, a->dest);
    if (cmd) push(a, cmd);
}

int target_ssh(const target_map *m, const char *log, char *out, size_t cap, const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    argv_list a = {.n = 0};
    ssh_to(&a, m, NULL, cmd);
    return run_argv(&a, log, out, cap);
}

/* A shell on the device that the run controls: its stdin and stdout are pipes (the
 * loop watches stdout; EOF means the command ended), stderr goes to the log. */
pid_t target_ssh_spawn_piped(const target_map *m, const char *log, const char *cmd, int *to_remote,
                             int *from_remote) {
    argv_list a = {.n = 0};
    ssh_to(&a, m, NULL, cmd);
    int in[2], out[2];
    if (pipe(in) < 0) return -1;
    if (pipe(out) < 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    FILE *lf = log ? fopen(log, "a") : NULL;
    if (lf) {
        fputs("$ (controlled)", lf);
        for (int i = 0; i < a.n; i++) fprintf(lf, " %s", a.v[i]);
        fputc('\n', lf);
        fflush(lf);
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]); /* the remote's stdin ends when the run closes its end */
        close(out[0]);
        dup2(lf ? fileno(lf) : null, 2);
        execvp(a.v[0], (char *const *)a.v);
        _exit(127);
    }
    if (lf) fclose(lf);
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return -1;
    }
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    *to_remote = in[1];
    *from_remote = out[0];
    return pid;
}

pid_t target_ssh_spawn(const target_map *m, const char *log, const char *cmd) {
    argv_list a = {.n = 0};
    ssh_to(&a, m, NULL, cmd);
    return spawn_argv(&a, log);
}

int target_wait(pid_t pid) {
    int status;
    if (pid <= 0) return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* scp -O: the classic protocol, so the device needs no SFTP server. */
static int scp(const target_map *m, const char *log, bool recursive, const char *from, const char *to) {
    argv_list a = {.n = 0};
    push(&a, "scp");
    push(&a, "-O");
    push(&a, "-q");
    if (recursive) push(&a, "-r");
    common_options(&a, m);
    push(&a, "-P");
    push(&a, a.port);
    push(&a, from);
    push(&a, to);
    return run_argv(&a, log, NULL, 0);
}

int target_scp_to(const target_map *m, const char *log, const char *local, const char *remote) {
    char dest[1024];
    snprintf(dest, sizeof dest, "%s@%s:%s", m->ssh_user, m->ssh_host, remote);
    return scp(m, log, false, local, dest);
}

int target_scp_dir_from(const target_map *m, const char *log, const char *remote, const char *local) {
    char src[1024];
    snprintf(src, sizeof src, "%s@%s:%s", m->ssh_user, m->ssh_host, remote);
    return scp(m, log, true, src, local);
}

void target_ssh_close(const target_map *m) {
    if (!m->ssh_host) return;
    argv_list a = {.n = 0};
    ssh_to(&a, m, "exit", NULL);
    run_argv(&a, NULL, NULL, 0);
}
