"""ci/check-layers (docs/architecture.md "Walls"): the repository passes, and the check
fails, naming file and line, on each kind of breach planted in a copy of the tree."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "ci" / "check-layers"


def _check(root):
    p = subprocess.run(["/usr/bin/python3", str(CHECK), str(root)], capture_output=True, text=True)
    return p.returncode, p.stdout


def test_the_repository_is_within_its_walls():
    rc, out = _check(ROOT)
    assert rc == 0, out
    assert out.rstrip().endswith(" 0 failed")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of gateway/ and sim/ (sources only) to plant breaches in."""
    root = tmp_path_factory.mktemp("layers")
    for top in ("gateway", "sim"):
        shutil.copytree(ROOT / top, root / top,
                        ignore=lambda d, names: [n for n in names
                                                 if (Path(d) / n).is_file()
                                                 and not n.endswith((".c", ".h"))])
    return root


@pytest.mark.parametrize("victim,include,message", [
    ("gateway/codec/mbus/mbus_link.c", "core/loop.h",
     "gateway/codec/ may include only codec, not core/"),
    ("gateway/south/mbus/mbus_rx.c", "north/iec104/iec104_server.h",
     "gateway/south/ may include only codec, core, south, not north/"),
    ("gateway/north/iec104/iec104_map.c", "south/mbus/mbus_master.h",
     "gateway/north/ may include only codec, core, north, store, not south/"),
    ("sim/mbus/mbus_slave.c", "south/mbus/scan.h",
     "sim/ may include only codec, core, sim, not south/"),
    ("gateway/core/loop.c", "sim/core/trace.h",
     "gateway/core/ may include only core, not sim/"),
    ("gateway/core/loop.c", "clock.h", "is not a path from gateway/"),
    ("gateway/core/loop.c", "../core/clock.h", "is not a path from gateway/"),
])
def test_a_forbidden_include_fails(tree, victim, include, message):
    path = tree / victim
    original = path.read_text()
    try:
        path.write_text(original + f'\n#include "{include}"\n')
        line = original.count("\n") + 2
        rc, out = _check(tree)
        assert rc == 1, out
        assert f"{victim}:{line}: \"{include}\"" in out and message in out, out
        assert out.rstrip().endswith(" 1 failed"), out
    finally:
        path.write_text(original)


def test_a_file_outside_every_layer_fails(tree):
    stray = tree / "gateway" / "stray.c"
    stray.write_text("int x;\n")
    try:
        rc, out = _check(tree)
        assert rc == 1 and "gateway/stray.c:1: not in any layer" in out, out
    finally:
        stray.unlink()
