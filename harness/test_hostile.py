"""Hostile peers against one running gateway (real time, real sockets and ptys; the
bench's scripted masters always connect from 127.0.0.1 and speak correctly, these do
neither). While a well-behaved IEC 104 master and Modbus master keep getting answers:

- an IEC 104 master from a disallowed address (127.0.0.2; allowed_ips is 127.0.0.1),
- a flood of 200 connections,
- APDUs with wrong lengths, wrong send and receive sequence numbers, an I frame before
  STARTDT, and a master that asks for an interrogation and hangs up at once (the answer
  meets a closed socket: EPIPE, never SIGPIPE),
- a Modbus master asking for huge ranges (65535 registers, 2001 coils, addresses past
  the end) and one sending garbage instead of Modbus TCP,
- a radio module port flooded with random bytes and random HCI frames,
- an M-Bus line that answers every request with garbage.

The gateway must still answer the good masters at the end, exit 0 on SIGTERM (under
ASan: no report; under valgrind: no error) and its store's events table must say what
happened: refusals, protocol errors, exceptions, meters not read."""
import os
import random
import socket
import sqlite3
import struct
import subprocess
import threading
import time

import pytest
from ports import free_port, wait_port as _wait_port


def wait_port(port, seconds=120.0):  # generous: gwd may run under valgrind
    return _wait_port(port, seconds, GOOD, step=0.1)

GOOD = "127.0.0.1"
BAD = "127.0.0.2"


def recv_some(s, seconds=3.0):
    s.settimeout(seconds)
    data = b""
    end = time.time() + seconds
    while time.time() < end:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if len(data) >= 6:
            break
    return data


def closed_by_peer(s, seconds=5.0):
    """True when the gateway closes the connection (EOF or reset) within seconds."""
    s.settimeout(seconds)
    end = time.time() + seconds
    try:
        while time.time() < end:
            if not s.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


STARTDT = bytes.fromhex("680407000000")


def i_frame(ns, nr, asdu):
    return bytes([0x68, 4 + len(asdu), (ns << 1) & 0xFF, ns >> 7, (nr << 1) & 0xFF, nr >> 7]) + asdu


GI = bytes([100, 1, 6, 0, 1, 0, 0, 0, 0, 20])


def good_iec104(port):
    """STARTDT, then a GI: STARTDT_CON and an ACT_CON for the interrogation."""
    with socket.create_connection((GOOD, port), timeout=5) as s:
        s.sendall(STARTDT)
        con = recv_some(s)
        assert con[:6] == bytes.fromhex("68040B000000"), f"STARTDT_CON expected, got {con.hex()}"
        s.sendall(i_frame(0, 0, GI))
        data = b""
        end = time.time() + 5
        while time.time() < end and bytes([100, 1, 7]) not in data:
            data += recv_some(s, 1.0)
        assert bytes([100, 1, 7]) in data, f"no GI ACT_CON: {data.hex()}"


def good_modbus(port):
    """Read holding register 100 (2 registers) from unit 1: a normal answer."""
    with socket.create_connection((GOOD, port), timeout=5) as s:
        s.sendall(struct.pack(">HHHBBHH", 7, 0, 6, 1, 3, 100, 2))
        rsp = recv_some(s)
        assert rsp[:2] == b"\x00\x07" and rsp[7] == 3 and rsp[8] == 4, f"bad answer {rsp.hex()}"


def modbus_exception(port, pdu):
    with socket.create_connection((GOOD, port), timeout=5) as s:
        s.sendall(struct.pack(">HHHB", 9, 0, len(pdu) + 1, 1) + pdu)
        rsp = recv_some(s)
        assert len(rsp) >= 9 and rsp[7] == pdu[0] | 0x80, f"exception expected for {pdu.hex()}: {rsp.hex()}"
        return rsp[8]


class PtyFlood(threading.Thread):
    """Writes what `answer` returns for what the gateway wrote on a pty, plus random
    bytes every `every` seconds, until stopped."""

    def __init__(self, answer, every):
        super().__init__(daemon=True)
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.answer, self.every = answer, every
        self.stop = threading.Event()
        self.rng = random.Random(1104)
        self.received = 0

    def run(self):
        os.set_blocking(self.master, False)
        while not self.stop.is_set():
            try:
                data = os.read(self.master, 4096)
                self.received += len(data)
                out = self.answer(self.rng, data)
            except BlockingIOError:
                out = b""
            except OSError:
                return
            if self.every:
                out += bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 64)))
            try:
                if out:
                    os.write(self.master, out)
            except OSError:
                pass
            time.sleep(self.every or 0.01)


def mbus_garbage(rng, data):
    """An M-Bus line that echoes garbage: every request gets random bytes, some of
    which look like the start of a long frame."""
    if not data:
        return b""
    junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 40)))
    return (b"\x68\x20\x20\x68" if rng.random() < 0.5 else b"\xE5") + junk


def radio_flood(rng, data):
    """A radio port full of random bytes and random HCI frames (A5, endpoint 2, WMBUSMSG_IND)."""
    payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 60)))
    return bytes([0xA5, 0x02, 0x03, len(payload)]) + payload


