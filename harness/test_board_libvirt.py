"""The emulated board as a libvirt domain (ci/board-domain, ci/board-libvirt, ci/libvirtd).

1. The domain XML follows the one board description (ci/board.env): the values are read
   from that file (and one is overridden) and found in the XML, which libvirt's schema
   accepts (virt-xml-validate).
2. Nothing is left after a failed run: a board whose kernel never boots (a block of
   zeros: the domain is created and runs, SSH never answers) must fail its start after
   BOARD_BOOT_TIMEOUT with the domain destroyed and its run directory (the qcow2 overlay,
   the XML, the map) removed; the same when the start is interrupted (SIGTERM) while it
   waits. The real boot takes minutes (make acceptance); this one takes seconds and goes
   through the same code: virsh create, wait, the cleanup trap.
libvirtd is started by ci/libvirtd when it is not running, and stopped again only when
this test started it. Missing libvirt programs skip the test (fail it under CI=true)."""
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import peers

ROOT = Path(__file__).resolve().parent.parent
URI = "qemu:///system"


def board_env(**override):
    """The values of ci/board.env as bash sees them (with OVERRIDE in the environment)."""
    names = ["BOARD_ARCH", "BOARD_MACHINE", "BOARD_CPUS", "BOARD_MEMORY_MIB", "BOARD_KERNEL",
             "BOARD_INITRD", "BOARD_CMDLINE", "BOARD_MACHINE_OPTS", "BOARD_SEGMENTS",
             "BOARD_GUEST_SSH", "BOARD_GUEST_IEC104", "BOARD_GUEST_MODBUS"]
    script = ". ci/board.env; " + "; ".join(f'printf "%s\\n" "${n}"' for n in names)
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, env={**os.environ, **override},
                         capture_output=True, text=True, check=True).stdout.split("\n")
    return dict(zip(names, out))


def fake_board(tmp_path):
    """A board directory whose kernel and initrd are zeros and whose image is empty."""
    board = tmp_path / "board"
    board.mkdir()
    (board / "vmlinuz").write_bytes(bytes(65536))
    (board / "initrd.img").write_bytes(bytes(4096))
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(board / "rootfs.img"), "16M"], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(board / "id_board")], check=True)
    return board


