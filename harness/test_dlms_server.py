"""The gateway's DLMS/COSEM server toward a head-end (docs/dlms.md "DLMS server").

gwd A runs under the bench (real time: the head-ends below are outside the bench's
clock) with two emulated DLMS meters on TCP, reads them and serves what it read on
its own DLMS server. Then:

1. The loop closed: gwd B, a second, unmodified gateway, reads A's server with its
   DLMS client over TCP (HLS-GMAC, LLS) exactly as it reads a meter: values,
   scalers, units and the profile range equal on both sides; the wrong HLS keys
   and the wrong LLS password are refused (B's events say so).
2. A head-end master of the bench (sim/dlms/dlms_master.py, its own A-XDR, BER
   and AES-GCM, none of the gateway's code) reads the objects, the event log and
   a range, checks read-only access of the public client, and sends malformed
   APDUs and oversized requests: each is answered with the refusal it calls for
   (ExceptionResponse or data-access-result), and the server keeps serving."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import peers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "sim" / "dlms"))
peers.module("cryptography", "python3-cryptography", module_level=True)
import dlms_master as dm  # noqa: E402
from ports import free_port

EK = "000102030405060708090A0B0C0D0E0F"
AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
WRONG = "0F0E0D0C0B0A09080706050403020100"
HOUR = 3600 * 10**9

SCENARIO = """\
name: dlms server, gateway A under the bench (harness/test_dlms_server.py)
clock: real
duration: 14s
plant:
  segments: []
  dlms:
    - name: tcp1
      transport: tcp
      nodes: 2
      meter: {fixtures}/dlms/meter.yaml
      response_delay: 5ms
gateway:
  gateway: {{name: gwA, store: "{work}/a.db", datahub_dump: "{work}/a.json"}}
  dlms:
    polling: {{slow: 1h, normal: 1h}}
    networks:
      - name: tcp1
        transport: tcp
        host: 127.0.0.1
        max_bytes: 1024
        silent: 0s
        timeout: 2s
        meters:
          - name: m
            count: 2
            port: "${{port:tcp1}}"
            objects:
              - {{name: energy_import, class: register, obis: "1-0:1.8.0.255"}}
              - {{name: voltage_l1, class: register, obis: "1-0:32.7.0.255"}}
              - {{name: power, class: extended_register, obis: "1-0:1.7.0.255"}}
              - {{name: load_profile, class: profile, obis: "1-0:99.1.0.255", group: slow, days: 1}}
          - name: dead
            port: {dead}
            objects:
              - {{name: energy_import, class: register, obis: "1-0:1.8.0.255"}}
  dlms_server:
    tcp: {{port: {port}, bind: 127.0.0.1}}
    max_pdu: 512
    device_id: gwA-0001
    clients:
      - {{sap: 16}}
      - {{sap: 32, auth: lls, password: "s3cret"}}
      - {{sap: 48, auth: hls, ek: {ek}, ak: {ak}}}
    registers:
      - {{point: m001/energy_import, obis: "1-1:1.8.0.255"}}
      - {{point: m001/voltage_l1, obis: "1-1:32.7.0.255"}}
      - {{point: m001/power}}
      - {{point: m002/energy_import, obis: "1-2:1.8.0.255"}}
      - {{point: m002/voltage_l1, obis: "1-2:32.7.0.255"}}
    profiles:
      - {{obis: "1-1:99.1.0.255", period: 15m, columns: [{{point: m001/load_profile/1, register: "1-1:1.8.0.255"}}]}}
      - {{obis: "1-2:99.1.0.255", period: 15m, columns: [{{point: m002/load_profile/1, register: "1-2:1.8.0.255"}}]}}
expect:
  - meter: {{name: m001, status: ok}}
  - meter: {{name: m002, status: ok}}
