"""Independent checks of every APDU the gateway sends in the IEC 104 scenarios.

The scenarios under scenarios/iec104/ run once through `hil` (run directories
kept); the APDUs the gateway sent, as recorded in each trace.jsonl, are then
  - written to a pcap (loopback IPv4/TCP built with scapy, sequence numbers
    counted per direction) and dissected by tshark's IEC 60870-5-104 dissector:
    no malformed packet and no expert error may appear;
  - decoded by scapy's IEC 104 layer (scapy.contrib.scada.iec104), which must
    agree with the bench's own decoding (type, cause, P/N, common address, IOA,
    value, quality) and satisfy the scenario's `iec104` value expectations.
Runs with Debian's /usr/bin/python3 packages: python3-scapy, tshark, python3-yaml.
"""
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

import peers  # noqa: E402

scapy_iec104 = peers.module("scapy.contrib.scada.iec104", "python3-scapy", module_level=True)
from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios" / "iec104").glob("*.yaml"))
TYPE_NAMES = {1: "M_SP_NA_1", 3: "M_DP_NA_1", 9: "M_ME_NA_1", 11: "M_ME_NB_1", 13: "M_ME_NC_1",
              15: "M_IT_NA_1", 30: "M_SP_TB_1", 31: "M_DP_TB_1", 34: "M_ME_TD_1",
              35: "M_ME_TE_1", 36: "M_ME_TF_1", 37: "M_IT_TB_1", 45: "C_SC_NA_1",
              46: "C_DC_NA_1", 58: "C_SC_TA_1", 59: "C_DC_TA_1", 70: "M_EI_NA_1",
              100: "C_IC_NA_1", 101: "C_CI_NA_1", 102: "C_RD_NA_1", 103: "C_CS_NA_1"}
COT_NAMES = {"per": 1, "back": 2, "spont": 3, "init": 4, "req": 5, "act": 6, "actcon": 7,
             "deact": 8, "deactcon": 9, "actterm": 10, "inrogen": 20, "reqcogen": 37,
             "unknown_type": 44, "unknown_cot": 45, "unknown_ca": 46, "unknown_ioa": 47}
COT_NAMES.update({f"inro{g}": 20 + g for g in range(1, 17)})
COT_NAMES.update({f"reqco{g}": 37 + g for g in range(1, 5)})


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """Run every IEC 104 scenario once; {scenario path: run directory}."""
    hil_setup = request.config._hil
    if not SCENARIOS:
        pytest.skip("no IEC 104 scenarios")
    base = tmp_path_factory.mktemp("iec104_runs")
    env = {"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"}
    subprocess.run([str(hil_setup.hil), "run", "--keep", "--workdir", str(base)]
                   + [str(s) for s in SCENARIOS], env=env, cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, timeout=hil_setup.timeout * len(SCENARIOS))
    return {s: base / s.stem for s in SCENARIOS}


IEC104_PORT = 2404


def gateway_apdus(run_dir):
    """(t_ns, master, server port, client port, bytes, bench's description) of every APDU
    the gateway sent, and of every master's APDU (for a complete TCP stream)."""
    ports, out, connections = {}, [], 0
    for line in (run_dir / "trace.jsonl").read_text().splitlines():
        r = json.loads(line)
        if not r["ch"].startswith("iec104:"):
            continue
        # The trace names no ports (they differ from run to run and would break
        # byte-identical replays): each connection gets the IEC 104 server port and a
        # client port of its own in the pcap.
        if r.get("event", "") == "connected":
            ports[r["ch"]] = (IEC104_PORT, 40000 + connections)
            connections += 1
        elif r["dir"] in ("gw>bus", "bus>gw") and r.get("hex") and r["ch"] in ports:
            out.append((r["t_ns"], r["ch"][7:], *ports[r["ch"]], r["dir"] == "gw>bus",
                        bytes.fromhex(r["hex"].replace(" ", "")), r.get("event", "")))
    return out


