"""What a hostile peer provokes is told a bounded number of times, then summed up.

One gwd (real time, real sockets) with an IEC 104 server for one master and a
Modbus TCP server for two. A master sends 40 malformed ASDUs (a single command
without its SCO octet); 40 more IEC 104 masters are refused (all connections in
use); 100 Modbus masters connect one after the other, each pushing out the oldest
(the connection limit makes room). Every malformed ASDU still gets its negative
confirmation and the counters are exact, but the events table and the log get
EVENT_LIMIT_BURST (10) of each kind a minute and then one summary event of the
same kind with the count left out (given at the latest when the server stops).
The window is a minute, longer than this test: the summaries here come with
SIGTERM; core/event_limit's own test (gateway/tests/test_event_limit.c) and
scenarios/iec104/malformed_flood.yaml show the summary at the window's end."""
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import time

from report_receivers import CountingMeter
from test_hostile import GOOD, STARTDT, free_port, i_frame, recv_some, wait_port

CONFIG = """\
gateway: {{name: flood, store: "{dir}/gw.db", log_level: info}}
modbus:
  polling: {{fast: 500ms}}
  devices:
    - name: em1
      tcp: {{host: 127.0.0.1, port: {meter}}}
      serial: "00000001"
      registers: [{{id: count, address: 0, format: uint32, group: fast}}]
iec104:
  port: {iec}
  bind: 127.0.0.1
  connections: 1
  initial_poll: asynchronous
  mapping:
    - points:
        - {{type: M_ME_NC_1, point: em1/count, ioa: 1001}}
    - label: commands
      points:
        - {{type: C_SC_NA_1, point: valve1, ioa: 5000}}
modbus_server:
  tcp: {{port: {mb}, bind: 127.0.0.1, max_connections: 2}}
  groups:
    - mappings:
        - {{point: em1/count, bank: holding, address: 100, format: uint32}}
"""

NO_SCO = bytes.fromhex("2D 01 06 00 01 00 88 13 00")  # C_SC_NA_1 act, IOA 5000, SCO missing
BURST = 10


def malformed_flood(port, n):
    """n malformed ASDUs; returns how many negative confirmations came back."""
    with socket.create_connection((GOOD, port), timeout=5) as s:
        s.sendall(STARTDT)
        assert recv_some(s)[:6] == bytes.fromhex("68040B000000")
        for ns in range(n):
            s.sendall(i_frame(ns, 0, NO_SCO))
        negative, data, got, end = 0, b"", 0, time.time() + 10
        while time.time() < end and negative < n:
            data += recv_some(s, 0.5)
            while len(data) >= 2 and len(data) >= 2 + data[1]:
                apdu, data = data[:2 + data[1]], data[2 + data[1]:]
                if apdu[2] & 1 == 0:  # an I frame: acknowledged, so k never stops the gateway
                    got += 1
                    # the mirror: type 0x2D, 1 object, cause 47 (unknown IOA) with P/N set
                    negative += apdu[6:9] == bytes([0x2D, 0x01, 0x6F])
                    s.sendall(bytes([0x68, 4, 1, 0, (got << 1) & 0xFF, got >> 7]))
        held = socket.create_connection((GOOD, port), timeout=5)  # refused while s is open
        refused = [held] + [socket.create_connection((GOOD, port), timeout=5) for _ in range(39)]
        time.sleep(0.5)
        for r in refused:
            r.close()
        return negative


def modbus_churn(port, n):
    open_ = []
    for _ in range(n):
        open_.append(socket.create_connection((GOOD, port), timeout=5))
        time.sleep(0.005)
    time.sleep(0.3)
    for s in open_:
        s.close()


def test_hostile_events_are_summed_up(hil_setup, tmp_path):
    meter = CountingMeter()
    iec, mb = free_port(), free_port()
    cfg = tmp_path / "gwd.yaml"
    cfg.write_text(CONFIG.format(dir=tmp_path, meter=meter.port, iec=iec, mb=mb))
    log_path = tmp_path / "gwd.log"
    log = open(log_path, "w")
    gwd = subprocess.Popen(shlex.split(hil_setup.gwd) + [str(cfg)], stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        assert wait_port(iec) and wait_port(mb), log_path.read_text()
        time.sleep(0.5)  # the probes of wait_port have gone
        negative = malformed_flood(iec, 40)
        modbus_churn(mb, 100)
        time.sleep(0.6)  # a cycle end publishes the counters
        gwd.send_signal(signal.SIGTERM)
        assert gwd.wait(30) == 0
    finally:
        if gwd.poll() is None:
            gwd.kill()
        log.close()
        meter.stop()
    text = log_path.read_text()
    db = sqlite3.connect(tmp_path / "gw.db")
    try:
        def events(source, kind):
            return [t for (t,) in db.execute("SELECT text FROM events WHERE source = ? AND kind = ?"
                                            " ORDER BY id", (source, kind))]
        malformed = events("iec104", "malformed_asdu")
        refused = events("iec104", "refused")
        closed = events("modbus_server", "closed")
        counter = db.execute("SELECT value FROM readings WHERE point = 'iec104/malformed_asdus'"
                             " ORDER BY ts_ns DESC LIMIT 1").fetchone()
        refused_counter = db.execute("SELECT value FROM readings WHERE point = 'iec104/refused'"
                                     " ORDER BY ts_ns DESC LIMIT 1").fetchone()
    finally:
        db.close()
    print(f"{negative} negative confirmations; events: {len(malformed)} malformed_asdu,"
          f" {len(refused)} refused, {len(closed)} modbus closed; summaries:"
          f" {malformed[-1]!r} / {refused[-1]!r} / {closed[-1]!r}")
    assert negative == 40, "every malformed ASDU is still answered"
    assert counter and int(counter[0]) == 40
    assert refused_counter and int(refused_counter[0]) == 40
    assert len(malformed) == BURST + 1, malformed
    assert malformed[-1].startswith("30 more malformed ASDUs in 60 s"), malformed[-1]
    assert "iec104/malformed_asdus: 40 since the start" in malformed[-1]
    assert len(refused) == BURST + 1, refused
    assert refused[-1].startswith("30 more refused connections"), refused[-1]
    limit = [t for t in closed if "connection limit" in t]
    assert len(limit) == BURST, closed
    m = re.match(r"(\d+) more connections closed by the gateway in 60 s .*\((\d+) since the start\)",
                 closed[-1])
    assert m, closed[-1]
    # 100 masters for 2 places: 98 pushed out by the limit (the last 2 hang up themselves)
    assert int(m.group(2)) == 98 and int(m.group(1)) == 98 - BURST, closed[-1]
    assert text.count("refused: all connections in use") == BURST
    assert text.count("closed (connection limit") == BURST
    assert text.count("master 127.0.0.1 connected") <= BURST
