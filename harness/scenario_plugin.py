"""pytest plugin: every scenarios/**/*.yaml is one test item, run by `hil run`.

The same harness serves every build variant: --build picks the directory the
scenario work directories and the JUnit XML go to, --hil the bench program, and
--gwd the gateway command hil starts (handed to hil as HIL_GWD), so the host bench
can drive an ASan gateway or an armhf gateway under qemu-arm.

Files whose name starts with "_" are fragments other scenarios include, and
scenarios/demo/ holds real-time demo plants for `make demo`: neither is a test.

A scenario that fails leaves its HTML run report in BUILD/run-reports/<name>.html
(`hil run --report-failed`, docs/run-report.md), listed by BUILD/run-reports/index.html,
which the session rewrites at its end; a scenario that passes again removes its old page.
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("hil", "scenario runs through the hil bench")
    group.addoption("--build", default=os.environ.get("HIL_BUILD", "build/host"),
                    help="build variant directory (default build/host, env HIL_BUILD)")
    group.addoption("--hil", default=os.environ.get("HIL"),
                    help="hil program (default BUILD/bin/hil, env HIL)")
    group.addoption("--gwd", default=os.environ.get("HIL_GWD"),
                    help="gateway command, words split like a shell (default BUILD/bin/gwd, env HIL_GWD)")
    group.addoption("--shard", default=os.environ.get("HIL_SHARD") or None,
                    help="run only share K of N of the tests (K/N, env HIL_SHARD; docs/ci.md)")
    group.addoption("--shard-durations", default=os.environ.get("HIL_DURATIONS"),
                    help="seconds per test (SECONDS<TAB>NODEID lines) the shards balance by; "
                         "updated after the run (default BUILD/test-durations.tsv)")
    group.addoption("--scenario-timeout", type=float,
                    default=float(os.environ.get("HIL_TIMEOUT", "300")),
                    help="seconds one scenario may take (env HIL_TIMEOUT)")


class HilSetup:
    """Absolute paths of what a scenario run needs, resolved once."""

    def __init__(self, config):
        self.root = Path(str(config.rootpath)).resolve()
        self.build = self._abs(config.getoption("build"))
        self.hil = self._abs(config.getoption("hil") or self.build / "bin" / "hil")
        gwd = config.getoption("gwd") or str(self.build / "bin" / "gwd")
        # Relative program paths in the gateway command are taken from the repo root,
        # since hil may start the gateway from the scenario's work directory.
        words = [str(self._abs(w)) if "/" in w and not w.startswith("-") else w
                 for w in shlex.split(gwd)]
        self.gwd = shlex.join(words)
        self.timeout = config.getoption("scenario_timeout")

    def _abs(self, p):
        p = Path(p)
        return p if p.is_absolute() else self.root / p


def pytest_configure(config):
    config._hil = HilSetup(config)


def _durations_path(config):
    return Path(config.getoption("shard_durations") or config._hil.build / "test-durations.tsv")


def _load_durations(path):
    table = {}
    try:
        for line in path.read_text().splitlines():
            if line and not line.startswith("#") and "\t" in line:
                secs, node = line.split("\t", 1)
                table[node] = float(secs)
    except (OSError, ValueError):
        pass
    return table


def shard_split(names, k, n, durations):
    """The names of share k of n: heaviest first (last recorded seconds, unknown ones the
    mean of the known, else 1), then by name, each to the least loaded share (the lowest
    on a tie) -- the same rule as `hil run --shard` (sim/scenario/shard.c)."""
    known = [durations[x] for x in names if x in durations]
    default = sum(known) / len(known) if known else 1.0
    weight = {x: durations.get(x, default) for x in names}
    load = [0.0] * n
    mine = set()
    for x in sorted(names, key=lambda x: (-weight[x], x)):
        best = min(range(n), key=lambda i: (load[i], i))
        load[best] += weight[x] if weight[x] > 0 else 1e-3
        if best == k - 1:
            mine.add(x)
    return mine


def pytest_collection_modifyitems(session, config, items):
    shard = config.getoption("shard")
    if not shard:
        return
    try:
        k, n = (int(v) for v in shard.split("/"))
        assert 1 <= k <= n
    except (ValueError, AssertionError):
        raise pytest.UsageError(f"--shard {shard}: expected K/N with 1 <= K <= N")
    mine = shard_split([it.nodeid for it in items], k, n, _load_durations(_durations_path(config)))
    keep = [it for it in items if it.nodeid in mine]
    config.hook.pytest_deselected(items=[it for it in items if it.nodeid not in mine])
    items[:] = keep


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.skipped):
        _seen_durations[report.nodeid] = _seen_durations.get(report.nodeid, 0.0) + report.duration


_seen_durations = {}


def report_dir(config):
    """Where the run reports of failed scenarios go (a CI job keeps this folder)."""
    return config._hil.build / "run-reports"


def _write_report_index(config):
    """One index of every failed scenario's page, after all workers wrote theirs."""
    folder = report_dir(config)
    if not folder.is_dir() or not config._hil.hil.exists():
        return
    subprocess.run([str(config._hil.hil), "report-index", str(folder)], stdout=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL, check=False)