"""

GWD_B = """\
gateway: {{name: gwB, store: "{work}/b.db", datahub_dump: "{work}/b.json"}}
dlms:
  polling: {{slow: 1h, normal: 1h}}
  networks:
    - name: headend
      transport: tcp
      host: 127.0.0.1
      max_bytes: 128
      silent: 0s
      timeout: 2s
      retries: 0
      reconnect_delay: 1h
      meters:
        - name: b1
          port: {port}
          client: 48
          auth: hls
          ek: {ek}
          ak: {ak}
          system_title: 4757440000000042
          objects:
            - {{name: energy_import, class: register, obis: "1-1:1.8.0.255"}}
            - {{name: voltage_l1, class: register, obis: "1-1:32.7.0.255"}}
            - {{name: power, class: register, obis: "1-0:1.7.0.255"}}
            - {{name: device, class: data, obis: "0-0:96.1.0.255", group: slow}}
            - {{name: load_profile, class: profile, obis: "1-1:99.1.0.255", group: slow, days: 3}}
        - name: b2
          port: {port}
          client: 32
          auth: lls
          password: "s3cret"
          objects:
            - {{name: energy_import, class: register, obis: "1-2:1.8.0.255"}}
            - {{name: voltage_l1, class: register, obis: "1-2:32.7.0.255"}}
            - {{name: load_profile, class: profile, obis: "1-2:99.1.0.255", group: slow, days: 3}}
        - name: wrongkey
          port: {port}
          client: 48
          auth: hls
          ek: {wrong}
          ak: {ak}
          system_title: 4757440000000043
          objects:
            - {{name: energy_import, class: register, obis: "1-1:1.8.0.255"}}
        - name: wrongpw
          port: {port}
          client: 32
          auth: lls
          password: "guess"
          objects:
            - {{name: energy_import, class: register, obis: "1-1:1.8.0.255"}}
