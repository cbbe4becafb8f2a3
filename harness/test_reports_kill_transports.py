"""kill -9 over and over, with reports going to a directory, a real mosquitto broker
and a real HTTP receiver at the same time: every reading is in exactly one report
id per transport, no id is lost, and every id delivered has its row.

gwd (run directly: no bench in between, so a run costs only its start) polls a
Modbus TCP meter every 50 ms whose value counts its answers, so each reading is a
distinct number; three per-cycle instances send each cycle as JSON to files, CSV-6
over MQTT (QoS 1) and XML-3 over HTTP, and a scheduled one (every 200 ms, a
snapshot outside any cycle) writes JSON files. It is killed with SIGKILL at a random
instant of each run (KILL_RUNS, default 110; KILL_SEED) — while it connects,
polls, renders and commits, or delivers — and started again on the same store.
A last run polls once and stops with SIGTERM when its queue is empty.

The checker reads only what the receivers got (harness/report_receivers.py) and,
from the store, the readings it kept and the last report id it gave: an id-less
report, an id delivered twice with different content, a reading in two ids, a
stored reading in none, a reported reading the store lacks, an id in no receiver
or in two, or a .tmp left behind fails the test. The kills must have mattered:
some must leave committed reports undelivered, and some must take away readings
the meter had already answered (asserted)."""
import os
import random
import shlex
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import peers
from mqtt_broker import Broker, Recorder
from report_receivers import (CountingMeter, HttpReceiver, check_receiver, csv_readings,
                              json_readings, name_id, xml_readings)

CONFIG = """\
gateway: {{name: gw-kill3, store: "{state}/gw.db", log_level: warn}}
modbus:
  polling: {{fast: {interval}}}
  devices:
    - name: em1
      tcp: {{host: 127.0.0.1, port: {meter}}}
      timeout: 500ms
      serial: "00000001"
      registers: [{{id: count, address: 0, format: uint32, group: fast}}]
reports:
  instances:
    - {{name: files, format: json, transport: {{file: {{dir: "{state}/reports"}}}}}}
    - {{name: snap, format: json, schedule: "{snap}", transport: {{file: {{dir: "{state}/snap"}}}}}}
    - name: push
      format: csv6
      transport: {{mqtt: {{host: 127.0.0.1, port: {broker}, topic: gw-kill3/push, timeout: 2s}}}}
    - name: post
      format: xml3
      transport: {{http: {{url: "http://127.0.0.1:{http}/reports", timeout: 2s}}}}
"""


def db_query(state, sql):
    db = sqlite3.connect(state / "gw.db")
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def stored_readings(state):
    db = sqlite3.connect(state / "gw.db")
    try:
        return {int(v) for (v,) in db.execute("SELECT value FROM readings WHERE point='em1/count'")}
    finally:
        db.close()


def start(gwd, config, log):
    return subprocess.Popen(gwd + [str(config)], stdout=log, stderr=subprocess.STDOUT)


def drain(gwd, config, state, log, seq_before):
    """A clean run: one poll, then SIGTERM once its reports are all delivered."""
    proc = start(gwd, config, log)
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline:
            time.sleep(0.1)
            seq = db_query(state, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence"
                                  " WHERE name='outbox'")
            if seq >= seq_before + 3 and db_query(state, "SELECT count(*) FROM outbox") == 0:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, "the clean run did not stop cleanly"


