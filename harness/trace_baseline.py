#!/usr/bin/python3
"""Traces recorded at one commit, compared at another (a behaviour-unchanged refactoring).

    trace_baseline.py record DIR --hil HIL --gwd GWD   run every virtual scenario, keep
                                                       what it produced in DIR/<scenario>/
    trace_baseline.py compare DIR --hil HIL --gwd GWD  run them again, compare with DIR

What is kept and compared is what the replay determinism test compares
(harness/test_virtual_time.py): the wire trace, the datahub dump, report files, a SQL dump
of the store and hil's verdict lines. The wire trace and the verdicts must be identical;
the other outputs are compared too and each difference is listed, so a deliberate change
(say, a data point's quantity) is seen and named, never hidden. Exit 0 when every wire
trace and verdict matches, 1 otherwise."""
import argparse
import hashlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_virtual_time as tv  # noqa: E402  (its scenario list and output reader)

STRICT = ("trace.jsonl", "hil verdicts")


class Setup:
    def __init__(self, hil, gwd, work):
        self.hil, self.gwd, self.timeout, self.build = Path(hil), gwd, 600, Path(work)


def _run_one(setup, scenario):
    workdir = setup.build / scenario.stem
    rc, out, _ = tv._hil(setup, ["--workdir", workdir, scenario])
    got = tv._outputs(workdir, out)
    # Verdict lines name the scenario by its absolute path: the checkout's folder is
    # masked so that a baseline recorded in one checkout compares in another.
    repo = str(tv.ROOT).encode()
    return scenario, rc, {k: (v if isinstance(v, bytes) else (v or "").encode()).replace(repo, b"<repo>")
                          for k, v in got.items()}


def _key(scenario):
    return str(scenario.relative_to(tv.ROOT / "scenarios")).replace("/", "__")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("record", "compare"))
    ap.add_argument("dir", type=Path)
    ap.add_argument("--hil", required=True)
    ap.add_argument("--gwd", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("only", nargs="*", help="scenario stems (default: all)")
    a = ap.parse_args()
    scenarios = [s for s in tv._scenarios() if not a.only or s.stem in a.only]
    # Run directories go beside the build of the gateway under test (one per checkout).
    setup = Setup(a.hil, os.path.abspath(a.gwd) if " " not in a.gwd else a.gwd,
                  Path(a.hil).resolve().parent.parent / "trace-baseline" / a.mode)
    bad = 0
    with ThreadPoolExecutor(a.jobs) as pool:
        for scenario, rc, got in pool.map(lambda s: _run_one(setup, s), scenarios):
            keep = a.dir / _key(scenario)
            if a.mode == "record":
                keep.mkdir(parents=True, exist_ok=True)
                index = {}
                for name, data in got.items():
                    h = hashlib.sha256(data).hexdigest()
                    (keep / h).write_bytes(data)
                    index[name] = h
                (keep / "index.json").write_text(json.dumps({"rc": rc, "files": index}, indent=1))
                print(f"recorded {scenario.stem}: rc {rc}, {len(index)} outputs")
                continue
            index = json.loads((keep / "index.json").read_text())
            diffs = []
            if rc != index["rc"]:
                diffs.append(f"exit {rc} (was {index['rc']})")
            names = set(index["files"]) | set(got)
            for name in sorted(names):
                old = index["files"].get(name)
                new = hashlib.sha256(got[name]).hexdigest() if name in got else None
                if old != new:
                    diffs.append(("STRICT " if name in STRICT else "") + f"{name} differs")
            strict = any(d.startswith(("STRICT", "exit")) for d in diffs)
            bad += strict
            print(f"{'DIFF' if strict else ('note' if diffs else 'same')} {scenario.stem}"
                  + (": " + "; ".join(diffs) if diffs else ""))
    if a.mode == "compare":
        print(f"trace baseline: {len(scenarios) - bad} of {len(scenarios)} scenarios with "
              f"identical wire traces and verdicts")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
