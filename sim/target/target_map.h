/* target_map: how a scenario's world maps onto a real gateway (hil run --target MAPFILE).
 *
 * On the bench the gateway is a child process on ptys; in target mode it is a device
 * that is reached: its serial buses are wired to tty devices of the test PC, its TCP/UDP
 * ports are at an address, its configuration is pushed to (or expected on) the device,
 * and what it produced (dump, store, reports) is fetched over SSH or read from a mounted
 * directory. The map file (YAML, errors as file:line:col) says where each of these is:
 *
 *   device:
 *     ssh: {host: 10.0.0.7, port: 22, user: root, key: ~/.ssh/id_gw}  # or no ssh, see files
 *     config: /etc/gwd/gwd.yaml     # where the scenario's gateway configuration goes
 *     config_mode: push             # push (scp + restart) | expect (already in place)
 *     config_owner: gwd:gwd         # owner of the pushed file (mode 0600)
 *     service: gwd                  # systemd unit restarted after a push, stopped to fetch
 *     workdir: /var/lib/gwd/hil     # ${workdir} on the device: <workdir>/<scenario>
 *     files: ssh                    # ssh (scp) | a local directory where <workdir> is mounted
 *     address: 10.0.0.7             # the gateway's TCP/UDP ports
 *   serial:                         # every segment of a scenario must be mapped
 *     bus1: {device: /dev/ttyUSB0, target: /dev/ttyS0, baud: 2400, check: loopback}
 *   ports:                          # gateway port -> port at address (default: the same)
 *     - {proto: tcp, gateway: 2404, reach: 2404}
 *   timing_tolerance: 10ms          # timing expectations are relaxed by this much
 *   settle: 3s                      # extra real time after a scenario's duration
 *   max_duration: 120s              # longer scenarios are replays for virtual time: skipped
 *   cycle_quiet: 2s                 # without ssh: the wire's end-of-cycle silence is at most
 *                                   # this (min(interval/3, this), see target_mode.c)
 *
 * `baud` on a serial entry pins the speed the adapter is wired for; a scenario at another
 * speed fails before anything runs. `target` is the gateway's name for the port
 * (${<segment>} in its configuration). `check: loopback` (default none) tells
 * hil target-check that the adapter hears its own transmission (a loopback plug, or an
 * M-Bus level converter that echoes the bus), so the wiring can be tested with bytes. */
#ifndef SIM_TARGET_MAP_H
#define SIM_TARGET_MAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/config.h"

typedef struct target_serial {
    const char *name;    /* scenario segment name */
    const char *device;  /* tty on this PC */
    const char *target;  /* the port's name on the device */
    unsigned baud;       /* 0: follow the scenario */
    bool loopback;       /* check: loopback: what the adapter sends comes back (hil target-check) */
} target_serial;

typedef struct target_port {
    const char *proto;   /* tcp | udp */
    unsigned gateway, reach;
} target_port;

typedef struct target_map {
    cfg_node *root;
    const char *path;
    /* device */
    const char *ssh_host, *ssh_user, *ssh_key;
    unsigned ssh_port;
    const char *config, *config_owner, *service, *workdir, *address;
    bool config_push;
    const char *files_dir;    /* NULL: fetch with scp */
    target_serial *serial;
    size_t n_serial;
    target_port *ports;
    size_t n_ports;
    int64_t timing_tolerance_ns, settle_ns, max_duration_ns;
    int64_t cycle_quiet_ns;    /* cap of the wire's end-of-cycle silence (no ssh) */
} target_map;

/* Load a map file; NULL and err ("file:line:col: ...") on error. */
target_map *target_map_load(const char *path, cfg_err *err);
void target_map_free(target_map *m);
const target_serial *target_map_serial(const target_map *m, const char *segment);
/* Where a gateway port is reached: the address and the mapped port (the same when
 * not listed). */
unsigned target_map_port(const target_map *m, const char *proto, unsigned gateway_port);

/* Open a mapped serial device for an emulated segment: raw, non-blocking, the scenario's
 * baud set and read back. -1 with a loud reason when the device is missing, cannot be
 * set up, is pinned to another baud, or keeps another speed than the scenario's. */
int target_serial_open(const target_serial *s, unsigned scenario_baud, char *err, size_t errlen);
#endif