def domains():
    out = subprocess.run(["virsh", "-q", "-c", URI, "list", "--all", "--name"],
                         capture_output=True, text=True, check=True).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def test_domain_xml_follows_board_description(tmp_path):
    peers.program("virt-xml-validate", "libvirt-clients")
    env = board_env(BOARD_MEMORY_MIB="768")
    run = tmp_path / "run"
    xml_text = subprocess.run(
        [str(ROOT / "ci/board-domain"), "gwboard-test-1", str(run), "41022", "41404", "41502"],
        env={**os.environ, "BOARD_DIR": str(tmp_path), "BOARD_MEMORY_MIB": "768"},
        capture_output=True, text=True, check=True).stdout
    (tmp_path / "d.xml").write_text(xml_text)
    v = subprocess.run(["virt-xml-validate", str(tmp_path / "d.xml"), "domain"], capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr

    dom = ET.fromstring(xml_text)
    assert dom.get("type") == "qemu"            # TCG: no /dev/kvm needed
    assert dom.findtext("name") == "gwboard-test-1"
    assert dom.find("memory").get("unit") == "MiB" and dom.findtext("memory") == "768"
    assert dom.findtext("vcpu") == env["BOARD_CPUS"]
    os_type = dom.find("os/type")
    assert (os_type.get("arch"), os_type.get("machine")) == (env["BOARD_ARCH"], env["BOARD_MACHINE"])
    assert dom.findtext("os/kernel") == str(tmp_path / env["BOARD_KERNEL"])
    assert dom.findtext("os/initrd") == str(tmp_path / env["BOARD_INITRD"])
    assert dom.findtext("os/cmdline") == env["BOARD_CMDLINE"]
    disk = dom.find("devices/disk")
    assert disk.find("driver").get("type") == "qcow2"
    assert disk.find("source").get("file") == str(run / "disk.qcow2")

    serials = dom.findall("devices/serial")
    assert serials[0].get("type") == "file"
    assert serials[0].find("source").get("path") == str(run / "console.log")
    segments = [s.split(":")[0] for s in env["BOARD_SEGMENTS"].split()]
    ptys = [s for s in serials if s.get("type") == "pty"]
    assert [s.find("alias").get("name") for s in ptys] == [f"ua-{n}" for n in segments]
    assert {s.find("target").get("type") for s in ptys} == {"pci-serial"}

    q = "{http://libvirt.org/schemas/domain/qemu/1.0}"
    args = [a.get("value") for a in dom.find(f"{q}commandline").findall(f"{q}arg")]
    netdev = args[args.index("-netdev") + 1]
    assert netdev.startswith("user,")            # user-mode networking (libslirp)
    for host, guest in (("41022", env["BOARD_GUEST_SSH"]), ("41404", env["BOARD_GUEST_IEC104"]),
                        ("41502", env["BOARD_GUEST_MODBUS"])):
        assert f"hostfwd=tcp:127.0.0.1:{host}-:{guest}" in netdev
    assert args[args.index("-machine") + 1] == env["BOARD_MACHINE_OPTS"]


@pytest.fixture
def libvirtd(tmp_path):
    for prog, pkg in (("virsh", "libvirt-clients"), ("libvirtd", "libvirt-daemon-system"),
                      ("qemu-img", "qemu-utils"), ("qemu-system-arm", "qemu-system-arm")):
        peers.program(prog, pkg)
    if not Path("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so").exists() and \
            not list(Path("/usr/lib").glob("*/libvirt/connection-driver/libvirt_driver_qemu.so")):
        peers.missing("libvirt's QEMU driver", "libvirt-daemon-driver-qemu")
    env = {**os.environ, "LIBVIRT_STATE": str(tmp_path / "libvirtd.started")}
    r = subprocess.run([str(ROOT / "ci/libvirtd"), "start"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    yield
    subprocess.run([str(ROOT / "ci/libvirtd"), "stop"], env=env, check=True)


def started_name(output):
    """The domain name of the line 'board: domain NAME started ...'."""
    for line in output.splitlines():
        if line.startswith("board: domain ") and " started" in line:
            return line.split()[2]
    return None


def assert_nothing_left(board, name):
    assert name not in domains()
    assert not (board / f"run-{name}").exists()           # overlay, XML, map, state
    assert not list(board.glob("run-*")) and not (board / "current").exists()
    assert list(board.glob("**/*.qcow2")) == []
    assert (board / f"console-{name}.log").exists()     # the console log is kept
    assert (board / "rootfs.img").stat().st_size == 16 * 1024 * 1024   # the clean image untouched


def test_failed_start_leaves_no_domain_and_no_overlay(tmp_path, libvirtd):
    board = fake_board(tmp_path)
    env = {**os.environ, "BOARD_DIR": str(board), "BOARD_BOOT_TIMEOUT": "3", "BOARD_SSH_CONNECT_TIMEOUT": "1"}
    before = domains()
    t0 = time.monotonic()
    r = subprocess.run([str(ROOT / "ci/board-libvirt"), "start"], env=env, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t0
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    name = started_name(out)
    assert name and name.startswith("gwboard-"), out   # the domain was created and ran ...
    assert "no SSH after 3s" in out, out
    assert f"domain {name} destroyed" in out, out       # ... and is gone again
    assert_nothing_left(board, name)
    assert domains() == before
    assert took < 60, f"the failed start took {took:.0f} s"


def test_interrupted_start_leaves_no_domain_and_no_overlay(tmp_path, libvirtd):
    board = fake_board(tmp_path)
    env = {**os.environ, "BOARD_DIR": str(board), "BOARD_BOOT_TIMEOUT": "600", "BOARD_SSH_CONNECT_TIMEOUT": "1"}
    p = subprocess.Popen([str(ROOT / "ci/board-libvirt"), "start"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    # Wait until the domain runs (its state file names it), then interrupt the start.
    name = None
    deadline = time.monotonic() + 60
    while name is None and time.monotonic() < deadline:
        for state in board.glob("run-*/state"):
            fields = dict(line.split("=", 1) for line in state.read_text().split("\n") if "=" in line)
            if fields.get("name") in domains():
                name = fields["name"]
        time.sleep(0.3)
    assert name, "the domain never ran"
    p.send_signal(signal.SIGTERM)
    out = p.communicate(timeout=60)[0]
    assert p.returncode != 0, out
    assert f"domain {name} destroyed" in out, out
    assert_nothing_left(board, name)
