#!/usr/bin/python3
"""bench_web: the web API's request rate and latency while gwd reads 250 M-Bus
meters (make bench, ci/bench).

The bench's segment holds 250 emulated meters at 9600 baud, read by gwd in a
continuous cycle (real time: the HTTP clients are real processes); the store
holds a day of one meter's readings (a reading every 15 minutes, written into
the store before the run). CLIENTS keep-alive HTTPS clients (Python requests,
API token) call for SECONDS either GET /api/v1/status or GET
/api/v1/meters/m001/history for the last day; the figures are requests per
second and the latency p50/p99 of each, and the readout's pace (meters read per
second) with and without the load.

Usage: bench_web.py BUILD_DIR [CLIENTS [SECONDS]]; exit 1 when requests fail."""
import shlex
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import requests
import urllib3

warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
ROOT = Path(__file__).resolve().parent.parent
METERS = 250


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=20.0):
    end = time.time() + seconds
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


def web(port, state):
    return (f"web: {{bind: 127.0.0.1, port: {port}, state_dir: '{state}', initial_password: bench-initial,"
            f" max_connections: 300, session_timeout: 600s}}")


def prefill(gwd, work, port):
    """The store made by gwd itself, then a day of m001's volume every 15 minutes."""
    cfg = work / "prefill.yaml"
    cfg.write_text(f"gateway: {{name: bench, store: '{work}/gw.db', log_level: warn}}\n"
                   f"{web(port, work / 'state')}\n")
    p = subprocess.Popen(gwd + [str(cfg)])
    assert wait_port(port)
    s = requests.Session()
    s.verify = False
    base = f"https://127.0.0.1:{port}"
    csrf = s.post(base + "/api/v1/session", json={"user": "admin", "password": "bench-initial"},
                  verify=False).json()["csrf_token"]
    h = {"X-CSRF-Token": csrf}
    s.post(base + "/api/v1/session/password", json={"old_password": "bench-initial", "password": "bench-admin-1"},
           headers=h, verify=False)
    token = s.post(base + "/api/v1/users/admin/tokens", json={"label": "bench"}, headers=h,
                   verify=False).json()["token"]
    p.terminate()
    p.wait()
    now = time.time_ns()
    with sqlite3.connect(work / "gw.db") as db:
        cur = db.execute("INSERT INTO points(name, meter, record, quantity, unit) VALUES"
                         " ('m001/1', 'm001', 1, 'volume', 'm3')")
        pid = cur.lastrowid
        db.executemany("INSERT INTO samples(point_id, ts_ns, value, quality) VALUES (?, ?, ?, 0)",
                       [(pid, now - 86400 * 10**9 + i * 900 * 10**9, 50.0 + i * 0.01) for i in range(96)])
    return token


def scenario(work, port, duration):
    slaves = "".join(f"        - {{primary: {a}, telegrams: [{ROOT}/fixtures/mbus/acw_itron_bm_plus_m.hex]}}\n"
                     for a in range(1, METERS + 1))
    meters = ", ".join(f"{{name: m{a:03d}, primary: {a}}}" for a in range(1, METERS + 1))
    text = (f"name: web API under a 250-meter readout\nclock: real\nduration: {duration}s\n"
            f"plant:\n  segments:\n    - name: bus1\n      baud: 9600\n      slaves:\n{slaves}"
            f"gateway:\n  gateway: {{name: bench, store: '{work}/gw.db', log_level: warn}}\n"
            f"  mbus:\n    - {{name: bus1, device: \"${{bus1}}\", baud: 9600, interval: 1s, meters: [{meters}]}}\n"
            f"  {web(port, work / 'state')}\n")
    path = work / "web_bench.yaml"
    path.write_text(text)
    return path


def load(base, token, path, clients, seconds):
    lat, errors, lock = [], [], threading.Lock()
    stop_at = time.time() + seconds

    def client():
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + token
        while time.time() < stop_at:
            t0 = time.perf_counter()
            try:
                ok = s.get(base + path, timeout=30, verify=False).status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                (lat if ok else errors).append(time.perf_counter() - t0)
        s.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.time() - t0
    lat.sort()
    return len(lat) / took, lat[len(lat) // 2] if lat else 0, lat[int(len(lat) * 0.99)] if lat else 0, len(errors)


def readout_rate(db_path, since_ns, until_ns):
    """Meters read per second (one good reading of record 1 per readout)."""
    with sqlite3.connect(db_path) as db:
        n = db.execute("SELECT count(*) FROM readings WHERE record = 1 AND quality = 0 AND meter LIKE 'm%'"
                       " AND ts_ns BETWEEN ? AND ?", (since_ns, until_ns)).fetchone()[0]
    return n / ((until_ns - since_ns) / 1e9)


def main():
    build = Path(sys.argv[1])
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10
    gwd = shlex.split(str((build / "bin" / "gwd").resolve()))
    work = Path(tempfile.mkdtemp(prefix="bench_web_", dir=build / "bench" if (build / "bench").is_dir() else None))
    port = free_port()
    token = prefill(gwd, work, port)
    quiet = 20
    duration = quiet + 2 * seconds + 15
    hil = subprocess.Popen([str(build / "bin" / "hil"), "run", "--workdir", str(work / "run"),
                            str(scenario(work, port, duration))], cwd=ROOT,
                           env={"HIL_GWD": " ".join(gwd), "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"https://127.0.0.1:{port}"
    failed = 0
    try:
        assert wait_port(port), "gwd's web server did not start"
        t_quiet = time.time_ns()
        time.sleep(quiet)
        t_load = time.time_ns()
        results = []
        for what, path in (("status", "/api/v1/status"),
                           ("one meter's day of history", "/api/v1/meters/m001/history?limit=10000")):
            rate, p50, p99, errs = load(base, token, path, clients, seconds)
            results.append((what, rate, p50, p99, errs))
            failed += errs
        t_end = time.time_ns()
        hist = requests.get(base + "/api/v1/meters/m001/history?limit=10000", verify=False,
                            headers={"Authorization": "Bearer " + token}).json()["readings"]
    finally:
        out, _ = hil.communicate(timeout=duration + 60)
    quiet_rate = readout_rate(work / "gw.db", t_quiet, t_load)
    load_rate = readout_rate(work / "gw.db", t_load, t_end)
    for what, rate, p50, p99, errs in results:
        print(f"  {'web API ' + what:<44} {rate:11.0f} requests/s  (p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms,"
              f" {clients} HTTPS clients, {errs} failed)")
    print(f"  {'  (history answer)':<44} {len(hist):11d} readings   (a day of 96 prefilled + the run's)")
    print(f"  {'  250-meter readout, 9600 baud':<44} {quiet_rate:11.2f} meters/s quiet, {load_rate:.2f} under the API load")
    if hil.returncode != 0:
        print(out)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