CONFIG = """\
gateway: {{name: hostile, store: "{dir}/gw.db", log_level: info}}
mbus:
  - {{name: bus1, device: "{mbus}", baud: 2400, interval: 2s, meters: [{{name: water1, primary: 5}}]}}
wmbus:
  - {{name: radio1, device: "{radio}", link_mode: T1, cycle: 5s, check_interval: 2s,
      listen: true, meters: [{{name: w1, id: "12345678", manufacturer: KAM}}]}}
iec104:
  port: {iec}
  bind: 127.0.0.1
  allowed_ips: [127.0.0.1]
  connections: 2
  initial_poll: asynchronous
  mapping:
    - points:
        - {{type: M_ME_NC_1, point: water1/0, ioa: 1001}}
modbus_server:
  tcp: {{port: {mb}, bind: 127.0.0.1, max_connections: 4}}
  groups:
    - mappings:
        - {{point: water1/0, bank: holding, address: 100, format: float32}}
"""


@pytest.fixture
def gateway(hil_setup, tmp_path):
    import shlex
    mbus = PtyFlood(mbus_garbage, 0)
    radio = PtyFlood(radio_flood, 0.005)
    iec, mb = free_port(), free_port()
    cfg = tmp_path / "gwd.yaml"
    cfg.write_text(CONFIG.format(dir=tmp_path, mbus=mbus.path, radio=radio.path, iec=iec, mb=mb))
    log = open(tmp_path / "gwd.log", "w")
    mbus.start()
    radio.start()
    gwd = subprocess.Popen(shlex.split(hil_setup.gwd) + [str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_port(iec) and wait_port(mb), (tmp_path / "gwd.log").read_text()
        yield {"iec": iec, "mb": mb, "proc": gwd, "dir": tmp_path}
    finally:
        if gwd.poll() is None:
            gwd.terminate()
        try:
            gwd.wait(60)
        except subprocess.TimeoutExpired:
            gwd.kill()
            gwd.wait()
        mbus.stop.set()
        radio.stop.set()
        log.close()


def hostile_iec104(port):
    # a disallowed address: accepted by TCP, closed without a word
    with socket.socket() as s:
        s.bind((BAD, 0))
        s.connect((GOOD, port))
        s.sendall(STARTDT + i_frame(0, 0, GI))
        assert closed_by_peer(s), "a master from 127.0.0.2 was not closed"
    # a flood of connections: at most `connections` are served, the rest closed
    socks = []
    for _ in range(200):
        try:
            socks.append(socket.create_connection((GOOD, port), timeout=2))
        except OSError:
            pass
    for s in socks:
        s.close()
    time.sleep(0.5)
    # wrong lengths, wrong sequence numbers, I frame before STARTDT: the connection is closed
    for bad in (bytes.fromhex("6802070000"),                 # length below 4
                bytes.fromhex("68FF") + bytes(255),          # length above 253
                bytes.fromhex("6904070000"),                 # not a start byte
                STARTDT + i_frame(7, 0, GI),                 # N(S) 7, expected 0
                STARTDT + i_frame(0, 99, GI),                # N(R) acknowledges frames never sent
                i_frame(0, 0, GI)):                          # before STARTDT
        with socket.create_connection((GOOD, port), timeout=5) as s:
            s.sendall(bad)
            assert closed_by_peer(s), f"gateway kept a connection after {bad[:12].hex()}"
    # ask for everything and hang up at once (reset): the answers meet a closed socket
    for _ in range(20):
        s = socket.create_connection((GOOD, port), timeout=5)
        s.sendall(STARTDT + i_frame(0, 0, GI))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


def hostile_modbus(port):
    assert modbus_exception(port, struct.pack(">BHH", 3, 0, 0xFFFF)) == 3    # 65535 registers
    assert modbus_exception(port, struct.pack(">BHH", 1, 0, 2001)) == 3      # 2001 coils
    assert modbus_exception(port, struct.pack(">BHH", 4, 0, 126)) == 3       # 126 input registers
    assert modbus_exception(port, struct.pack(">BHH", 3, 0xFFFF, 2)) == 2    # past the end
    # not Modbus TCP at all: closed
    with socket.create_connection((GOOD, port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(300))
        assert closed_by_peer(s), "gateway kept a non-Modbus connection"
    # many masters at once: the oldest make room, the newest is served
    socks = [socket.create_connection((GOOD, port), timeout=2) for _ in range(12)]
    for s in socks:
        s.close()


def events(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT source, kind, text FROM events").fetchall()
    finally:
        con.close()


def test_hostile_peers(gateway):
    iec, mb = gateway["iec"], gateway["mb"]
    good_iec104(iec)
    good_modbus(mb)
    time.sleep(3)  # the M-Bus and radio floods run meanwhile
    hostile_iec104(iec)
    hostile_modbus(mb)
    time.sleep(2)
    # still serving the well-behaved peers
    good_iec104(iec)
    good_modbus(mb)
    proc = gateway["proc"]
    assert proc.poll() is None, "the gateway died"
    proc.terminate()
    assert proc.wait(60) == 0, (gateway["dir"] / "gwd.log").read_text()[-4000:]
    ev = events(gateway["dir"] / "gw.db")
    text = "\n".join(f"{s} {k} {t}" for s, k, t in ev)
    assert any(s == "iec104" and k == "refused" and "address not allowed" in t and BAD in t
               for s, k, t in ev), text
    assert any(s == "iec104" and k == "refused" and "all connections in use" in t for s, k, t in ev), text
    for what in ("N(S)=7, expected 0", "I frame before STARTDT", "N(R)=99"):
        assert any(s == "iec104" and k == "protocol_error" and what in t for s, k, t in ev), (what, text)
    assert any(s == "modbus_server" and k == "exception" for s, k, t in ev), text
    assert any(s == "modbus_server" and k == "closed" and "not a Modbus TCP stream" in t
               for s, k, t in ev), text
    assert any(s == "mbus:bus1" and k in ("not_read", "rejected") for s, k, t in ev), text
    assert any(s.startswith("wmbus") for s, k, t in ev), text