def write_pcap(apdus, path):
    seq = {}
    pkts = []
    for t_ns, _, sport, cport, from_gw, data, _ in apdus:
        src, dst = (sport, cport) if from_gw else (cport, sport)
        s = seq.setdefault((src, dst), 1000)
        a = seq.setdefault((dst, src), 1000)
        p = Ether() / IP(src="127.0.0.1", dst="127.0.0.1") / TCP(sport=src, dport=dst, seq=s,
                                                                  ack=a, flags="PA") / Raw(data)
        p.time = t_ns / 1e9
        pkts.append(p)
        seq[(src, dst)] = s + len(data)
    wrpcap(str(path), pkts)


def scapy_objects(data):
    """(type, cot, negative, ca, [(ioa, value, quality byte)]) or None for S/U frames."""
    p = scapy_iec104.IEC104_APDU(data)
    if not hasattr(p, "type_id"):
        return None
    objs = []
    for io in p.io:
        f = io.fields
        value = next((f[k] for k in ("spi_value", "dpi_value", "normed_value", "scaled_value",
                                     "counter_value", "scs", "dcs", "qoi", "coi")
                      if k in f), None)
        if "rqt" in f:
            value = f["rqt"] | f["frz"] << 6
        q = sum(bit for key, bit in (("iv", 0x80), ("nt", 0x40), ("sb", 0x20), ("bl", 0x10),
                                     ("ov", 0x01)) if f.get(key))
        if "counter_value" in f:  # BCR: IV CA CY
            q = (0x80 if f.get("iv") else 0) | (0x40 if f.get("ca") else 0) | \
                (0x20 if f.get("cy") else 0)
        objs.append((f["information_object_address"], value, q))
    return p.type_id, p.cot, p.ack == 1, p.common_asdu_address, objs


def scapy_header(data):
    """(type, cot, negative, ca) of an I frame whose objects may not decode."""
    p = scapy_iec104.IEC104_APDU(data)
    return p.type_id, p.cot, p.ack == 1, p.common_asdu_address


def bench_objects(event):
    """The same from the bench's description, e.g.
    "I(1,0) M_ME_NC_1 spont ca=1 ioa=1001 12.5 q=00"."""
    m = re.match(r"I\(\d+,\d+\) (\S+) (\S+)( neg)? ca=(\d+)(.*)", event)
    type_name, cot, neg, ca, rest = m.groups()
    objs = [(int(i), v, int(q, 16) if q else None)
            for i, v, q in re.findall(r"ioa=(\d+)(?: (-?[\d.e+-]+|qualifier=\d+))?"
                                      r"(?:[^q]*?q=([0-9A-F]{2}))?", rest)]
    return type_name, cot, bool(neg), int(ca), objs