def test_kill_during_reports_to_file_mqtt_http(hil_setup, tmp_path):
    peers.program("mosquitto", "mosquitto")
    peers.program("mosquitto_sub", "mosquitto-clients")
    began = time.monotonic()
    state = tmp_path / "state"
    state.mkdir()
    rng = random.Random(int(os.environ.get("KILL_SEED", "26")))
    runs = int(os.environ.get("KILL_RUNS", "110"))
    meter, http = CountingMeter(delay=0.01), HttpReceiver(delay=0.03)
    broker = Broker(tmp_path / "broker")
    broker.start()
    rec = Recorder(broker.port, "gw-kill3/#")
    ports = dict(state=state, meter=meter.port, broker=broker.port, http=http.port)
    polling = tmp_path / "polling.yaml"
    polling.write_text(CONFIG.format(interval="50ms", snap="200ms", **ports))
    once = tmp_path / "once.yaml"
    # the clean run: one poll, and snapshots only on 1 January (leftovers still go out)
    once.write_text(CONFIG.format(interval="1h", snap="0 0 1 1 *", **ports))
    gwd = shlex.split(hil_setup.gwd)
    log = open(tmp_path / "gwd.log", "ab")
    kills = undelivered = unstored = 0
    try:
        time.sleep(0.3)  # the recorder subscribed
        for _ in range(runs):
            served_before = meter.served
            stored_before = len(stored_readings(state)) if (state / "gw.db").exists() else 0
            proc = start(gwd, polling, log)
            time.sleep(rng.uniform(0.05, 0.45))
            proc.send_signal(signal.SIGKILL)
            kills += proc.wait() == -signal.SIGKILL
            if not (state / "gw.db").exists():
                continue
            undelivered += db_query(state, "SELECT count(*) FROM outbox") > 0
            unstored += (meter.served - served_before) > len(stored_readings(state)) - stored_before
        seq_before = db_query(state, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence"
                                     " WHERE name='outbox'")
        drain(gwd, once, state, log, seq_before)
        time.sleep(0.5)  # the last MQTT messages reach the recorder
    finally:
        log.close()
        rec.stop()
        broker.stop()
        http.stop()
        meter.stop()

    stored = stored_readings(state)
    db = sqlite3.connect(state / "gw.db")
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    queued = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    last_id = db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()[0]
    db.close()
    tmps = list((state / "reports").glob("*.tmp")) + list((state / "snap").glob("*.tmp"))
    files = sorted(f for f in (state / "reports").iterdir() if f.suffix != ".tmp")
    snaps = sorted(f for f in (state / "snap").iterdir() if f.suffix != ".tmp")
    again = {"mqtt": len(rec.messages) - len({p.get("report_id") for p, _ in rec.messages}),
             "http": len(http.posts) - len({rid for rid, _, _ in http.posts})}
    print(f"{kills} kills in {runs} runs: {undelivered} left committed reports undelivered, "
          f"{unstored} took away readings already answered; {len(stored)} readings stored, "
          f"{meter.served} answered, report ids 1..{last_id}; received: {len(files)} files, "
          f"{len(snaps)} scheduled files, "
          f"{len(rec.messages)} MQTT messages, {len(http.posts)} HTTP posts; "
          f"received again (same id): {again}; "
          f"{time.monotonic() - began:.1f} s")

    assert kills == runs, f"only {kills} of {runs} runs were killed"
    assert integrity == "ok"
    assert queued == 0
    assert undelivered > 0, "no kill left a committed report undelivered: the test proved nothing"
    assert unstored > 0, "no kill took away an answered reading: the test proved nothing"
    assert again["http"] > 0, "no HTTP report was sent again after a kill: the test proved nothing"
    assert len(stored) > runs, f"only {len(stored)} readings in {runs} runs"
    assert len(snaps) > runs // 4, f"only {len(snaps)} scheduled reports"
    ids = {
        "file": check_receiver("file", [(name_id(f.name), f.read_bytes(), json_readings)
                                        for f in files], stored),
        "mqtt": check_receiver("mqtt", [(p.get("report_id"), body, csv_readings)
                                        for p, body in rec.messages], stored),
        "http": check_receiver("http", [(rid, body, xml_readings)
                                        for rid, _, body in http.posts], stored),
        "snap": check_receiver("snap", [(name_id(f.name), f.read_bytes(), json_readings)
                                        for f in snaps], stored, snapshots=True),
    }
    for p, _ in rec.messages:
        assert name_id(p.get("report_name")) == int(p["report_id"]), p
    for rid, name, _ in http.posts:
        assert name_id(name) == int(rid), (rid, name)
    union = set().union(*ids.values())
    twice = {i: [k for k in ids if i in ids[k]] for i in union
             if sum(i in got for got in ids.values()) > 1}
    assert not twice, f"{len(twice)} ids went to two transports (an id used twice): " \
                      f"{dict(list(twice.items())[:5])}"
    missing = sorted(set(range(1, last_id + 1)) - union)
    assert not missing, f"report ids given but never delivered: {missing[:20]}"
    assert union <= set(range(1, last_id + 1)), "a delivered id above the store's last id"
    assert not tmps, f"a .tmp file was left behind: {tmps}"
