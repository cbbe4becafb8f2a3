/* The gateway side of the virtual-time protocol against a scripted bench in a
 * child process: hello, idle reports, advance, timers firing at virtual
 * instants only, stop. */
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "tests/test.h"
#include "core/vclock.h"

#define WALL_START 1767225600000000000LL /* 2026-01-01T00:00:00Z */

/* Read one line (blocking) from fd into buf. */
static int read_line(int fd, char *buf, size_t cap) {
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0) return -1;
        if (buf[n] == '\n') break;
        n++;
    }
    buf[n] = '\0';
    return 0;
}

/* The child: a minimal time master. Exit status 0 when the gateway said what
 * it should; a number tells which step went wrong. */
static void scripted_bench(int listen_fd) {
    int fd = accept(listen_fd, NULL, NULL);
    char line[256];
    if (fd < 0) _exit(10);
    dprintf(fd, "hello v=1 wall=%lld\n", WALL_START);
    /* timers at 5 ms and 7 ms are pending: the first report names 5 ms */
    if (read_line(fd, line, sizeof line) || strcmp(line, "idle seq=0 deadline=5000000")) _exit(11);
    dprintf(fd, "advance seq=1 t=5000000\n");
    if (read_line(fd, line, sizeof line) || strcmp(line, "idle seq=1 deadline=7000000")) _exit(12);
    dprintf(fd, "advance seq=2 t=6000000\n"); /* nothing due: still idle, new seq */
    if (read_line(fd, line, sizeof line) || strcmp(line, "idle seq=2 deadline=7000000")) _exit(13);
    dprintf(fd, "advance seq=3 t=7000000\n");
    if (read_line(fd, line, sizeof line) || strcmp(line, "idle seq=3 deadline=-1")) _exit(14);
    dprintf(fd, "stop\n");
    _exit(0);
}

static int64_t fired_at[2];
static int n_fired;
static int64_t wall_seen;

static void on_timer(gw_loop *loop, void *arg) {
    fired_at[n_fired++] = clock_mono_ns();
    wall_seen = clock_wall_ns();
}

static void test_protocol(void) {
    char path[108];
    snprintf(path, sizeof path, "/tmp/test_vclock.%d.sock", (int)getpid());
    unlink(path);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(lfd, 1) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) scripted_bench(lfd);
    close(lfd);
    char err[256] = "";
    vclock *vc = vclock_connect(path, err, sizeof err);
    CHECK_MSG(vc != NULL, "%s", err);
    if (!vc) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return;
    }
    CHECK(clock_is_virtual());
    CHECK_INT(clock_mono_ns(), 0);
    CHECK_INT(clock_wall_ns(), WALL_START);
    gw_loop *loop = loop_new();
    loop_timer_at(loop, 7 * NS_PER_MS, on_timer, NULL);
    loop_timer_at(loop, 5 * NS_PER_MS, on_timer, NULL);
    CHECK_INT(vclock_attach(vc, loop), 0);
    CHECK_INT(vclock_run(vc, loop), 0);
    CHECK_INT(n_fired, 2);
    CHECK_INT(fired_at[0], 5 * NS_PER_MS);
    CHECK_INT(fired_at[1], 7 * NS_PER_MS);
    CHECK_INT(wall_seen, WALL_START + 7 * NS_PER_MS);
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "scripted bench: step %d failed",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    vclock_free(vc);
    loop_free(loop);
    unlink(path);
    clock_use_real();
}

static void test_no_bench(void) {
    char err[256] = "";
    CHECK(vclock_connect("/nonexistent/dir/clock.sock", err, sizeof err) == NULL);
    CHECK(strstr(err, "cannot connect to the clock socket /nonexistent/dir/clock.sock") != NULL);
    CHECK(!clock_is_virtual());
}

int main(void) {
    test_no_bench();
    test_protocol();
    return test_summary("vclock");
}