def parse_duration(text):
    text = str(text)
    for unit, scale in (("ms", 1e6), ("us", 1e3), ("s", 1e9), ("m", 60e9), ("h", 3600e9)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text) * 1e9


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_tshark_dissects_without_errors(runs, scenario, tmp_path):
    tshark = peers.program("tshark", "tshark")
    apdus = gateway_apdus(runs[scenario])
    assert apdus, "the scenario exchanged no APDU"
    pcap = tmp_path / f"{scenario.stem}.pcap"
    write_pcap(apdus, pcap)
    port = apdus[0][2]
    decode_as = ["-d", f"tcp.port=={port},iec60870_104"]
    # frames tshark finds malformed must be exactly those the bench calls bad ASDUs
    # (a scenario of malformed requests and their mirrored negative confirmations)
    malformed = "_ws.malformed || _ws.expert.severity == error"
    flagged = subprocess.run([tshark, "-r", str(pcap), *decode_as, "-Y", malformed, "-T", "fields",
                              "-e", "frame.number"], capture_output=True, text=True, check=True).stdout.split()
    bad = [str(i + 1) for i, a in enumerate(apdus) if "bad ASDU" in a[6]]
    assert flagged == bad, (flagged, bad)
    good = [a for a in apdus if "bad ASDU" not in a[6]]
    out = subprocess.run([tshark, "-r", str(pcap), *decode_as, "-Y", f"!({malformed})", "-V"],
                         capture_output=True, text=True, check=True).stdout
    assert "Malformed" not in out
    assert "[Expert Info (Error" not in out
    # every other frame was recognised as IEC 104 (one APCI per APDU at least)
    assert out.count("IEC 60870-5-104") >= len(good)
    i_frames = sum(1 for a in good if a[5][2] & 1 == 0)
    assert out.count("IEC 60870-5-101/104 ASDU") == i_frames


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_scapy_agrees_with_the_bench(runs, scenario):
    checked = 0
    for *_, from_gw, data, event in gateway_apdus(runs[scenario]):
        if not from_gw or not event.startswith("I("):
            continue
        if "bad ASDU" in event:  # a mirrored malformed request: the header only
            type_id, cot, neg, ca = scapy_header(data)
            assert (type_id, neg, ca) == (data[6], bool(data[8] & 0x40), data[10] | data[11] << 8), event
            assert cot == data[8] & 0x3F, event
            checked += 1
            continue
        type_id, cot, neg, ca, objs = scapy_objects(data)
        b_type, b_cot, b_neg, b_ca, b_objs = bench_objects(event)
        assert TYPE_NAMES.get(type_id, f"type{type_id}") == b_type, event
        assert COT_NAMES.get(b_cot, -1) == cot, event
        assert (neg, ca) == (b_neg, b_ca), event
        for (ioa, value, q), (b_ioa, b_value, b_q) in zip(objs, b_objs):
            assert ioa == b_ioa, event
            if b_value and not b_value.startswith("qualifier") and value is not None:
                assert abs(float(b_value) - float(value)) <= 1e-6 * max(1, abs(value)), event
            if b_q is not None and type_id < 45:
                assert q == b_q, event
        checked += 1
    assert checked > 0


def object_value(type_id, value):
    return value / 32768.0 if type_id in (9, 34) else value


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_scapy_meets_the_value_expectations(runs, scenario):
    """Each `iec104` expectation naming an IOA and a value, re-counted on scapy's decoding."""
    doc = yaml.safe_load(scenario.read_text())
    apdus = [a for a in gateway_apdus(runs[scenario]) if a[4] and a[6].startswith("I(")]
    for item in doc.get("expect", []):
        ex = item.get("iec104")
        if not ex or "value" not in ex or ex.get("from") == "master":
            continue
        lo = parse_duration(ex.get("after", 0))
        hi = parse_duration(ex["before"]) if "before" in ex else float("inf")
        want_type = ex.get("type")
        want_cot = ex.get("cot")
        tol = float(ex.get("tolerance", 1e-6))
        n = 0
        for t_ns, master, *_, data, _ in apdus:
            if ex.get("master") not in (None, master) or not lo <= t_ns <= hi:
                continue
            type_id, cot, neg, ca, objs = scapy_objects(data)
            if want_type is not None and TYPE_NAMES.get(type_id) != want_type and \
                    str(type_id) != str(want_type):
                continue
            if want_cot is not None and COT_NAMES.get(str(want_cot), want_cot) != cot:
                continue
            if "negative" in ex and bool(ex["negative"]) != neg:
                continue
            for ioa, value, q in objs:
                if "ioa" in ex and ioa != ex["ioa"]:
                    continue
                if value is None or abs(object_value(type_id, value) - float(ex["value"])) > tol:
                    continue
                if "quality" in ex and q != int(str(ex["quality"]), 0):
                    continue
                n += 1
        lo_n = ex.get("count", ex.get("min", 1))
        hi_n = ex.get("count", ex.get("max", 10**9))
        assert lo_n <= n <= hi_n, f"{ex}: scapy counted {n}"
