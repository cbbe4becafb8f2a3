#!/usr/bin/python3
"""make bench, store line: readings/s into SQLite in WAL mode when each readout cycle
commits its readings in one transaction (gateway/store/store_tx.c), with
synchronous=NORMAL and synchronous=FULL, on the file system of the build directory.

FULL syncs the WAL at every commit, so a power cut cannot lose a committed cycle
(ci/board-powercut-test); NORMAL syncs only at checkpoints and may lose the last
commits. The cost is one fsync per commit: the lines show it per cycle size.
  ci/bench-store.py DIR [SECONDS]"""
import os
import sqlite3
import sys
import time


def run(path, sync, per_cycle, seconds):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={sync}")
    db.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY, ts_ns INTEGER, meter TEXT,"
               " point TEXT, value REAL, unit TEXT)")
    db.execute("CREATE INDEX readings_point_ts ON readings (point, ts_ns)")
    n = commits = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        db.execute("BEGIN")
        for i in range(per_cycle):
            db.execute("INSERT INTO readings (ts_ns, meter, point, value, unit) VALUES (?, ?, ?, ?, ?)",
                       (n, f"m{i % 20}", f"m{i % 20}/{i}", n * 0.001, "Wh"))
            n += 1
        db.execute("COMMIT")
        commits += 1
    secs = time.monotonic() - t0
    db.close()
    return n / secs, commits / secs


def main():
    d = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "bench_store.db")
    for per_cycle in (20, 200):
        rates = {s: run(path, s, per_cycle, seconds) for s in ("NORMAL", "FULL")}
        (rn, cn), (rf, cf) = rates["NORMAL"], rates["FULL"]
        print(f"  {'store, WAL, ' + str(per_cycle) + ' readings per cycle commit':44s} "
              f"NORMAL {rn:9.0f} readings/s ({cn:6.0f} commits/s)   FULL {rf:9.0f} readings/s "
              f"({cf:6.0f} commits/s): FULL costs {100 * (1 - rf / rn):.0f} %")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)


main()
