#!/usr/bin/python3
"""bench_mbus: the secondary scan and the readout cycle of the real gwd, measured
on the bench's emulated M-Bus segment in virtual time (make bench, ci/bench).

For each segment (1, 10, 50, 100, 250 meters; random and consecutive ids) it
writes a scenario: the meters on one segment at 2400 baud (sim/bench_segment.c,
bit-level wired-AND line of sim/mbus/mbus_line.c), each answering after its own
delay drawn from 11..22 bit times (EN 13757-2: at least 11; 22 is the bench's
default), and gwd with a secondary scan at start-up, reset none, a cycle every
30 minutes. `hil run` runs it in virtual time for 35 minutes: cycle 1 is the
scan and the first readout of every meter found, cycle 2 (at 30 min) a plain
readout. From the bench's trace (every frame with its wire instants):

  scan cost   = cycle 1 - cycle 2, in transactions (requests the master put on
                the bus) and in bus time (from the cycle's start to the end of
                its last frame): everything the scan added to a plain readout,
                including the selects that confirm a candidate;
  readout     = cycle 2: its length from the first request's first bit to the
                last answer's last bit, next to the pure wire time of all its
                telegrams (11 bits per byte at 2400 baud).

The commission report must list exactly the meters of the segment.

The classic libmbus search is modelled (it does not run) on the same meters and
the same timings: id digits 0-9 at every position from the first (the whole
mask is never probed), manufacturer/version/medium wildcards; a select without
a clean E5 is sent once more (the one retry); after a clean E5 it listens until
the response timeout and sends REQ_UD2 to 0xFD to learn the address; a
collision descends one position. The line decides as sim/mbus/mbus_line.c does:
several E5s within half a bit of each other read as one clean E5 (the classic
search then gets a garbled RSP_UD and is, generously, let descend as after a
collision); otherwise several answers are a collision.

Usage: bench_mbus.py BUILD_DIR [SIZES...]; exit 1 when a scan misses a meter
or finds one too many, or when a run fails.
"""
import csv
import json
import os
import random
import subprocess
import sys

BAUD = 2400
BIT_NS = 1e9 / BAUD
BYTE_NS = 11 * BIT_NS
GAP_NS = 33 * BIT_NS                    # the master's request gap (auto)
TIMEOUT_NS = 330 * BIT_NS + 50e6        # its response timeout (auto)
TX_ALLOWANCE_NS = 2e6                   # gwd times the timeout from 2 ms after its last byte
SELECT_BYTES, REQ_BYTES = 17, 5
TELEGRAM = "fixtures/mbus/kamstrup_382_005.hex"  # 76 bytes, a typical heat meter
INTERVAL_S = 1800
SIZES = (1, 10, 50, 100, 250)


def make_meters(n, consecutive, seed):
    rng = random.Random(seed)
    ids = set()
    meters = []
    while len(meters) < n:
        i = 12340000 + len(meters) if consecutive else rng.randrange(100000000)
        if i in ids:
            continue
        ids.add(i)
        delay_us = round((11 + 11 * rng.random()) * BIT_NS / 1000)
        meters.append((f"{i:08d}", delay_us))
    return meters


def write_scenario(path, meters, workdir):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(path, "w") as f:
        f.write("name: scan bench\nclock: virtual\n")
        f.write(f"duration: {INTERVAL_S + 300}s\nplant:\n  segments:\n")
        f.write(f"    - name: bus1\n      baud: {BAUD}\n      slaves:\n")
        for mid, delay_us in meters:
            f.write(f'        - {{id: "{mid}", telegrams: [{root}/{TELEGRAM}], '
                    f"response_delay: {delay_us}us}}\n")
        f.write("gateway:\n")
        f.write(f'  gateway: {{name: gw1, log_level: warn, store: "{workdir}/gw.db", '
                f'datahub_dump: "{workdir}/datahub.json"}}\n')
        f.write(f'  mbus:\n    - name: bus1\n      device: "${{bus1}}"\n      baud: {BAUD}\n')
        f.write(f"      interval: {INTERVAL_S}s\n      reset: none\n")
        f.write(f'      scan: {{mode: secondary, at_start: true, report: "{workdir}/commission.csv"}}\n')
        f.write("      meters: []\n")
        f.write(f"expect:\n  - store: {{sql: \"SELECT count(*) FROM meters WHERE status = 'ok'\", "
                f"equals: {len(meters)}}}\n")
        f.write("  - timing: {rule: idle_before_request, min_bits: 33}\n")


def frame_bytes(rec):
    return len(rec["hex"].split()) if rec["hex"] else 0


def cycle_figures(frames, start_ns):
    """Transactions, bus time from the cycle's start, readout span and wire time."""
    requests = [r for r in frames if r["dir"] == "gw>bus"]
    if not requests:
        return 0, 0.0, 0.0, 0.0
    end = max(r["end_ns"] for r in frames)
    wire = sum(frame_bytes(r) for r in frames) * BYTE_NS
    first = min(r["t_ns"] for r in requests)
    return len(requests), (end - start_ns) / 1e9, (end - first) / 1e9, wire / 1e9


