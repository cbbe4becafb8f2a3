"""Hostile peers against gwd's IEC 104 and Modbus TCP servers while a good master of
each keeps polling (real time, real sockets): the attack of issue 26 and the figures
`make bench` prints. harness/test_hostile_load.py asserts on the same run.

Attack, on both ports at once: random bytes on 50 connections (repeatedly), 200 idle
connections, slowloris (a frame started and fed 1 byte/s), oversized length fields, and
1,000 connect/close cycles. The good masters hold one connection each and poll every
50 ms: an IEC 104 read (C_RD_NA_1) answered with COT 5, a Modbus read of 2 holding
registers. Measured: answers, latency (median, p99, max) before and during the attack,
whether a good connection was dropped, and gwd's open file descriptors and RSS before,
during and after (once the idle timeouts have run out).

    /usr/bin/python3 harness/hostile_load.py GWD_COMMAND...   # prints the figures"""
import os
import random
import shlex
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from ports import free_port, wait_port as _wait_port


def wait_port(port, seconds=60.0):
    return _wait_port(port, seconds, HOST)

HOST = "127.0.0.1"
STARTDT = bytes.fromhex("680407000000")
IDLE_TIMEOUT = 3.0  # both servers (IEC 104: idle_timeout > t3 + t1 = 2 s)

CONFIG = """\
gateway: {{name: hostile-load, store: "{dir}/gw.db", log_level: {log_level}}}
iec104:
  port: {iec}
  bind: 127.0.0.1
  connections: 3
  initial_poll: asynchronous
  t1: 1s
  t2: 500ms
  t3: 1s
  idle_timeout: {idle}s
  mapping:
    - points:
        - {{type: M_ME_NC_1, point: p/0, ioa: 1001}}
modbus_server:
  tcp: {{port: {mb}, bind: 127.0.0.1, max_connections: 6, idle_timeout: {idle}s, when_full: drop_idlest}}
  groups:
    - mappings:
        - {{point: p/0, bank: holding, address: 100, format: float32}}
"""


def i_frame(ns, nr, asdu):
    return bytes([0x68, 4 + len(asdu), (ns << 1) & 0xFF, ns >> 7, (nr << 1) & 0xFF, nr >> 7]) + asdu


def read_apdus(sock, buf):
    """Complete APDUs in buf after one recv (buf is a bytearray kept by the caller)."""
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("closed by the gateway")
    buf += data
    out = []
    while len(buf) >= 2 and buf[0] == 0x68 and len(buf) >= 2 + buf[1]:
        out.append(bytes(buf[:2 + buf[1]]))
        del buf[:2 + buf[1]]
    return out


class Poller(threading.Thread):
    """A good master: one connection, a request every 50 ms, latency per answer."""

    def __init__(self, name, connect, poll):
        super().__init__(daemon=True)
        self.name, self.connect, self.poll = name, connect, poll
        self.stop = threading.Event()
        self.samples = []  # (start time, latency s or None when no answer)
        self.dropped = 0   # times the gateway closed the good connection

    def run(self):
        sock = self.connect()
        while not self.stop.is_set():
            t0 = time.time()
            try:
                self.poll(sock)
                self.samples.append((t0, time.time() - t0))
            except (OSError, ConnectionError, TimeoutError):
                self.samples.append((t0, None))
                self.dropped += 1
                sock.close()
                sock = self.connect()
            time.sleep(max(0.0, 0.05 - (time.time() - t0)))
        sock.close()


def iec104_master(port):
    """A master that acknowledges every I frame at once and answers TESTFR; its poll is a
    read (C_RD_NA_1) of IOA 1001, answered by the object with COT 5 (req)."""
    state = {"ns": 0, "nr": 0}
    buf = bytearray()

    def take(s):
        """The APDUs of one recv, I frames acknowledged, TESTFR answered."""
        apdus = read_apdus(s, buf)
        for a in apdus:
            if a[2] & 1 == 0:
                state["nr"] = (state["nr"] + 1) % 32768
                s.sendall(bytes([0x68, 4, 1, 0, (state["nr"] << 1) & 0xFF, state["nr"] >> 7]))
            elif a[2] == 0x43:
                s.sendall(bytes.fromhex("680483000000"))
        return apdus

    def connect():
        end = time.time() + 5
        while True:
            try:
                s = socket.create_connection((HOST, port), timeout=2)
                break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.1)
        s.sendall(STARTDT)
        state.update(ns=0, nr=0)
        buf.clear()
        while not any(a[2] == 0x0B for a in take(s)):
            pass
        return s

    def poll(s):
        s.sendall(i_frame(state["ns"], state["nr"], bytes([102, 1, 5, 0, 1, 0, 0xE9, 0x03, 0x00])))
        state["ns"] = (state["ns"] + 1) % 32768
        while not any(a[2] & 1 == 0 and len(a) > 8 and a[8] & 0x3F == 5 for a in take(s)):
            pass
    return connect, poll