def pytest_sessionfinish(session):
    """Keep the seconds of every test run and index the run reports (on the controller,
    not on xdist workers)."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    _write_report_index(config)
    if not _seen_durations:
        return
    path = _durations_path(config)
    table = _load_durations(path)
    table.update(_seen_durations)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(f"{v:.3f}\t{k}\n" for k, v in sorted(table.items())))
        tmp.replace(path)
    except OSError:
        pass


def pytest_report_header(config):
    h = config._hil
    return [f"hil: {h.hil}", f"gwd: {h.gwd}", f"scenario work dirs: {h.build / 'scenarios'}"]


def _is_scenario(path: Path, root: Path) -> bool:
    try:
        rel = path.resolve().relative_to(root / "scenarios")
    except ValueError:
        return False
    return (path.suffix == ".yaml" and not path.name.startswith("_")
            and rel.parts[0] != "demo")


def pytest_collect_file(file_path, parent):
    if _is_scenario(Path(file_path), parent.config._hil.root):
        return ScenarioFile.from_parent(parent, path=Path(file_path))
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioFailed(Exception):
    """hil said the scenario failed; the message is what it printed."""


def _run(cmd, cwd, env, timeout):
    """Run hil in its own process group; on time-out stop the group (hil and what it
    started there): SIGTERM first so hil can stop its gateway, then SIGKILL."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return out, f"exit status {proc.returncode}", proc.returncode != 0
    except subprocess.TimeoutExpired:
        for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, None)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                out, _ = proc.communicate(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            out, _ = proc.communicate()
        return out or b"", f"timed out after {timeout:.0f}s", True


# Reports of the sanitizers (ASan, LSan, UBSan) and of valgrind in the logs of a run
# fail the scenario even when the gateway's exit status did not show them.
_REPORT_MARKERS = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer|"
    r"ERROR SUMMARY: [1-9]|definitely lost: [1-9]")


def _sanitizer_reports(workdir: Path):
    found = []
    for log in sorted(workdir.rglob("*.log")):
        try:
            text = log.read_text("utf-8", "replace")
        except OSError:
            continue
        for line in text.splitlines():
            if _REPORT_MARKERS.search(line):
                found.append(f"{log.name}: {line.strip()}")
                break
    return found


class ScenarioItem(pytest.Item):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        h = self.config._hil
        rel = self.path.resolve().relative_to(h.root / "scenarios").with_suffix("")
        self.workdir = h.build / "scenarios" / rel

    def runtest(self):
        h = self.config._hil
        if not h.hil.exists():
            raise ScenarioFailed(f"no bench program at {h.hil}: build it first (make)")
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir.mkdir(parents=True)
        pages = report_dir(self.config)
        for old in (pages / f"{self.path.stem}.html", pages / f"{self.path.stem}.result.json"):
            old.unlink(missing_ok=True)  # the page of an earlier failure of this scenario
        cmd = [str(h.hil), "run", "--workdir", str(self.workdir), "--report-failed", str(pages),
               str(self.path)]
        env = dict(os.environ, HIL_GWD=h.gwd)
        out, status, failed = _run(cmd, h.root, env, h.timeout)
        text = out.decode("utf-8", "replace")
        (self.workdir / "hil.out").write_text(text)
        reports = _sanitizer_reports(self.workdir)
        if reports:
            failed = True
            status += "; sanitizer/valgrind report: " + "; ".join(reports)
        if failed:
            raise ScenarioFailed(f"$ HIL_GWD={shlex.quote(h.gwd)} {shlex.join(cmd)}\n"
                                 f"{text}\nhil: {status}")
        # Passing output goes to the JUnit XML (system-out) and to -rP.
        print(text, end="")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"scenario {self.name}"
