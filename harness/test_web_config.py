"""Staged configuration and meter scans through the web API (docs/api.md
"Configuration mode", "Scans"), against gwd under the bench with an emulated
M-Bus plant, on real time (Python requests does its own socket I/O).

- the configuration mode: one holder, a second user sees who and gets 409, an
  admin takes it over; viewer and data reader are refused
- an invalid staged text: 422 with line, column and the field's path
- a changed readout interval: the diff names the line and the module, apply
  restarts only mbus (the bench's pty opened again), the readings in the
  store follow the new interval, and reports queued while their receiver was
  down (in the store's outbox) are delivered after the mbus and the reports
  modules were restarted
- an apply whose module cannot start (a serial port that does not exist): 500,
  rolled back, the old configuration running, the file unchanged
- a secondary scan on the bench's second bus finds exactly the plant's meters
  (the ids written in this file's scenario, not what gwd says)."""
import json
import re
import sqlite3
import subprocess
import time

import pytest

import peers
from ports import free_port
from report_receivers import HttpReceiver, name_id
from test_web_api import INITIAL, PASSWORDS, ROLES, first_login, wait_port, web_section

requests = peers.module("requests", "python3-requests", module_level=True)

# bus2's meters: addressed by nothing in the gateway's configuration, found by the scan
SCAN_IDS = ["10000001", "37000001", "52000003"]  # apart at the first digit: one split
# the bench writes the gateway's configuration as JSON (YAML too): bus1's interval there
INTERVAL_3S, INTERVAL_1S = '"interval": "3s"', '"interval": "1s"'

SCENARIO = """\
name: staged configuration and scans through the web API
clock: real
duration: {duration}s
plant:
  segments:
    - name: bus1
      baud: 9600
      slaves:
        - {{primary: 5, telegrams: [{root}/fixtures/mbus/acw_itron_bm_plus_m.hex]}}
        - {{primary: 6, telegrams: [{root}/fixtures/mbus/acw_itron_bm_plus_m.hex]}}
    - name: bus2
      baud: 9600
      slaves:
{scan_slaves}
gateway:
  gateway: {{name: webcfg, store: "${{workdir}}/gw.db"}}
  reports:
    instances:
      - {{name: cyc, format: json, meters: [water1], retries: 100, retry_delay: 1s,
         transport: {{http: {{url: "http://127.0.0.1:{receiver}/in", timeout: 2s}}}}}}
  mbus:
    - name: bus1
      device: "${{bus1}}"
      baud: 9600
      interval: 3s
      meters: [{{name: water1, primary: 5}}, {{name: water2, primary: 6}}]
    - {{name: bus2, device: "${{bus2}}", baud: 9600, interval: 1h, reset: none, meters: []}}
  {web}
expect:
  - value: {{point: water1/1, equals: 54.321, unit: m3}}
"""