def modbus_master(port):
    tid = [0]

    def connect():
        end = time.time() + 5
        while True:
            try:
                return socket.create_connection((HOST, port), timeout=2)
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.1)

    def poll(s):
        tid[0] = (tid[0] + 1) & 0xFFFF
        s.sendall(struct.pack(">HHHBBHH", tid[0], 0, 6, 1, 3, 100, 2))
        rsp = b""
        while len(rsp) < 13:
            chunk = s.recv(256)
            if not chunk:
                raise ConnectionError("closed by the gateway")
            rsp += chunk
        if struct.unpack(">H", rsp[:2])[0] != tid[0] or rsp[7] != 3:
            raise ConnectionError(f"bad answer {rsp.hex()}")
    return connect, poll


# ---- the attack ----------------------------------------------------------------------

def attempt(fn):
    try:
        fn()
    except OSError:
        pass


def random_bytes(ports, stop, rng):
    """50 connections at a time sending random bytes, over and over."""
    while not stop.is_set():
        socks = []
        for k in range(50):
            try:
                s = socket.create_connection((HOST, ports[k % 2]), timeout=1)
                s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 512))))
                socks.append(s)
            except OSError:
                pass
        time.sleep(0.2)
        for s in socks:
            s.close()


def idle_flood(ports, stop, held):
    """200 connections that never send anything, held until the end."""
    for k in range(200):
        if stop.is_set():
            return
        try:
            held.append(socket.create_connection((HOST, ports[k % 2]), timeout=1))
        except OSError:
            pass


def slowloris(ports, stop, held):
    """A frame started on each port and fed one byte a second (IEC 104: an I frame of
    253 octets after STARTDT; Modbus: an MBAP header announcing 200 octets)."""
    socks = []
    for port, head in ((ports[0], STARTDT + bytes([0x68, 253, 0, 0, 0, 0])),
                       (ports[1], struct.pack(">HHH", 1, 0, 200))):
        for _ in range(3):
            try:
                s = socket.create_connection((HOST, port), timeout=1)
                s.sendall(head)
                socks.append(s)
            except OSError:
                pass
    held.extend(socks)
    while not stop.is_set():
        for s in socks:
            attempt(lambda: s.sendall(b"\x01"))
        stop.wait(1.0)


def oversized(ports, stop):
    """Length fields beyond what the protocols allow, every 100 ms."""
    while not stop.is_set():
        for port, data in ((ports[0], bytes([0x68, 0xFF, 0, 0, 0, 0])),
                           (ports[1], struct.pack(">HHHB", 2, 0, 0xFFFF, 1) + b"\x03\x00\x64\x00\x02")):
            def send():
                with socket.create_connection((HOST, port), timeout=1) as s:
                    s.sendall(data)
                    s.settimeout(1)
                    s.recv(64)
            attempt(send)
        stop.wait(0.1)


def connect_close(ports, stop, counter):
    """1,000 connect/close cycles, alternating between the ports."""
    for k in range(1000):
        if stop.is_set():
            return
        attempt(lambda: socket.create_connection((HOST, ports[k % 2]), timeout=1).close())
        counter[0] += 1


def victims(iec, mb):
    """Connections that hold a slot without ever completing a frame: idle, and slowloris
    (a frame started, then one byte a second). The gateway must close each of them within
    its idle timeout. Opened before the attack, while there is room."""
    out = {}
    for name, port, first in (("iec104 idle", iec, b""), ("iec104 slowloris", iec, STARTDT + bytes([0x68, 253])),
                              ("modbus idle", mb, b""), ("modbus slowloris", mb, struct.pack(">HH", 1, 0))):
        s = socket.create_connection((HOST, port), timeout=1)
        if first:
            s.sendall(first)
        out[name] = s
    return out


def closed_by_gateway(sock):
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def feed(victim_socks, stop):
    while not stop.is_set():
        for name, s in victim_socks.items():
            if "slowloris" in name:
                attempt(lambda: s.send(b"\x00"))
        stop.wait(1.0)


# ---- the run --------------------------------------------------------------------------

def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def summary(samples):
    lat = sorted(x for _, x in samples if x is not None)
    n = len(samples)
    ok = len(lat)
    return {"polls": n, "answered": ok, "success": ok / n if n else 0.0,
            "median_ms": 1000 * statistics.median(lat) if lat else None,
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else None,
            "max_ms": 1000 * lat[-1] if lat else None}


