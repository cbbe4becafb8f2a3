/* bench_modbus: register reads per second a Modbus TCP server serves to N
 * concurrent masters (libmodbus clients, one process each, each reading 10
 * holding registers in a loop for the given time).
 *   bench_modbus PORT MASTERS SECONDS  → "N masters: R reads/s (R registers/s)" */
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/clock.h"

static long run_master(int port, int64_t end_ns) {
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    if (!ctx || modbus_connect(ctx) < 0) return -1;
    uint16_t regs[10];
    long reads = 0;
    while (clock_mono_ns() < end_ns) {
        if (modbus_read_registers(ctx, 0, 10, regs) != 10) return -1;
        reads++;
    }
    modbus_close(ctx);
    modbus_free(ctx);
    return reads;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_modbus PORT MASTERS SECONDS\n");
        return 2;
    }
    int port = atoi(argv[1]), masters = atoi(argv[2]);
    double seconds = atof(argv[3]);
    int fds[2];
    if (masters < 1 || pipe(fds) < 0) return 2;
    int64_t start = clock_mono_ns(), end = start + (int64_t)(seconds * NS_PER_S);
    for (int i = 0; i < masters; i++)
        if (fork() == 0) {
            long n = run_master(port, end);
            (void)!write(fds[1], &n, sizeof n);
            _exit(n < 0);
        }
    long total = 0;
    int failed = 0;
    for (int i = 0; i < masters; i++) {
        long n;
        if (read(fds[0], &n, sizeof n) != sizeof n || n < 0) failed++;
        else total += n;
    }
    while (wait(NULL) > 0) {}
    double took = (double)(clock_mono_ns() - start) / NS_PER_S;
    printf("bench modbus: %d master(s): %.0f reads/s (%.0f registers/s)%s\n", masters, total / took,
           10 * total / took, failed ? " — some masters failed" : "");
    return failed ? 1 : 0;
}
