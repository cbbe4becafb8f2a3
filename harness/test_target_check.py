"""hil target-check MAP: the wiring of a lab checked before an acceptance run.

The adapters are pseudo-terminals: the map's device is the pty's slave side, and a
thread on the master side plays the wire. For a "loopback" adapter the thread sends
back every byte it receives (a loopback plug, or an M-Bus level converter that echoes
the bus); for one that is not wired back it reads and drops them. Each test asserts
the verdict lines and the closing count, which follow from the map alone."""
import os
import pty
import subprocess
import threading
import tty

import pytest


class Adapter:
    """A pty; echo=True sends back what it receives."""

    def __init__(self, echo):
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self.slave = slave  # kept open: the pty lives while the test runs
        self.echo = echo
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                data = os.read(self.master, 256)
            except OSError:
                return
            if self.echo and data:
                os.write(self.master, data)

    def close(self):
        self.stop = True
        os.close(self.slave)
        os.close(self.master)


@pytest.fixture
def adapters():
    made = []

    def make(echo):
        a = Adapter(echo)
        made.append(a)
        return a
    yield make
    for a in made:
        a.close()


def check(hil_setup, tmp_path, serial_lines):
    """Run hil target-check on a map without ssh (config expected, files mounted)."""
    files = tmp_path / "mnt"
    files.mkdir(exist_ok=True)
    mp = tmp_path / "map.yaml"
    mp.write_text("device:\n  config_mode: expect\n  files: %s\nserial:\n%s" % (files, serial_lines))
    r = subprocess.run([str(hil_setup.hil), "target-check", str(mp)], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout.splitlines()


def test_loopback_and_plain_adapters_pass(hil_setup, tmp_path, adapters):
    looped, plain = adapters(echo=True), adapters(echo=False)
    rc, lines = check(hil_setup, tmp_path,
                      f"  bus1: {{device: {looped.path}, target: /dev/ttyS0, check: loopback}}\n"
                      f"  bus2: {{device: {plain.path}, target: /dev/ttyS1}}\n")
    assert rc == 0, lines
    for baud in (300, 2400, 9600):
        assert f"PASS  serial bus1: {looped.path} set to {baud} baud and read back" in lines
        assert f"PASS  serial bus1: loopback at {baud} baud: 16 of 16 bytes came back unchanged" in lines
        assert f"PASS  serial bus2: {plain.path} set to {baud} baud and read back" in lines
    assert any(line.startswith("SKIP  serial bus2: no loopback test") for line in lines)
    assert "SKIP  device: no ssh in the map (config_mode: expect)" in lines
    assert lines[-1] == "target-check: 9 passed, 0 failed, 2 skipped"


def test_missing_adapter_fails_by_name(hil_setup, tmp_path, adapters):
    present = adapters(echo=False)
    gone = str(tmp_path / "ttyUSB7")
    rc, lines = check(hil_setup, tmp_path,
                      f"  bus1: {{device: {present.path}, baud: 2400}}\n  bus2: {{device: {gone}}}\n")
    assert rc == 1
    # A pinned baud is the only one tried.
    assert [line for line in lines if "bus1" in line and "baud and read back" in line] == \
        [f"PASS  serial bus1: {present.path} set to 2400 baud and read back"]
    assert f"FAIL  serial bus2: {gone} is missing (adapter unplugged or named otherwise?)" in lines
    assert lines[-1] == "target-check: 1 passed, 1 failed, 2 skipped"


def test_loopback_not_wired_fails(hil_setup, tmp_path, adapters):
    deaf = adapters(echo=False)
    rc, lines = check(hil_setup, tmp_path, f"  bus1: {{device: {deaf.path}, baud: 9600, check: loopback}}\n")
    assert rc == 1
    assert "FAIL  serial bus1: loopback at 9600 baud: 0 of 16 bytes came back unchanged" in lines
    assert lines[-1] == "target-check: 1 passed, 1 failed, 1 skipped"


def test_bad_check_value_names_the_place(hil_setup, tmp_path):
    rc, lines = check(hil_setup, tmp_path, "  bus1: {device: /dev/null, check: echo}\n")
    assert rc == 1
    assert lines[0].startswith("ERROR ") and "map.yaml:5:" in lines[0] and "check must be none or loopback" in lines[0]
    assert lines[-1] == "target-check: 0 passed, 1 failed, 0 skipped"
