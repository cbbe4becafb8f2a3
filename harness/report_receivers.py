"""Receivers for report kill tests and the checker that judges what they got.

A Modbus TCP meter whose value counts its own answers (every reading the gateway
ever gets is a different number, so a reading in two reports cannot hide), an
HTTP receiver (http.server in a thread) that records each complete POST, and
parsers that take the report id and the readings out of a JSON, CSV or XML body.
The checker works only from what receivers saw, plus the gateway's store for what
it promised to have (its readings and its highest report id)."""
import http.server
import re
import socketserver
import struct
import threading
import time
import xml.etree.ElementTree as ET
import json


class CountingMeter:
    """Modbus TCP (function 3 only): holding registers 0-1 are a uint32 that
    grows by one with every request. `served` is the last value handed out; the
    answer follows `delay` seconds later (a meter takes its time, and a kill
    then lands in a readout more often)."""

    def __init__(self, delay=0.0):
        meter = self
        self.delay = delay
        self.lock = threading.Lock()
        self.served = 0

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                while True:
                    head = self._read(7)
                    if head is None:
                        return
                    tid, _, length, unit = struct.unpack(">HHHB", head)
                    pdu = self._read(length - 1)
                    if pdu is None:
                        return
                    self.request.sendall(meter.answer(tid, unit, pdu))

            def _read(self, n):
                data = b""
                while len(data) < n:
                    try:
                        chunk = self.request.recv(n - len(data))
                    except OSError:
                        return None
                    if not chunk:
                        return None
                    data += chunk
                return data

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, tid, unit, pdu):
        fc, addr, count = struct.unpack(">BHH", pdu[:5])
        if fc != 3 or addr != 0 or count != 2:
            body = struct.pack(">BB", fc | 0x80, 2)  # illegal data address
        else:
            with self.lock:
                self.served += 1
                value = self.served
            time.sleep(self.delay)
            body = struct.pack(">BBI", 3, 4, value)
        return struct.pack(">HHHB", tid, 0, len(body) + 1, unit) + body

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class HttpReceiver:
    """Records (X-Report-Id, X-Report-Name, body) of every POST it read whole;
    a POST cut short by a killed gateway is not recorded. The 200 follows `delay`
    seconds after recording, so a kill can land between the two: the receiver
    has the report and the gateway sends it again (same id). `port` 0 is the
    kernel's choice; a fixed one lets a gateway try a receiver that is not up yet."""

    def __init__(self, delay=0.0, port=0):
        self.posts = []
        self.delay = delay
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if len(body) != n:
                    return
                receiver.posts.append((self.headers.get("X-Report-Id"),
                                       self.headers.get("X-Report-Name"), body))
                time.sleep(receiver.delay)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---- bodies: (report id in the body, [readings]) ----

def json_readings(body):
    muc = json.loads(body)["muc"]
    values = [int(float(e["VAL"])) for m in muc["meter"] for d in m["data"]
              for e in d["entry"] if "QUALITY" not in e]
    return muc.get("REPORT_ID"), values


def csv_readings(body):
    """CSV with a header (variants 3..9): Value0 of every line; ReportId last."""
    lines = body.decode().splitlines()
    head = lines[0].split(";")
    if head[-1] != "ReportId":
        return None, []
    col = head.index("Value0")
    ids, values = set(), []
    for line in lines[1:]:
        fields = line.split(";")
        ids.add(int(fields[-1]))
        if fields[col]:  # empty: a flagged (not read) value
            values.append(int(float(fields[col])))
    assert len(ids) <= 1, f"one CSV report with the ids {ids}"
    return (ids.pop() if ids else None), values


def xml_readings(body):
    muc = ET.fromstring(body).find("muc")
    rid = muc.get("REPORT_ID")
    values = [int(float(p.text)) for p in muc.iter("parameter") if p.get("NAME") == "VAL"]
    return (int(rid) if rid is not None else None), values


def name_id(name):
    m = re.search(r"_(\d+)\.[a-z]+$", name or "")
    return int(m.group(1)) if m else None


def check_receiver(what, reports, stored, snapshots=False):
    """reports: (id from the name/header/property, body, parser) as received.
    Fails on an id-less report, an id reused for other content, a reading in two
    ids, a stored reading in none (lost) and a reading the store does not have.
    Scheduled reports (snapshots) show the latest reading whenever they fire, so
    for them only the first two and the last apply. Returns the set of report ids."""
    by_id = {}
    for meta_id, body, parse in reports:
        body_id, values = parse(body)
        assert meta_id is not None and body_id is not None, \
            f"{what}: a report without its id (meta {meta_id}, body {body_id}): {body[:200]!r}"
        assert int(meta_id) == int(body_id), f"{what}: id {meta_id} outside, {body_id} inside"
        rid = int(meta_id)
        if rid in by_id:
            assert by_id[rid][0] == body, f"{what}: id {rid} delivered twice with different content"
            continue
        by_id[rid] = (body, values)
    if snapshots:
        shown = {v for _, values in by_id.values() for v in values}
        assert shown <= stored, f"{what}: readings the store does not have: {sorted(shown - stored)[:10]}"
        return set(by_id)
    owner = {}
    for rid, (_, values) in sorted(by_id.items()):
        for v in values:
            assert v not in owner, f"{what}: reading {v} in report {owner[v]} and in report {rid}"
            owner[v] = rid
    lost = sorted(stored - owner.keys())
    assert not lost, f"{what}: {len(lost)} stored readings in no report, e.g. {lost[:10]}"
    extra = sorted(owner.keys() - stored)
    assert not extra, f"{what}: {len(extra)} reported readings the store does not have: {extra[:10]}"
    return set(by_id)
