/* Unit tests of counted I/O channels and of the idle line built from them. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/iochan.h"
#include "tests/test.h"
#include "core/vclock.h"

static void test_stream_counts(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    iochan *w = iochan_open(p[1], "/dev/pts/7", false);
    iochan *r = iochan_open(p[0], "/dev/pts/7-peer", false);
    CHECK(w && r);
    CHECK_INT(iochan_write(w, "hello", 5), 5);
    CHECK_INT(iochan_write(w, "", 0), 0);
    char buf[16];
    CHECK_INT(iochan_read(r, buf, 3), 3);
    CHECK_INT(iochan_read(r, buf, sizeof buf), 2);
    CHECK_INT(iochan_tx(w), 5);
    CHECK_INT(iochan_rx(w), 0);
    CHECK_INT(iochan_rx(r), 5);
    CHECK_STR(iochan_name(w), "/dev/pts/7");
    CHECK_INT(iochan_fd(r), p[0]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    CHECK_INT(iochan_read(r, buf, sizeof buf), -1); /* EAGAIN counts nothing */
    CHECK_INT(iochan_rx(r), 5);
    iochan_count_rx(r, 10); /* a library that read by itself */
    iochan_count_tx(r, 2);
    CHECK_INT(iochan_rx(r), 15);
    CHECK_INT(iochan_tx(r), 2);
    iochan_close(w);
    CHECK(!iochan_is_open(w));
    CHECK_INT(iochan_write(w, "x", 1), -1); /* closed: nothing goes through */
    CHECK_INT(iochan_tx(w), 5);             /* ... and the counters stay */
    close(p[0]);
    close(p[1]);
}

static void test_datagrams_count_once(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    iochan *a = iochan_open(sv[0], "udp:5000:6000", true);
    iochan *b = iochan_open(sv[1], "udp:6000:5000", true);
    CHECK_INT(iochan_sendto(a, "abcdef", 6, NULL, 0), 6);
    CHECK_INT(iochan_sendto(a, "", 0, NULL, 0), 0); /* an empty datagram is one too */
    char buf[16];
    CHECK_INT(iochan_recvfrom(b, buf, sizeof buf, NULL, NULL), 6);
    CHECK_INT(iochan_recvfrom(b, buf, sizeof buf, NULL, NULL), 0);
    CHECK_INT(iochan_tx(a), 2);
    CHECK_INT(iochan_rx(b), 2);
    close(sv[0]);
    close(sv[1]);
}

static void test_registry_and_idle_line(void) {
    iochan_registry_free();
    CHECK_INT(iochan_count(), 0);
    int p[2];
    CHECK(pipe(p) == 0);
    iochan *first = iochan_open(p[1], "/dev/ttyS1", false);
    iochan_count_tx(first, 5);
    iochan_count_rx(first, 40);
    iochan_close(first); /* the port went away and came back: same name, summed */
    iochan *again = iochan_open(p[1], "/dev/ttyS1", false);
    iochan_count_tx(again, 5);
    iochan *tcp = iochan_open(p[0], "tcp:2404:40000", false);
    iochan_count_rx(tcp, 16);
    CHECK_INT(iochan_count(), 3);
    CHECK(iochan_at(0) == first && iochan_at(2) == tcp && iochan_at(3) == NULL);
    char *line = vclock_idle_line(12, 123456789);
    CHECK_STR(line, "idle seq=12 deadline=123456789 /dev/ttyS1=10/40 tcp:2404:40000=0/16\n");
    free(line);
    line = vclock_idle_line(0, INT64_MAX); /* no timer: -1 */
    CHECK(line && strncmp(line, "idle seq=0 deadline=-1 ", 23) == 0);
    free(line);
    iochan_registry_free();
    line = vclock_idle_line(3, 5);
    CHECK_STR(line, "idle seq=3 deadline=5\n");
    free(line);
    close(p[0]);
    close(p[1]);
}

static void test_fields(void) {
    char v[32];
    CHECK(vclock_field("advance seq=3 t=5000", "t", v, sizeof v));
    CHECK_STR(v, "5000");
    CHECK(vclock_field("advance seq=3 t=5000\n", "seq", v, sizeof v));
    CHECK_STR(v, "3");
    CHECK(!vclock_field("advance seq=3 tt=5", "t", v, sizeof v)); /* whole keys only */
    CHECK(!vclock_field("hello v=1", "wall", v, sizeof v));
    CHECK(!vclock_field("x t=123456789012345678901234567890123", "t", v, sizeof v)); /* too long */
}

int main(void) {
    test_stream_counts();
    test_datagrams_count_once();
    test_registry_and_idle_line();
    test_fields();
    iochan_registry_free();
    return test_summary("iochan");
}