"""


def rows(db, sql, *args):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
        return c.execute(sql, args).fetchall()


def wait_for(what, check, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if check():
                return
        except (sqlite3.Error, OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def points(dump):
    return {p["id"]: p for p in json.loads(Path(dump).read_text())["points"]}


def meters(dump):
    return {m["name"]: m for m in json.loads(Path(dump).read_text())["meters"]}


@pytest.fixture(scope="module")
def gateway_a(request, tmp_path_factory):
    h = request.config._hil
    work = tmp_path_factory.mktemp("dlms_server")
    port = free_port()
    sc = work / "a.yaml"
    sc.write_text(SCENARIO.format(fixtures=h.root / "fixtures", work=work, port=port, dead=free_port(),
                                  ek=EK, ak=AK))
    run = subprocess.Popen([str(h.hil), "run", "--workdir", str(work / "run"), str(sc)], cwd=h.root,
                           env={"HIL_GWD": h.gwd, "PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    db = work / "a.db"
    try:
        wait_for("gwd A's first profile reads", lambda: rows(
            db, "SELECT COUNT(DISTINCT meter) FROM readings WHERE point LIKE '%/load_profile/1'")[0][0] == 2, 10)
        yield {"port": port, "work": work, "db": db, "dump": work / "a.json", "gwd": h.gwd}
    finally:
        out, _ = run.communicate(timeout=60)
    assert run.returncode == 0, out


@pytest.fixture(scope="module")
def gateway_b(gateway_a):
    work = gateway_a["work"]
    cfg = work / "b.yaml"
    cfg.write_text(GWD_B.format(work=work, port=gateway_a["port"], ek=EK, ak=AK, wrong=WRONG))
    cfg.chmod(0o600)
    log = open(work / "b.log", "w")
    b = subprocess.Popen([gateway_a["gwd"], str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    dump = work / "b.json"

    def done():
        m = meters(dump)
        return all(m.get(n, {}).get("status") for n in ("b1", "b2", "wrongkey", "wrongpw")) and \
            m["b1"]["status"] == "ok" and m["b2"]["status"] == "ok"
    try:
        wait_for("gwd B's reads of A", done, 8)
    finally:
        b.send_signal(signal.SIGTERM)
        b.wait(timeout=10)
        log.close()
    return {"db": work / "b.db", "dump": dump, "log": (work / "b.log").read_text()}


def test_loop_values_scalers_units(gateway_a, gateway_b):
    a, b = points(gateway_a["dump"]), points(gateway_b["dump"])
    pairs = [("m001/energy_import", "b1/energy_import"), ("m001/voltage_l1", "b1/voltage_l1"),
             ("m001/power", "b1/power"), ("m002/energy_import", "b2/energy_import"),
             ("m002/voltage_l1", "b2/voltage_l1")]
    for pa, pb in pairs:
        assert b[pb]["value"] == a[pa]["value"], (pa, a[pa], b[pb])
        assert b[pb]["unit"] == a[pa]["unit"], (pa, a[pa], b[pb])
        assert b[pb]["quantity"] == a[pa]["quantity"], (pa, a[pa], b[pb])
    assert a["m001/voltage_l1"]["value"] == 230.4 and b["b1/voltage_l1"]["unit"] == "V"
    assert b["b1/device"]["value"] == "gwA-0001"
    assert b["b1/energy_import"]["address"] == "1-1:1.8.0.255 class 3 attr 2"


def test_loop_profile_ranges(gateway_a, gateway_b):
    for ma, mb in (("m001", "b1"), ("m002", "b2")):
        ra = rows(gateway_a["db"], "SELECT ts_ns, value, unit FROM readings WHERE point = ? ORDER BY ts_ns",
                  f"{ma}/load_profile/1")
        rb = rows(gateway_b["db"], "SELECT ts_ns, value, unit FROM readings WHERE point = ? ORDER BY ts_ns",
                  f"{mb}/load_profile/1")
        assert len(ra) >= 96, len(ra)  # a day of quarter hours
        assert rb == ra
        assert ra[0][2] == "Wh"


def test_loop_wrong_keys_refused(gateway_b):
    m = meters(gateway_b["dump"])
    assert m["wrongkey"]["status"] != "ok" and m["wrongpw"]["status"] != "ok"
    ev = dict(rows(gateway_b["db"], "SELECT meter, text FROM events WHERE kind = 'auth_failed'"))
    for meter in ("wrongkey", "wrongpw"):
        assert ev[meter] == "association rejected (result 1): authentication failure (wrong password or key)"
    assert set(ev) == {"wrongkey", "wrongpw"}
    assert not rows(gateway_b["db"], "SELECT 1 FROM readings WHERE meter IN ('wrongkey', 'wrongpw')"
                    " AND value IS NOT NULL AND (quality & 1) = 0")


def hls_master(port, ek=EK, ak=AK, max_pdu=1024):
    m = dm.Master("127.0.0.1", port, client=48, max_pdu=max_pdu)
    m.associate("hls", ek=bytes.fromhex(ek), ak=bytes.fromhex(ak))
    return m


def test_master_reads_objects_and_ranges(gateway_a):
    port = gateway_a["port"]
    a = points(gateway_a["dump"])
    m = hls_master(port, max_pdu=256)
    assert m.get(3, "1-1:32.7.0.255", 3) == [-1, 35]      # scaler -1, unit V
    assert m.get(3, "1-1:32.7.0.255", 2) == 2304
    assert m.get(3, "1-1:1.8.0.255", 2) == a["m001/energy_import"]["value"]
    assert m.get(1, "0-0:96.1.0.255", 2) == b"gwA-0001"
    now = time.time_ns()
    assert abs(dm.datetime_ns(m.get(8, "0-0:1.0.0.255", 2)) - now) < 5 * 10**9
    # the profile by range: the last four hours, read in blocks (256-byte PDUs)
    stored = rows(gateway_a["db"], "SELECT ts_ns, value FROM readings WHERE point = 'm001/load_profile/1'"
                  " AND ts_ns >= ? ORDER BY ts_ns", now - 4 * HOUR)
    before = m.blocks
    buf = m.get(7, "1-1:99.1.0.255", 2, access=(1, dm.range_params(now - 4 * HOUR, now)))
    assert m.blocks > before + 1
    assert [(dm.datetime_ns(e[0]), e[1]) for e in buf] == [(ts, int(v)) for ts, v in stored]
    assert len(buf) == 16
    caps = m.get(7, "1-1:99.1.0.255", 3)
    assert caps == [[8, bytes([0, 0, 1, 0, 0, 255]), 2, 0], [3, bytes([1, 1, 1, 8, 0, 255]), 2, 0]]
    assert m.get(7, "1-1:99.1.0.255", 4) == 900
    # with list: a value, an object that does not exist, the event log's capture objects
    res = m.get_list([(3, "1-2:1.8.0.255", 2), (3, "1-9:1.8.0.255", 2), (7, "0-0:99.98.0.255", 3)])
    assert res[0] == a["m002/energy_import"]["value"]
    assert isinstance(res[1], dm.AccessError) and res[1].dar == 4  # object-undefined
    assert res[2][1][1] == bytes([0, 0, 96, 11, 0, 255])
    m.release()
    m.close()


def test_master_event_log(gateway_a):
    m = dm.Master("127.0.0.1", gateway_a["port"], client=32)
    m.associate("lls", password=b"s3cret")
    stored = rows(gateway_a["db"], "SELECT ts_ns, kind FROM events ORDER BY ts_ns, id")
    assert any(kind == "not_read" for _, kind in stored)   # the dead meter
    codes = {"not_read": 1, "rejected": 2, "retry": 3, "clock_sync": 4, "error": 5, "info": 6}
    buf = m.get(7, "0-0:99.98.0.255", 2)
    assert [(dm.datetime_ns(e[0]), e[1]) for e in buf] == \
        [(ts // 10**7 * 10**7, codes.get(kind, 255)) for ts, kind in stored]
    assert m.get(7, "0-0:99.98.0.255", 7) == len(stored)
    m.close()


def test_master_public_client_read_only(gateway_a):
    m = dm.Master("127.0.0.1", gateway_a["port"], client=16)
    m.associate()
    assert m.get(1, "0-0:96.1.0.255", 2) == b"gwA-0001"   # the gateway's own objects
    with pytest.raises(dm.AccessError) as e:
        m.get(3, "1-1:1.8.0.255", 2)                      # the meters' are not the public's
    assert e.value.dar == 3                               # read-write-denied
    # SET is refused to everyone (the server is read-only)
    r = m.exchange(b"\xc1\x01\xc1\x00\x08" + dm.obis_bytes("0-0:1.0.0.255") + b"\x02\x00"
                   + dm.octets(dm.datetime_bytes(0)))
    assert r[:4] == b"\xc5\x01\xc1\x03"
    m.close()


def test_master_wrong_credentials(gateway_a):
    port = gateway_a["port"]
    with pytest.raises(PermissionError, match="diagnostic 13"):
        hls_master(port, ek=WRONG)
    with pytest.raises(PermissionError, match="diagnostic 13"):
        hls_master(port, ak=WRONG)          # the AK is in the AAD of the ciphered AARQ
    m = dm.Master("127.0.0.1", port, client=48)
    with pytest.raises(PermissionError, match="f\\(StoC\\)"):
        m.associate("hls", ek=bytes.fromhex(EK), ak=bytes.fromhex(AK), corrupt_f=True)
    with pytest.raises(dm.Refused):         # and the association is not open
        m.get(1, "0-0:96.1.0.255", 2)
    m = dm.Master("127.0.0.1", port, client=32)
    with pytest.raises(PermissionError, match="diagnostic 13"):
        m.associate("lls", password=b"nope")
    m = dm.Master("127.0.0.1", port, client=99)   # a SAP that is not configured
    with pytest.raises(PermissionError, match="diagnostic 1"):
        m.associate()


def test_master_malformed_and_oversized(gateway_a):
    port = gateway_a["port"]
    m = dm.Master("127.0.0.1", port, client=32)
    with pytest.raises(dm.Refused) as e:                  # before any association
        m.exchange(b"\xc0\x01\xc1\x00\x01" + dm.obis_bytes("0-0:96.1.0.255") + b"\x02\x00")
    assert (e.value.state, e.value.service) == (1, 1)     # service-not-allowed, operation-not-possible
    m.associate("lls", password=b"s3cret")
    with pytest.raises(dm.Refused) as e:                  # an APDU tag no server knows
        m.exchange(b"\xff\x01\x02")
    assert (e.value.state, e.value.service) == (2, 2)     # service-unknown, service-not-supported
    with pytest.raises(dm.Refused) as e:                  # a GET cut short
        m.exchange(b"\xc0\x01\xc1\x00\x03\x01")
    assert (e.value.state, e.value.service) == (1, 3)
    with pytest.raises(dm.Refused) as e:                  # longer than the server's max PDU (512)
        m.exchange(b"\xc0\x03\xc1" + bytes(4000))
    assert (e.value.state, e.value.service) == (1, 4)     # pdu-too-long
    # selective access whose parameters are data but not a range descriptor
    with pytest.raises(dm.AccessError) as e2:
        m.get(7, "1-1:99.1.0.255", 2, access=(1, b"\x02\x04\x11\x00\x11\x00\x11\x00\x11\x00"))
    assert e2.value.dar == 12                             # type-unmatched
    assert m.get(1, "0-0:96.1.0.255", 2) == b"gwA-0001"   # still serving, same association
    m.close()
    # HLS: a replayed frame counter is refused, the next one served
    h = hls_master(port)
    h.fc -= 1
    with pytest.raises(dm.Refused) as e:
        h.get(1, "0-0:96.1.0.255", 2)
    assert (e.value.state, e.value.service) == (1, 6)     # invocation-counter-error
    h.fc += 1
    assert h.get(1, "0-0:96.1.0.255", 2) == b"gwA-0001"
    h.close()
    # garbage that is not a wrapper closes that connection only
    g = dm.Master("127.0.0.1", port)
    g.send_raw(b"GET / HTTP/1.0\r\n\r\n")
    with pytest.raises((ConnectionError, socket.timeout, OSError)):
        g.recv()
    g.close()
    ok = dm.Master("127.0.0.1", port)
    ok.associate()
    assert ok.get(1, "0-0:96.1.0.255", 2) == b"gwA-0001"
    ok.close()


GWD_A_HDLC = """\
gateway: {{name: gwH, store: "{work}/h.db"}}
dlms_server:
  hdlc: {{device: "{work}/line-a", baud: 9600, physical: 17, max_info: 64}}
  device_id: gwA-hdlc
  clients:
    - {{sap: 16}}
    - {{sap: 32, auth: lls, password: "s3cret"}}
