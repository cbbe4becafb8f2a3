"""The store's disk fills up mid-run, for real, and space comes back.

The store lives on a small tmpfs of its own (mounted for the test; skipped where
the container may not mount). gwd polls a Modbus TCP meter whose value counts its
answers every 100 ms and writes a JSON report per cycle to a folder on another
disk. After a while a filler file takes every free byte of the tmpfs: SQLite's
writes get ENOSPC (SQLITE_FULL). The gateway must keep polling, hand out no
report whose row cannot commit, and say so once; when the filler is removed it
must write everything it held: every answered reading stored, each in exactly one
report, every report id 1..N delivered once, the events table holding both
events. (gateway/tests/test_store_full.c shows the same in virtual time, with
the bound gateway.hold and its count, on every machine.)"""
import shlex
import signal
import sqlite3
import subprocess
import time

import pytest

from report_receivers import CountingMeter, check_receiver, json_readings, name_id

CONFIG = """\
gateway: {{name: gw-full, store: "{disk}/gw.db", log_level: info}}
modbus:
  polling: {{fast: 100ms}}
  devices:
    - name: em1
      tcp: {{host: 127.0.0.1, port: {meter}}}
      timeout: 500ms
      serial: "00000001"
      registers: [{{id: count, address: 0, format: uint32, group: fast}}]
reports:
  instances:
    - {{name: files, format: json, transport: {{file: {{dir: "{reports}"}}}}}}
"""


def mount_tmpfs(where, size):
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


def fill(disk):
    """Take every free byte of the tmpfs (dd stops at ENOSPC)."""
    subprocess.run(["dd", "if=/dev/zero", f"of={disk}/filler", "bs=64k"], capture_output=True)
    subprocess.run(["sync"])


def reports_in(folder):
    return sorted(f for f in folder.iterdir() if f.suffix == ".json")


def wait_for(pred, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def test_store_disk_full_and_back(hil_setup, tmp_path):
    disk = tmp_path / "disk"
    mount_tmpfs(disk, "8m")
    try:
        run_outage(hil_setup, tmp_path, disk)
    finally:
        subprocess.run(["umount", str(disk)])


def run_outage(hil_setup, tmp_path, disk):
    reports = tmp_path / "reports"
    meter = CountingMeter()
    config = tmp_path / "gw.yaml"
    config.write_text(CONFIG.format(disk=disk, reports=reports, meter=meter.port))
    log_path = tmp_path / "gwd.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(shlex.split(hil_setup.gwd) + [str(config)], stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: reports.exists() and len(reports_in(reports)) >= 10, 10)
        fill(disk)
        assert wait_for(lambda: b"cannot write the store" in log_path.read_bytes(), 5), \
            "no log line said the store cannot be written"
        time.sleep(0.5)  # a report committed just before may still be on its way
        before, served_before = len(reports_in(reports)), meter.served
        time.sleep(2.5)
        during, served_during = len(reports_in(reports)), meter.served
        (disk / "filler").unlink()
        assert wait_for(lambda: b"the store is written again" in log_path.read_bytes(), 20), \
            "the store was not written again after space came back"
        time.sleep(1.0)  # a few more cycles, delivered
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
        meter.stop()
    text = log_path.read_text()
    db = sqlite3.connect(disk / "gw.db")
    try:
        stored = {int(v) for (v,) in db.execute("SELECT value FROM readings WHERE point='em1/count'")}
        last_id = db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()[0]
        queued = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        events = dict(db.execute("SELECT kind, count(*) FROM events WHERE source='store'"
                                 " GROUP BY kind"))
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    files = reports_in(reports)
    print(f"{len(files)} reports, {len(stored)} readings stored of {meter.served} answered;"
          f" during the outage: {served_during - served_before} answers, "
          f"{during - before} reports; events {events}")
    assert served_during - served_before >= 10, "the gateway stopped polling while the disk was full"
    assert during == before, "a report went out while its row could not be committed"
    assert "0 readings, meters and events dropped" in text
    assert integrity == "ok" and queued == 0
    assert events == {"store_unwritable": 1, "store_writable": 1}, events
    # every answered reading is stored (the last answer may have come as gwd stopped)
    missing = set(range(1, meter.served + 1)) - stored
    assert len(missing) <= 1 and missing <= {meter.served}, f"readings lost: {sorted(missing)[:10]}"
    ids = check_receiver("file", [(name_id(f.name), f.read_bytes(), json_readings) for f in files],
                         stored)
    assert ids == set(range(1, last_id + 1)), "report ids lost"
