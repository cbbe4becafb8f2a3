"""Virtual time (docs/virtual-time.md): every virtual scenario replays byte for byte,
and a stuck co-simulation fails fast with what each side last said.

Replay: each scenario of scenarios/** that runs in virtual time (the default) is run
twice into two run directories; the wire trace, the datahub dump, every report file,
a SQL dump of the store and hil's verdict lines must be identical. gwd.log is not
compared (it names the pty devices, which differ between runs). In the store, the
event texts that name a TCP peer carry the kernel's ephemeral port numbers (the
gateway logs them for users, as it must): those numbers alone are masked."""
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _scenarios():
    out = []
    for p in sorted((ROOT / "scenarios").rglob("*.yaml")):
        rel = p.relative_to(ROOT / "scenarios")
        if p.name.startswith("_") or rel.parts[0] == "demo":
            continue
        if re.search(r"^clock:\s*real\b", p.read_text(), re.M):
            continue
        out.append(p)
    return out


def _hil(hil_setup, args, gwd=None, timeout=None):
    env = dict(os.environ, HIL_GWD=gwd or hil_setup.gwd)
    cmd = [str(hil_setup.hil), "run"] + [str(a) for a in args]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout or hil_setup.timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), time.monotonic() - t0


# "127.0.0.1:50212 refused", "tcp:53815:60688: connection ...": ports the kernel chose.
_EPHEMERAL = re.compile(r"(?<=127\.0\.0\.1:)\d+|(?<=\btcp:)\d+:\d+|(?<=\budp:)\d+:\d+")


def _store_dump(path):
    if not path.exists():
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _EPHEMERAL.sub("<port>", "\n".join(con.iterdump()))
    finally:
        con.close()


def _outputs(workdir: Path, hil_out: str):
    """What a run produced that must not depend on the run: name -> content."""
    got = {}
    for f in sorted(workdir.rglob("*")):
        if not f.is_file():
            continue
        rel = str(f.relative_to(workdir))
        if rel == "trace.jsonl" or rel == "datahub.json" or rel.startswith("reports/"):
            got[rel] = f.read_bytes()
        elif f.suffix == ".db":
            got[rel + " (SQL dump)"] = _store_dump(f)
    # The number of co-simulation steps is a diagnostic: a TCP close seen one step
    # later adds an advance without changing any byte or instant of the run.
    verdicts = [re.sub(r"\(\d+ advances\)", "(N advances)", l) for l in hil_out.splitlines()
                if l.startswith(("PASS", "FAIL", "=="))]
    got["hil verdicts"] = "\n".join(verdicts)
    return got


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda p: p.stem)
def test_replay_is_byte_identical(hil_setup, scenario):
    runs = []
    for name in ("a", "b"):
        workdir = hil_setup.build / "replay" / scenario.stem / name
        rc, out, _ = _hil(hil_setup, ["--workdir", workdir, scenario])
        assert rc == 0, f"run {name} of {scenario.name} failed:\n{out}"
        runs.append(_outputs(workdir, out))
    a, b = runs
    assert "trace.jsonl" in a, "no trace written"
    assert sorted(a) == sorted(b), "the two runs wrote different files"
    for key in a:
        assert a[key] == b[key], f"{scenario.name}: {key} differs between two runs"


STUCK_SCENARIO = """\
name: stuck co-simulation ({mode})
duration: 10s
watchdog: 2s
plant:
  segments:
    - name: bus1
      baud: 2400
      slaves: [{{primary: 1, telegrams: [{fixture}]}}]
gateway:
  mbus: [{{name: bus1, device: "${{bus1}}", baud: 2400, interval: 1m, meters: [{{name: m1, primary: 1}}]}}]
"""


@pytest.mark.parametrize("mode,message", [
    ("deaf", "the gateway did not connect to the clock socket within 2.0 s"),
    ("mute", 'no idle report for advance seq=0 within 2.0 s; gateway last said "nothing"'),
    ("liar", "channel counters did not agree within 2.0 s"),
])
def test_stuck_cosimulation_fails_fast(hil_setup, tmp_path, mode, message):
    scenario = tmp_path / f"stuck_{mode}.yaml"
    scenario.write_text(STUCK_SCENARIO.format(
        mode=mode, fixture=ROOT / "fixtures" / "mbus" / "frame2.hex"))
    fake = shlex.join([sys.executable, str(ROOT / "harness" / "fake_gwd.py"), mode])
    rc, out, elapsed = _hil(hil_setup, ["--workdir", tmp_path / "run", scenario], gwd=fake,
                            timeout=60)
    assert rc == 1, out
    assert "FAIL  virtual time: co-simulation stuck at t=0 ns" in out, out
    assert message in out, out
    if mode == "liar":
        # what each side last said: the gateway's idle line and the bench's counters
        assert re.search(r'gateway last said "idle seq=0 deadline=-1 \S+=7/0"', out), out
        assert re.search(r"bench tx/rx 0/0, gateway tx/rx 7/0", out), out
    assert elapsed < 15, f"took {elapsed:.1f} s with a 2 s watchdog"
