"""Reports over MQTT to a real mosquitto broker: the broker goes down for a
while (the gateway keeps reading and queueing), comes back, and every report
arrives exactly once after deduplication by its id, in order, with nothing
left in the gateway's outbox.

Real time, compressed: readouts every second stand for the 15-minute readouts
of the field, so the 8 s outage is 8 readout periods (two hours of field time).
libmosquitto does its own socket I/O, which the virtual-time bench cannot count,
so this runs on the real clock (see docs/reports.md)."""
import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import peers
from mqtt_broker import Broker, Recorder

SCENARIO = """\
name: reports over MQTT, broker down and back
duration: {duration}s
clock: real   # libmosquitto does its own socket I/O: see the module docstring
plant:
  segments:
    - name: bus1
      baud: 9600
      slaves:
        - {{primary: 5, telegrams: [{fixtures}/mbus/acw_itron_bm_plus_m.hex]}}
gateway:
  gateway: {{name: gw-test, store: "${{workdir}}/gw.db"}}
  mbus:
    - {{name: bus1, device: "${{bus1}}", baud: 9600, interval: 1s,
       meters: [{{name: water1, primary: 5}}]}}
  reports:
    instances:
      - name: push
        format: json
        transport: {{mqtt: {{host: 127.0.0.1, port: {port}, topic: gw-test/push, timeout: 2s}}}}
expect: []
"""


def test_broker_down_then_back(hil_setup, tmp_path):
    peers.program("mosquitto", "mosquitto")
    peers.program("mosquitto_sub", "mosquitto-clients")
    broker = Broker(tmp_path / "broker")
    broker.start()
    rec = Recorder(broker.port, "gw-test/#")
    time.sleep(0.5)
    scenario = tmp_path / "mqtt.yaml"
    scenario.write_text(SCENARIO.format(duration=20, port=broker.port,
                                       fixtures=hil_setup.root / "fixtures"))
    work = tmp_path / "run"
    hil = subprocess.Popen([str(hil_setup.hil), "run", "--workdir", str(work), str(scenario)],
                           cwd=hil_setup.root, env={"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(5)
        broker.stop()             # down ...
        time.sleep(8)
        broker.start()            # ... and back
        out, _ = hil.communicate(timeout=120)
        time.sleep(2)
    finally:
        if hil.poll() is None:
            hil.kill()
        rec.stop()
        broker.stop()
    db = sqlite3.connect(work / "gw.db")
    queued = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    last_id = db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()[0]
    failures = db.execute("SELECT count(*) FROM events WHERE kind='transport_failed'").fetchone()[0]
    ids = [int(p["report_id"]) for p, _ in rec.messages]
    unique = list(dict.fromkeys(ids))
    assert queued == 0, f"{queued} reports still queued\n{out}"
    assert failures > 0, "the outage was not noticed"
    assert unique == list(range(1, last_id + 1)), f"ids {ids}, last {last_id}"
    assert unique == sorted(unique)
    for props, payload in rec.messages:
        doc = json.loads(payload)
        assert doc["muc"]["MUC_ID"] == "gw-test"
        assert props["report_name"].endswith(f"_push_mbus-bus1_{props['report_id']}.json")
        assert doc["muc"]["REPORT_ID"] == int(props["report_id"])