class Classic:
    """The classic libmbus search on the modelled line (see the top of the file)."""

    def __init__(self, meters):
        self.meters = meters
        self.tx = 0
        self.ns = 0.0
        self.found = 0

    def select(self, mask):
        """One select; returns 'none', 'clean' or 'collision'."""
        match = [d for mid, d in self.meters if all(m in ("F", c) for m, c in zip(mask, mid))]
        self.tx += 1
        self.ns += GAP_NS + SELECT_BYTES * BYTE_NS
        if not match:
            self.ns += TX_ALLOWANCE_NS + TIMEOUT_NS
            return "none", match
        lo, hi = min(match), max(match)
        if (hi - lo) * 1000 < BIT_NS / 2:
            # listens until the response timeout for a later answer
            self.ns += TX_ALLOWANCE_NS + TIMEOUT_NS
            return "clean", match
        self.ns += lo * 1000 + (hi - lo) * 1000 + BYTE_NS  # garbled E5s, then the gap
        return "collision", match

    def search(self, mask, pos):
        for digit in "0123456789":
            probe = mask[:pos] + digit + mask[pos + 1:]
            outcome, match = self.select(probe)
            if outcome != "clean":
                outcome, match = self.select(probe)  # the one retry
            if outcome == "clean":
                self.tx += 1  # REQ_UD2 to 0xFD for the address
                self.ns += GAP_NS + REQ_BYTES * BYTE_NS + match[0] * 1000
                self.ns += 76 * BYTE_NS
                if len(match) == 1:
                    self.found += 1
                    continue
            if outcome != "none" and pos < 7:
                self.search(probe, pos + 1)

    def run(self):
        self.search("FFFFFFFF", 0)
        return self


def run_segment(build, hil, kind, n):
    meters = make_meters(n, kind == "consecutive", seed=1000 + n)
    workdir = os.path.abspath(f"{build}/bench/mbus_scan/{kind}_{n}")
    os.makedirs(workdir, exist_ok=True)
    scenario = f"{workdir}.yaml"
    write_scenario(scenario, meters, workdir)
    out = subprocess.run([hil, "run", "--workdir", workdir, scenario],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stdout[-3000:], out.stderr[-2000:])
        raise SystemExit(f"bench mbus: {scenario} failed (exit {out.returncode})")
    frames = [json.loads(line) for line in open(f"{workdir}/trace.jsonl")]
    frames = [r for r in frames if r["ch"] == "bus1" and r["dir"] in ("gw>bus", "bus>gw")]
    split = INTERVAL_S * 1e9
    c1 = cycle_figures([r for r in frames if r["t_ns"] < split], 0)
    c2 = cycle_figures([r for r in frames if r["t_ns"] >= split], split)
    with open(f"{workdir}/commission.csv") as f:
        rows = [r for r in csv.reader((l for l in f if not l.startswith("#")), delimiter=";")]
    found = sorted(r[5] for r in rows[1:])
    missing = sorted(set(m for m, _ in meters) - set(found))
    extra = len(found) - (n - len(missing))
    return meters, c1, c2, missing, extra


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build/host"
    sizes = [int(a) for a in sys.argv[2:]] or SIZES
    hil = f"{build}/bin/hil"
    failures = 0
    print(f"bench scan: real gwd, secondary scan on the emulated bus at {BAUD} baud "
          "(scan = cycle 1 minus the plain readout of cycle 2), next to the classic libmbus model")
    print(f"{'ids':<11} {'meters':>6} | {'ours tx':>7} {'bus s':>7} {'found':>5} | "
          f"{'class':>6} {'bus s':>7} {'found':>5} | {'tx %':>5} {'time %':>6}")
    for kind in ("random", "consecutive"):
        for n in sizes:
            meters, c1, c2, missing, extra = run_segment(build, hil, kind, n)
            classic = Classic(meters).run()
            tx, secs = c1[0] - c2[0], c1[1] - c2[1]
            cls_s = classic.ns / 1e9
            print(f"{kind:<11} {n:>6} | {tx:>7} {secs:>7.1f} {n - len(missing):>5} | "
                  f"{classic.tx:>6} {cls_s:>7.1f} {classic.found:>5} | "
                  f"{100 * tx / classic.tx:>5.1f} {100 * secs / cls_s:>6.1f}")
            if missing or extra:
                print(f"bench scan: FAIL {kind} {n}: missed {missing[:5]}, {extra} extra")
                failures += 1
            if n == 250:
                print(f"bench scan: {kind} ids, 250 meters: {tx} of {classic.tx} classic "
                      f"transactions: goal (at most half) {'met' if 2 * tx <= classic.tx else 'MISSED'}")
            if n == 250 and kind == "random":
                over = 100 * (c2[2] / c2[3] - 1)
                print(f"bench readout: 250 meters (secondary, real gwd, cycle 2): {c2[0]} requests, "
                      f"cycle {c2[2]:.2f} s, wire time of its telegrams {c2[3]:.2f} s, overhead "
                      f"{over:.1f} %: goal (10 %) {'met' if over <= 10 else 'MISSED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
