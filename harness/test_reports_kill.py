"""SIGKILL in the middle of report cycles: the gateway (real time, readouts
every second, one JSON report per cycle into a directory, queue in the store)
is killed at a random instant, many times, and restarted on the same store.
Afterwards: every report file is complete JSON, nothing is left queued, and
every readout the store kept is in exactly one report (by its cycle time)."""
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
      baud: 9600
      slaves:
        - {{primary: 5, telegrams: [{fixtures}/mbus/acw_itron_bm_plus_m.hex]}}
gateway:
  gateway: {{name: gw-kill, store: "{state}/gw.db"}}
  mbus:
    - {{name: bus1, device: "${{bus1}}", baud: 9600, interval: 1s,
       meters: [{{name: water1, primary: 5}}]}}
  reports:
    instances:
      - {{name: files, format: json, transport: {{file: {{dir: "{state}/reports"}}}}}}
expect: []
"""


def gwd_children(pid):
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(l.split()[0]) for l in out.splitlines() if "gwd" in l]


def run_once(hil_setup, scenario, work, kill_after):
    hil = subprocess.Popen([str(hil_setup.hil), "run", "--workdir", str(work), str(scenario)],
                           cwd=hil_setup.root, env={"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is not None:
        time.sleep(kill_after)
        for pid in gwd_children(hil.pid):
            os.kill(pid, signal.SIGKILL)
    hil.wait(timeout=60)


def test_sigkill_many_times(hil_setup, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    rng = random.Random(int(os.environ.get("KILL_SEED", "10")))
    scenario = tmp_path / "kill.yaml"
    scenario.write_text(SCENARIO.format(duration=4, state=state,
                                        fixtures=hil_setup.root / "fixtures"))
    for i in range(int(os.environ.get("KILL_RUNS", "12"))):
        run_once(hil_setup, scenario, tmp_path / "run", rng.uniform(0.3, 3.5))
    run_once(hil_setup, scenario, tmp_path / "run", None)  # a clean run drains the queue

    db = sqlite3.connect(state / "gw.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert not glob.glob(str(state / "reports" / "*.tmp"))
    reported = []
    for path in sorted(glob.glob(str(state / "reports" / "*.json"))):
        doc = json.loads(Path(path).read_text())  # complete, valid JSON
        for meter in doc["muc"]["meter"]:
            reported.append(meter["data"][0]["entry"][0]["T_MUC"])
    stored = [r[0] // 10**9 for r in db.execute(
        "SELECT DISTINCT ts_ns FROM readings WHERE meter='water1' ORDER BY ts_ns")]
    assert stored, "no readings at all"
    missing = sorted(set(stored) - set(reported))
    assert not missing, f"stored readouts without a report: {missing}"
