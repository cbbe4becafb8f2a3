"""The MQTT broker is down for a long outage, then back: every report arrives
exactly once after deduplication by its id, in order, each reading in exactly one
report, the queue caught up.

gwd (run directly) polls a Modbus TCP meter whose value counts its answers every
200 ms (a stand-in for the field's 15-minute readouts), and sends each cycle as a
JSON report over MQTT (QoS 1) to a real mosquitto; a persistent `mosquitto_sub`
session records what the broker delivers. The broker is stopped for
MQTT_OUTAGE_S seconds and started again on the same persistence file.

The length is measured in readout periods and delivery attempts, which is what
the gateway sees: every cycle renders a report and tries the queue's oldest
(reconnect, CONNACK or connection refused, retry, give up until the next
report), so an outage of N seconds is 5 N readout periods and about as many
failed connects. `make test` runs 6 s (30 periods, 7.5 h of field time at 15 min;
the backlog then holds 30 reports); `make bench` runs MQTT_OUTAGE_S=180 (900
periods, over 9 days of field time, 900 reports queued: backlog 2000 here), in
real minutes, so the reconnect back-off, keepalives and the broker's own
session expiry are exercised at a length the short test cannot show."""
import json
import os
import shlex
import signal
import sqlite3
import subprocess
import time

import peers
from mqtt_broker import Broker, Recorder
from report_receivers import CountingMeter, check_receiver, json_readings

CONFIG = """\
gateway: {{name: gw-outage, store: "{state}/gw.db", log_level: warn}}
modbus:
  polling: {{fast: 200ms}}
  devices:
    - name: em1
      tcp: {{host: 127.0.0.1, port: {meter}}}
      timeout: 500ms
      serial: "00000001"
      registers: [{{id: count, address: 0, format: uint32, group: fast}}]
reports:
  instances:
    - name: push
      format: json
      backlog: 2000
      transport: {{mqtt: {{host: 127.0.0.1, port: {broker}, topic: gw-outage/push, timeout: 2s,
                          keepalive: 5s}}}}
"""


def db_one(state, sql):
    db = sqlite3.connect(state / "gw.db")
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def wait_for(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def test_broker_down_for_a_long_outage(hil_setup, tmp_path):
    peers.program("mosquitto", "mosquitto")
    peers.program("mosquitto_sub", "mosquitto-clients")
    outage = float(os.environ.get("MQTT_OUTAGE_S", "6"))
    state = tmp_path / "state"
    state.mkdir()
    meter = CountingMeter()
    broker = Broker(tmp_path / "broker")
    broker.start()
    rec = Recorder(broker.port, "gw-outage/#")
    config = tmp_path / "gw.yaml"
    config.write_text(CONFIG.format(state=state, meter=meter.port, broker=broker.port))
    log = open(tmp_path / "gwd.log", "wb")
    time.sleep(0.5)  # the recorder subscribed
    began = time.monotonic()
    gwd = subprocess.Popen(shlex.split(hil_setup.gwd) + [str(config)], stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: len(rec.messages) >= 5, 15), "no report before the outage"
        broker.stop()
        t_down = time.monotonic()
        time.sleep(outage)
        queued_in_outage = db_one(state, "SELECT count(*) FROM outbox")
        newest = db_one(state, "SELECT max(id) FROM outbox")
        broker.start()
        t_up = time.monotonic()
        # caught up: the newest report of the outage has arrived (new ones keep coming)
        drained = wait_for(lambda: any(int(p["report_id"]) >= newest for p, _ in list(rec.messages)),
                           60 + outage / 10)
        catch_up = time.monotonic() - t_up
        time.sleep(1.0)
        gwd.send_signal(signal.SIGTERM)
        assert gwd.wait(timeout=30) == 0
        time.sleep(1.0)  # the last messages reach the recorder
    finally:
        if gwd.poll() is None:
            gwd.kill()
        log.close()
        rec.stop()
        broker.stop()
        meter.stop()
    db = sqlite3.connect(state / "gw.db")
    try:
        stored = {int(v) for (v,) in db.execute("SELECT value FROM readings WHERE point='em1/count'")}
        last_id = db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()[0]
        queued = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        failed = db.execute("SELECT count(*) FROM events WHERE kind='transport_failed'").fetchone()[0]
        dropped = db.execute("SELECT count(*) FROM events WHERE kind='report_dropped'").fetchone()[0]
        summaries = db.execute("SELECT count(*) FROM events WHERE kind='transport_failed'"
                               " AND text LIKE '% more delivery attempts failed within %'").fetchone()[0]
    finally:
        db.close()
    ids = [int(p["report_id"]) for p, _ in rec.messages]
    unique = list(dict.fromkeys(ids))
    print(f"outage {t_up - t_down:.1f} s: {queued_in_outage} reports queued, {failed} failed"
          f" attempts (events); back: queue drained in {catch_up:.1f} s; {len(ids)} messages,"
          f" {len(unique)} ids, last id {last_id}; {len(stored)} readings stored;"
          f" {time.monotonic() - began:.1f} s in all")
    assert drained, f"the outage's reports did not arrive after the broker came back ({queued} left)"
    # SIGTERM may leave the report of the last cycle queued (it goes at the next start)
    assert queued <= 1 and dropped == 0, (queued, dropped)
    last_id -= queued
    assert queued_in_outage >= int(outage * 5 * 0.6), \
        f"only {queued_in_outage} reports queued in a {outage} s outage: did the gateway keep polling?"
    assert failed > 0, "the outage was not noticed"
    # every attempt is not an event: at most 10 a minute and one summary (core/event_limit.h)
    minutes = int((time.monotonic() - began) // 60) + 1
    assert failed <= 11 * minutes, f"{failed} transport_failed events in {minutes} min"
    if failed >= 10:  # attempts were left out: a summary event says how many (at the latest
        assert summaries >= 1, failed  # when the reports stop, which flushes the limiter)
    assert unique == list(range(1, last_id + 1)), f"ids lost or out of order: last {last_id}"
    assert ids == sorted(ids), "a report came out of order"
    for props, payload in rec.messages:
        assert json.loads(payload)["muc"]["REPORT_ID"] == int(props["report_id"])
    check_receiver("mqtt", [(p.get("report_id"), body, json_readings) for p, body in rec.messages],
                   stored)