"""

GWD_B_HDLC = """\
gateway: {{name: gwB, store: "{work}/hb.db", datahub_dump: "{work}/hb.json"}}
dlms:
  polling: {{slow: 1h, normal: 1h}}
  networks:
    - name: rs485
      transport: hdlc
      device: "{work}/line-b"
      baud: 9600
      max_bytes: 64
      timeout: 1s
      retries: 1
      silent: 0s
      meters:
        - name: gw
          client: 32
          auth: lls
          password: "s3cret"
          logical: 1
          physical: 17
          objects:
            - {{name: device, class: data, obis: "0-0:96.1.0.255", group: slow}}
            - {{name: events, class: profile, obis: "0-0:99.98.0.255", group: slow, days: 30}}
        - name: other
          client: 16
          logical: 1
          physical: 18
          objects:
            - {{name: device, class: data, obis: "0-0:96.1.0.255", group: slow}}
"""


def test_hdlc_on_a_serial_line(request, tmp_path):
    """The server on a serial port with HDLC, read by gwd B's DLMS client over a
    pty pair (socat): addressing (a station that is not there is not answered),
    segmented I-frames (64-byte information fields), the event log from A's store."""
    socat = peers.program("socat", "socat")
    h = request.config._hil
    work = tmp_path
    line = subprocess.Popen([socat, f"pty,raw,echo=0,link={work}/line-a", f"pty,raw,echo=0,link={work}/line-b"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [line]
    try:
        wait_for("the pty pair", lambda: (work / "line-a").exists() and (work / "line-b").exists(), 5)
        cfg_a = work / "a.yaml"
        cfg_a.write_text(GWD_A_HDLC.format(work=work))
        cfg_a.chmod(0o600)
        first = subprocess.run([h.gwd, "--check-config", str(cfg_a)], capture_output=True, text=True)
        assert first.returncode == 0, first.stdout + first.stderr
        # A's store with three events of an earlier run (A creates the schema)
        a = subprocess.Popen([h.gwd, str(cfg_a)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("A's store", lambda: rows(work / "h.db", "SELECT COUNT(*) FROM events") is not None, 5)
        a.send_signal(signal.SIGTERM)
        a.wait(timeout=10)
        now = time.time_ns()
        events = [(now - 3 * HOUR + 123456789, "not_read"), (now - 2 * HOUR, "rejected"), (now - HOUR, "info")]
        with sqlite3.connect(work / "h.db") as c:
            c.executemany("INSERT INTO events(ts_ns, source, kind, meter, text) VALUES(?, 'mbus:bus1', ?, 'm', 'x')",
                          events)
        a = subprocess.Popen([h.gwd, str(cfg_a)], stdout=open(work / "a.log", "w"), stderr=subprocess.STDOUT)
        procs.append(a)
        cfg_b = work / "b.yaml"
        cfg_b.write_text(GWD_B_HDLC.format(work=work))
        cfg_b.chmod(0o600)
        time.sleep(0.3)
        b = subprocess.Popen([h.gwd, str(cfg_b)], stdout=open(work / "b.log", "w"), stderr=subprocess.STDOUT)
        procs.append(b)
        dump = work / "hb.json"
        wait_for("B's read over HDLC", lambda: meters(dump)["gw"]["status"] == "ok" and
                 meters(dump).get("other", {}).get("status"), 15)
        b.send_signal(signal.SIGTERM)
        b.wait(timeout=10)
        assert points(dump)["gw/device"]["value"] == "gwA-hdlc"
        assert meters(dump)["other"]["status"] != "ok"   # physical 18: nobody answers
        got = rows(work / "hb.db", "SELECT ts_ns, value FROM readings WHERE point = 'gw/events/1' ORDER BY ts_ns")
        assert got == [(ts // 10**7 * 10**7, float(code)) for ts, code in
                       zip([e[0] for e in events], [1, 2, 6])], got
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
