"""A missing independent peer must fail under CI=true, never skip (harness/peers.py).

Runs the real mbpoll cross-check (test_modbus_peers.py) in a child pytest whose PATH
has no mbpoll: with CI=true it fails and names the Debian package; without CI it is
skipped, with the same message."""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEST = "harness/test_modbus_peers.py::test_mbpoll_reads_the_same"


def run_without_mbpoll(hil_setup, tmp_path, ci):
    # A PATH of links to everything in /usr/bin and /bin but mbpoll.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for d in ("/usr/bin", "/bin"):
        for prog in Path(d).iterdir():
            if prog.name != "mbpoll" and not (bin_dir / prog.name).exists():
                (bin_dir / prog.name).symlink_to(prog)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(PATH=str(bin_dir), PYTHONPATH=str(HERE), PYTHONDONTWRITEBYTECODE="1")
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "harness/pytest.ini", "--rootdir=.",
         "-p", "no:junitxml", "--build", str(hil_setup.build), "--hil", str(hil_setup.hil),
         "--gwd", hil_setup.gwd, TEST],
        cwd=hil_setup.root, env=env, capture_output=True, text=True, timeout=120)


def test_missing_peer_fails_under_ci(hil_setup, tmp_path):
    r = run_without_mbpoll(hil_setup, tmp_path, ci=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed" in r.stdout, r.stdout
    assert "skipped" not in r.stdout.splitlines()[-1], r.stdout
    assert "CI=true: program mbpoll is missing: install the Debian package mbpoll" in r.stdout, r.stdout


def test_missing_peer_skips_locally(hil_setup, tmp_path):
    r = run_without_mbpoll(hil_setup, tmp_path, ci=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 skipped" in r.stdout, r.stdout
    assert "program mbpoll is missing: install the Debian package mbpoll" in r.stdout, r.stdout