def run(gwd_cmd, work, baseline=2.0, attack=8.0, log_level="warn"):
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    iec, mb = free_port(), free_port()
    cfg = work / "gwd.yaml"
    cfg.write_text(CONFIG.format(dir=work, iec=iec, mb=mb, idle=IDLE_TIMEOUT, log_level=log_level))
    log = open(work / "gwd.log", "w")
    gwd = subprocess.Popen(shlex.split(gwd_cmd) + [str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    result = {}
    try:
        assert wait_port(iec) and wait_port(mb), "gwd's servers did not start"
        time.sleep(0.3)
        pollers = [Poller("iec104", *iec104_master(iec)), Poller("modbus", *modbus_master(mb))]
        for p in pollers:
            p.start()
        time.sleep(baseline)
        result["fds_before"], result["rss_before_kib"] = fds(gwd.pid), rss_kib(gwd.pid)
        stop, held, cycles = threading.Event(), [], [0]
        slot_holders = victims(iec, mb)
        t_attack = time.time()
        rng = random.Random(26)
        attackers = [threading.Thread(target=random_bytes, args=((iec, mb), stop, rng), daemon=True),
                     threading.Thread(target=idle_flood, args=((iec, mb), stop, held), daemon=True),
                     threading.Thread(target=slowloris, args=((iec, mb), stop, held), daemon=True),
                     threading.Thread(target=oversized, args=((iec, mb), stop), daemon=True),
                     threading.Thread(target=connect_close, args=((iec, mb), stop, cycles), daemon=True),
                     threading.Thread(target=feed, args=(slot_holders, stop), daemon=True)]
        for a in attackers:
            a.start()
        peak_fds = 0
        end = time.time() + attack
        cycler = attackers[4]
        while time.time() < end or (cycler.is_alive() and time.time() < end + 30):
            peak_fds = max(peak_fds, fds(gwd.pid))
            time.sleep(0.1)
        result["rss_during_kib"] = rss_kib(gwd.pid)
        stop.set()
        for a in attackers:
            a.join(5)
        t_end = time.time()
        result["attack_s"] = t_end - t_attack
        result["connect_close_cycles"] = cycles[0]
        result["fds_peak"] = peak_fds
        # the held sockets stay open: the gateway must close them itself (idle timeouts)
        time.sleep(IDLE_TIMEOUT + 1.5)
        result["fds_after"], result["rss_after_kib"] = fds(gwd.pid), rss_kib(gwd.pid)
        result["victims_closed"] = {name: closed_by_gateway(v) for name, v in slot_holders.items()}
        for s in held + list(slot_holders.values()):
            s.close()
        for p in pollers:
            p.stop.set()
            p.join(5)
            before = [s for s in p.samples if s[0] < t_attack]
            during = [s for s in p.samples if t_attack <= s[0] < t_end]
            result[p.name] = {"before": summary(before), "during": summary(during), "dropped": p.dropped}
    finally:
        gwd.terminate()
        result["exit"] = gwd.wait(30)
        log.close()
    with sqlite3.connect(work / "gw.db") as db:
        result["events"] = dict(db.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall())
    return result


def print_figures(r):
    print("hostile load on the IEC 104 and Modbus TCP servers (50 random-byte connections, 200 idle,"
          " 6 slowloris, oversized lengths, %d connect/close cycles, %.1f s)" % (r["connect_close_cycles"],
                                                                                r["attack_s"]))
    for name in ("iec104", "modbus"):
        for phase in ("before", "during"):
            s = r[name][phase]
            print(f"  {name:6} good master {phase:6}: {s['answered']}/{s['polls']} answered"
                  f" ({100 * s['success']:.1f} %), latency median {s['median_ms']:.2f} ms,"
                  f" p99 {s['p99_ms']:.2f} ms, max {s['max_ms']:.2f} ms")
        print(f"  {name:6} good connection dropped {r[name]['dropped']} times")
    print(f"  gwd open fds: {r['fds_before']} before, {r['fds_peak']} at the peak, {r['fds_after']} after;"
          f" RSS {r['rss_before_kib']} KiB before, {r['rss_during_kib']} during, {r['rss_after_kib']} after")
    closed = ", ".join(f"{k} {'closed' if v else 'STILL OPEN'}" for k, v in r["victims_closed"].items())
    print(f"  slot holders after the idle timeout ({IDLE_TIMEOUT:.0f} s): {closed}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        figures = run(" ".join(sys.argv[1:]), d)
    print_figures(figures)