class Bench:
    """hil running the scenario; gwd's web server with one user per role."""

    def __init__(self, hil_setup, tmp_path):
        self.port = free_port()
        self.receiver_port = free_port()  # nothing listens there until the test says so
        self.base = f"https://127.0.0.1:{self.port}"
        self.run = tmp_path / "run"
        slaves = "\n".join(f"        - {{id: \"{i}\", telegrams: [{hil_setup.root}/fixtures/mbus/frame2.hex],"
                           f" response_delay: {2.0 + 1.3 * k:.1f}ms}}" for k, i in enumerate(SCAN_IDS))
        # sessions and keep-alive connections that outlive the waits for readings (the API
        # tests keep them short; a connection closed while idle races the client's reuse)
        web = (web_section(self.port, tmp_path / "state").strip()
               .replace("session_timeout: 3s", "session_timeout: 600s")
               .replace("idle_timeout: 2s", "idle_timeout: 60s"))
        scenario = tmp_path / "web_config.yaml"
        scenario.write_text(SCENARIO.format(duration=90, root=hil_setup.root, web=web,
                                            scan_slaves=slaves, receiver=self.receiver_port))
        self.hil = subprocess.Popen([str(hil_setup.hil), "run", "--workdir", str(self.run), str(scenario)],
                                    cwd=hil_setup.root, env={"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"},
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert wait_port(self.port, 20), "gwd's web server did not start"
        self.users = {"admin": first_login(self.base, "admin", INITIAL, PASSWORDS["admin"])}
        for user in ("op", "view", "reader"):
            r = self.users["admin"].call("POST", "/api/v1/users",
                                         json={"name": user, "role": ROLES[user], "password": "first-" + user + "-1"})
            assert r.status_code == 201, r.text
            self.users[user] = first_login(self.base, user, "first-" + user + "-1", PASSWORDS[user])

    def db(self):
        return sqlite3.connect(self.run / "gw.db", timeout=10)

    def finish(self):
        self.hil.terminate()
        out, _ = self.hil.communicate(timeout=60)
        return out


@pytest.fixture(scope="module")
def bench(request, tmp_path_factory):
    b = Bench(request.config._hil, tmp_path_factory.mktemp("webcfg"))
    yield b
    out = b.finish()
    log = (b.run / "gwd.log").read_text()
    # restarts and rollbacks leave nothing behind (the ASan build's gwd reports at exit)
    assert "gwd: stopped" in log and "Sanitizer" not in log and "runtime error" not in log, out + log[-4000:]


def test_config_mode_one_holder_takeover_and_validation(bench):
    admin, op, view, reader = (bench.users[u] for u in ("admin", "op", "view", "reader"))
    running = admin.call("GET", "/api/v1/config").json()
    assert INTERVAL_3S in running["yaml"] and running["mode"] == {"held": False, "user": None,
                                                                   "since": None, "mine": False}
    # viewer and data reader: no configuration, no scans
    for c, role in ((view, "viewer"), (reader, "data_reader")):
        for method, path in (("GET", "/api/v1/config"), ("POST", "/api/v1/config/mode"),
                             ("GET", "/api/v1/buses"), ("POST", "/api/v1/buses/bus2/scans")):
            r = c.call(method, path, json={})
            assert r.status_code == 403 and f"role {role} may not" in r.json()["error"], (role, path, r.text)
    # the operator enters; the admin sees who holds it and is refused without takeover
    t0 = int(time.time())
    r = op.call("POST", "/api/v1/config/mode", json={})
    assert r.status_code == 200 and r.json()["mode"]["user"] == "op" and r.json()["mode"]["mine"] is True
    assert t0 - 1 <= r.json()["mode"]["since"] <= time.time() + 1
    seen = admin.call("GET", "/api/v1/config").json()["mode"]
    assert seen["held"] is True and seen["user"] == "op" and seen["mine"] is False
    r = admin.call("POST", "/api/v1/config/mode", json={})
    assert r.status_code == 409 and r.json()["user"] == "op" and r.json()["error"] == "configuration mode held"
    assert admin.call("GET", "/api/v1/config/staged").status_code == 409
    assert admin.call("PUT", "/api/v1/config/staged", json={"yaml": "x: 1"}).status_code == 409
    # the holder stages an invalid text: 422 with the line, column and path of the field
    text = op.call("GET", "/api/v1/config/staged").json()["yaml"]
    assert text == running["yaml"]
    bad = text.replace(INTERVAL_3S, '"interval": "soon"')
    line = next(i for i, l in enumerate(bad.splitlines(), 1) if '"interval": "soon"' in l)
    r = op.call("PUT", "/api/v1/config/staged", json={"yaml": bad})
    assert r.status_code == 422 and r.json()["valid"] is False, r.text
    err = r.json()["errors"][0]
    assert err["line"] == line and err["column"] == bad.splitlines()[line - 1].index('"soon"') + 1
    assert err["path"] == "mbus[0].interval" and "interval" in err["message"], err
    # the operator may not take over; the admin may (an audit event names both)
    r = op.call("POST", "/api/v1/config/mode", json={"takeover": True})
    assert r.status_code == 200  # the holder entering again: still theirs
    r = admin.call("POST", "/api/v1/config/mode", json={"takeover": True})
    assert r.status_code == 200 and r.json()["mode"]["user"] == "admin"
    assert op.call("GET", "/api/v1/config/staged").status_code == 409
    r = op.call("POST", "/api/v1/config/mode", json={"takeover": True})
    assert r.status_code == 403 and "admin" in r.json()["error"]
    events = admin.call("GET", "/api/v1/events?source=web&limit=50").json()["events"]
    kinds = {e["kind"]: e["text"] for e in events}
    assert "user op" in kinds["config_mode_entered"], kinds
    assert "user admin" in kinds["config_takeover"] and "from op" in kinds["config_takeover"], kinds
    # leaving discards the staged text
    assert admin.call("DELETE", "/api/v1/config/mode").status_code == 200
    assert admin.call("GET", "/api/v1/config").json()["mode"]["held"] is False


def read_times(bench, since_ns):
    with bench.db() as db:
        return [r[0] for r in db.execute("SELECT ts_ns FROM readings WHERE point='water1/1' AND ts_ns > ?"
                                         " ORDER BY ts_ns", (since_ns,))]


def queued(bench):
    with bench.db() as db:
        return [r[0] for r in db.execute("SELECT id FROM outbox WHERE instance='cyc' ORDER BY id")]


def apply(client, text):
    assert client.call("POST", "/api/v1/config/mode", json={}).status_code == 200
    r = client.call("PUT", "/api/v1/config/staged", json={"yaml": text})
    assert r.status_code == 200 and r.json() == {"valid": True}, r.text
    return client


def test_apply_restarts_mbus_readings_follow_and_reports_survive(bench):
    op, admin = bench.users["op"], bench.users["admin"]
    running = op.call("GET", "/api/v1/config").json()["yaml"]
    deadline = time.time() + 20
    while len(read_times(bench, 0)) < 4 and time.time() < deadline:
        time.sleep(0.5)
    before = read_times(bench, 0)
    gaps = [(b - a) / 1e9 for a, b in zip(before, before[1:])]
    # receive times jitter on a shared machine: the mean gap is the interval
    assert len(before) >= 4 and 2.6 < sum(gaps) / len(gaps) < 3.4, gaps
    # the receiver is down: the per-cycle reports wait in the store's outbox
    waiting = queued(bench)
    assert len(waiting) >= 2, waiting

    apply(op, running.replace(INTERVAL_3S, INTERVAL_1S))
    d = op.call("GET", "/api/v1/config/diff").json()
    assert d["modules"] == ["mbus"]
    changed = [l for l in d["diff"].splitlines() if l[:1] in "+-" and l[:3] not in ("---", "+++")]
    assert len(changed) == 2 and INTERVAL_3S in changed[0] and changed[0][0] == "-", d["diff"]
    assert INTERVAL_1S in changed[1] and changed[1][0] == "+", d["diff"]
    assert d["diff"].startswith("--- running\n+++ staged\n@@ ")
    applied_ns = time.time_ns()
    r = op.call("POST", "/api/v1/config/apply")
    assert r.status_code == 200 and r.json() == {"applied": True, "restarted": ["mbus"]}, r.text
    now = op.call("GET", "/api/v1/config").json()
    assert INTERVAL_1S in now["yaml"] and now["mode"]["held"] is False  # applied: the mode ends
    assert (bench.run / "gwd.yaml").read_text() == now["yaml"]
    assert (bench.run / "gwd.yaml.bak").read_text() == running
    time.sleep(6)
    after = read_times(bench, applied_ns)
    gaps = [(b - a) / 1e9 for a, b in zip(after, after[1:])]
    assert len(after) >= 4 and 0.7 < sum(gaps) / len(gaps) < 1.3 and max(gaps) < 2.2, gaps

    # the reports module restarted too (its section changed): the queue is in the store
    still = queued(bench)
    assert set(waiting) <= set(still), (waiting, still)
    # staged as block YAML this time: every line of the text differs, only reports changed
    import yaml
    doc = json.loads(now["yaml"])
    doc["reports"]["instances"][0]["retry_delay"] = "2s"
    apply(admin, yaml.safe_dump(doc, sort_keys=False))
    assert admin.call("GET", "/api/v1/config/diff").json()["modules"] == ["reports"]
    r = admin.call("POST", "/api/v1/config/apply")
    assert r.status_code == 200 and r.json()["restarted"] == ["reports"], r.text
    receiver = HttpReceiver(port=bench.receiver_port)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not set(waiting) <= {name_id(n) for _, n, _ in receiver.posts}:
            time.sleep(0.5)
        got = {name_id(n) for _, n, _ in receiver.posts}
        assert set(waiting) <= got, (waiting, sorted(got))
    finally:
        receiver.stop()
    events = admin.call("GET", "/api/v1/events?source=web&kind=config_applied").json()["events"]
    assert any("user op" in e["text"] and "mbus" in e["text"] for e in events), events


def test_apply_whose_module_cannot_start_is_rolled_back(bench):
    admin = bench.users["admin"]
    running = admin.call("GET", "/api/v1/config").json()["yaml"]
    on_disk = (bench.run / "gwd.yaml").read_text()
    assert on_disk == running
    pty = re.search(r'/dev/pts/\d+', running).group(0)  # bus1's, the first
    apply(admin, running.replace(pty, "/nonexistent/ttyUSB9", 1))
    assert admin.call("GET", "/api/v1/config/diff").json()["modules"] == ["mbus"]
    r = admin.call("POST", "/api/v1/config/apply")
    body = r.json()
    assert r.status_code == 500 and body["applied"] is False and body["rolled_back"] is True, r.text
    assert body["error"].startswith("mbus: cannot start: ") and "/nonexistent/ttyUSB9" in body["error"]
    assert admin.call("GET", "/api/v1/config").json()["yaml"] == running
    assert (bench.run / "gwd.yaml").read_text() == on_disk
    # the old configuration runs: bus1 is read again at its interval on the pty
    since = time.time_ns()
    time.sleep(3.5)
    assert len(read_times(bench, since)) >= 2
    events = admin.call("GET", "/api/v1/events?source=web&kind=config_apply_failed").json()["events"]
    assert any("user admin" in e["text"] and "/nonexistent/ttyUSB9" in e["text"] for e in events), events
    # still in the mode with the staged text: discard it
    assert admin.call("DELETE", "/api/v1/config/mode").status_code == 200


def test_secondary_scan_finds_the_plant_meters(bench):
    op = bench.users["op"]
    buses = op.call("GET", "/api/v1/buses").json()
    assert buses == [{"name": "bus1", "protocol": "mbus", "scan_supported": True},
                     {"name": "bus2", "protocol": "mbus", "scan_supported": True}]
    assert op.call("POST", "/api/v1/buses/nosuch/scans", json={"kind": "secondary"}).status_code == 404
    assert op.call("POST", "/api/v1/buses/bus2/scans", json={"kind": "sideways"}).status_code == 400
    r = op.call("POST", "/api/v1/buses/bus2/scans", json={"kind": "secondary"})
    assert r.status_code == 202 and r.json()["state"] == "running", r.text
    sid = r.json()["id"]
    again = op.call("POST", "/api/v1/buses/bus2/scans", json={"kind": "secondary"})
    assert again.status_code == 409, again.text
    deadline, seen_progress = time.time() + 40, []
    while time.time() < deadline:
        scan = op.call("GET", f"/api/v1/buses/bus2/scans/{sid}").json()
        seen_progress.append(scan["progress"])
        if scan["state"] != "running":
            break
        time.sleep(0.3)
    assert scan["state"] == "done" and scan["error"] is None, scan
    assert scan["kind"] == "secondary" and scan["progress"]["percent"] == 100
    assert sorted(m["secondary"] for m in scan["found"]) == sorted(SCAN_IDS), scan["found"]
    assert scan["progress"]["found"] == len(SCAN_IDS) and scan["progress"]["probes"] >= len(SCAN_IDS)
    for m in scan["found"]:
        assert len(m["manufacturer"]) == 3 and isinstance(m["version"], int) and m["medium"], m
        assert m["primary"] is None
    probes = [p["probes"] for p in seen_progress]
    assert probes == sorted(probes)  # progress only grows
    assert op.call("GET", "/api/v1/buses/bus2/scans/999").status_code == 404
