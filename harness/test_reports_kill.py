"""SIGKILL in the middle of report cycles: the gateway (real time, readouts
every second, one JSON report per cycle into a directory, queue in the store)
is killed at a random instant, many times, and restarted on the same store.

The test proves its kills mattered: a kill counts as landing "in a cycle" when
the gateway had asked the meter (REQ_UD2 in the wire trace) for a readout that
the store did not keep, or left a committed report undelivered in the outbox.
At 2400 Bd the telegram alone is on the wire for 0.3 s of each 1 s period, so
most random kills land there; at least one must (else the test proves nothing).

Afterwards: the database is intact, every report file is complete JSON, nothing
is left queued, every readout the store kept is in a report, every report's
readout is in the store (reports and readings are committed together: both or
neither), and the final clean run's readouts are all stored and reported."""
import glob
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

SCENARIO = """\
name: reports survive SIGKILL
duration: {duration}s
clock: real
plant:
  segments:
    - name: bus1
      baud: 2400
      slaves:
        - {{primary: 5, telegrams: [{fixtures}/mbus/acw_itron_bm_plus_m.hex]}}
gateway:
  gateway: {{name: gw-kill, store: "{state}/gw.db"}}
  mbus:
    - {{name: bus1, device: "${{bus1}}", baud: 2400, interval: 1s,
       meters: [{{name: water1, primary: 5}}]}}
  reports:
    instances:
      - {{name: files, format: json, transport: {{file: {{dir: "{state}/reports"}}}}}}
expect: []
"""


def gwd_children(pid):
    """The gwd processes whose parent is PID, read from /proc (no procps needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        ppid = int(text[text.rindex(")") + 2:].split()[1])
        if ppid == pid and b"gwd" in cmdline:
            found.append(int(stat.parent.name))
    return found


def run_once(hil_setup, scenario, work, kill_after):
    """One run of the scenario; returns True when a gwd was really killed."""
    hil = subprocess.Popen([str(hil_setup.hil), "run", "--workdir", str(work), str(scenario)],
                           cwd=hil_setup.root, env={"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed = False
    if kill_after is not None:
        time.sleep(kill_after)
        for pid in gwd_children(hil.pid):
            os.kill(pid, signal.SIGKILL)
            killed = True
    hil.wait(timeout=60)
    return killed


def readout_requests(work):
    """REQ_UD2 frames the gateway put on the wire in this run (one per readout)."""
    lines = (work / "trace.jsonl").read_text().splitlines()
    return sum(1 for l in lines if '"gw>bus"' in l and "REQ_UD2" in json.loads(l)["event"])


def stored_readouts(state):
    db = sqlite3.connect(state / "gw.db")
    try:
        rows = db.execute("SELECT DISTINCT ts_ns FROM readings WHERE meter='water1'").fetchall()
        queued = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    finally:
        db.close()
    return {r[0] // 10**9 for r in rows}, queued


def reported_readouts(state):
    """T_MUC of every reading in every report file; each file must be complete JSON."""
    reported = []
    for path in sorted(glob.glob(str(state / "reports" / "*.json"))):
        doc = json.loads(Path(path).read_text())  # complete, valid JSON
        assert doc["muc"]["MUC_ID"] == "gw-kill", path
        for meter in doc["muc"]["meter"]:
            reported.append(meter["data"][0]["entry"][0]["T_MUC"])
    return set(reported)


def test_sigkill_many_times(hil_setup, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    work = tmp_path / "run"
    rng = random.Random(int(os.environ.get("KILL_SEED", "10")))
    runs = int(os.environ.get("KILL_RUNS", "12"))
    scenario = tmp_path / "kill.yaml"
    scenario.write_text(SCENARIO.format(duration=4, state=state,
                                        fixtures=hil_setup.root / "fixtures"))
    kills = in_cycle = 0
    before = set()
    for i in range(runs):
        kills += run_once(hil_setup, scenario, work, rng.uniform(0.3, 3.5))
        after, queued = stored_readouts(state)
        if readout_requests(work) > len(after - before) or queued > 0:
            in_cycle += 1
        before = after
    print(f"{kills} kills of {runs} runs, {in_cycle} in the middle of a cycle")
    assert kills >= runs // 2, f"only {kills} of {runs} runs had a gateway to kill"
    assert in_cycle > 0, "no kill landed in a cycle: the test proved nothing"

    run_once(hil_setup, scenario, work, None)  # a clean run drains the queue
    stored, queued = stored_readouts(state)
    clean = stored - before
    assert len(clean) >= 2, f"the clean run stored {len(clean)} readouts"
    assert readout_requests(work) >= len(clean)

    db = sqlite3.connect(state / "gw.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert queued == 0
    reported = reported_readouts(state)
    assert stored, "no readings at all"
    assert not sorted(clean - reported), f"clean-run readouts without a report: {sorted(clean - reported)}"
    missing = sorted(stored - reported)
    assert not missing, f"stored readouts without a report: {missing}"
    orphans = sorted(reported - stored)
    assert not orphans, f"reports of readouts the store does not have: {orphans}"
    assert not glob.glob(str(state / "reports" / "*.tmp"))
