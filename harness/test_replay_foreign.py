"""Captures made elsewhere (issue 25): nothing of a capture is dropped silently, half
sessions, the radio receiver's per-telegram mode and RSSI, long gaps, wired frames
given to `hex`, interrupted runs, and `--record` storing every kind of answer. Every
capture here is written by the test itself (scapy), and the importer's counts are
compared with an independent count (tshark or scapy) of the same file."""
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import peers
import pytest
from test_replay import MODBUS_BASE, _run, _scratch_copy, _workspace

ROOT = Path(__file__).resolve().parent.parent
IEC104_BASE = "scenarios/iec104/interrogation.yaml"


def _apdu_i(asdu, ns, nr=0):
    return bytes([0x68, len(asdu) + 4, (ns << 1) & 0xFF, ns >> 7, (nr << 1) & 0xFF, nr >> 7]) + asdu


def _u(function):
    return bytes([0x68, 4, function, 0, 0, 0])


def _asdu(type_id, cot, objects, sq=False, negative=False, ca=1):
    """objects: [(ioa, element bytes)]; SQ=1 writes the first IOA only."""
    head = bytes([type_id, (0x80 if sq else 0) | len(objects), cot | (0x40 if negative else 0), 0,
                  ca & 0xFF, ca >> 8])
    if sq:
        return head + objects[0][0].to_bytes(3, "little") + b"".join(e for _, e in objects)
    return head + b"".join(i.to_bytes(3, "little") + e for i, e in objects)


def _tcp_pcap(path, packets):
    """packets: [(t, from_server, session, payload or flags)] as one loopback pcap;
    no SYN unless a packet's payload is the string "S"."""
    from scapy.all import IP, TCP, Ether, Raw  # noqa: E402
    from scapy.utils import wrpcap  # noqa: E402
    seq, out = {}, []
    for t, from_server, session, data in packets:
        cport = 40000 + session
        src, dst = (2404, cport) if from_server else (cport, 2404)
        s = seq.setdefault((src, dst), 5000)
        flags = "S" if data == "S" else "PA"
        p = Ether() / IP(src="127.0.0.1", dst="127.0.0.1") / TCP(sport=src, dport=dst, seq=s, flags=flags)
        if data != "S":
            p = p / Raw(data)
        p.time = t
        out.append(p)
        seq[(src, dst)] = s + (1 if data == "S" else len(data))
    wrpcap(str(path), out)


GARBAGE = b"\x00\xffNOT-IEC104"  # no 0x68 in it: tshark resynchronises after it too


def _foreign_capture(path):
    """Session 1 starts mid-session (no SYN, no STARTDT: the client's first APDU is a
    GI) and has garbage inside the client's stream; session 2 has only the server's
    side: an SQ=1 measurement ASDU, types the bench cannot decode (5, 7, 33), and
    the actcon of a counter interrogation."""
    float_ = lambda v: __import__("struct").pack("<f", v) + b"\x00"  # noqa: E731
    gi = _asdu(100, 6, [(0, b"\x14")])
    gi_con = _asdu(100, 7, [(0, b"\x14")])
    ci_con = _asdu(101, 7, [(0, b"\x05")])
    sq1 = _asdu(13, 3, [(2001, float_(1.5)), (2002, float_(2.5)), (2003, float_(3.5))], sq=True)
    st = _asdu(5, 3, [(3001, b"\x05\x00"), (3002, b"\x06\x00")])
    bo = _asdu(7, 3, [(3101, b"\x01\x02\x03\x04\x00")])
    bo_t = _asdu(33, 3, [(3201, b"\x01\x02\x03\x04\x00" + bytes(7))])
    _tcp_pcap(path, [
        (100.0, False, 1, _apdu_i(gi, 7, 9)),
        (100.1, True, 1, _apdu_i(gi_con, 9, 8)),
        (100.2, True, 1, _apdu_i(sq1, 10, 8)),
        (101.0, False, 1, GARBAGE + _u(0x43)),          # garbage, then TESTFR act
        (101.1, True, 1, _u(0x83)),
        (102.0, True, 2, _apdu_i(ci_con, 0)),
        (102.1, True, 2, _apdu_i(st, 1) + _apdu_i(bo, 2)),
        (102.2, True, 2, _apdu_i(bo_t, 3)),
    ])


def _import(hil_setup, ws, cap, *extra, name="foreign"):
    out = ws / "scenarios" / f"{name}.yaml"
    rc, text, _ = _run(hil_setup, ["import", "pcap", cap, "--base", ROOT / IEC104_BASE, "-o", out,
                                   "--fixtures", ws / "fixtures"] + list(extra), ws)
    return rc, text, out


def test_iec104_foreign_capture_nothing_dropped(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    cap = ws / "foreign.pcap"
    _foreign_capture(cap)
    rc, text, out = _import(hil_setup, ws, cap, "--values")  # its IOAs are not all the base's
    assert rc == 0, text
    sc = out.read_text()
    # mid-session: an implied STARTDT right after the connect, and a NOTE saying so
    assert re.search(r"- \{at: 1s, do: connect\}\n +- \{at: 1s, do: startdt\}  # implied", sc), sc
    assert "session 1: the client's first APDU is not STARTDT act" in text
    # server-only session 2: the counter interrogation its actcon confirms is implied
    assert "session 2: no octets from the client" in text
    assert re.search(r'do: raw, hex: "65 01 06 00 01 00 00 00 00 05"\}  # implied by the server', sc), sc
    # SQ=1: three objects at consecutive IOAs
    for ioa, v in ((2001, 1.5), (2002, 2.5), (2003, 3.5)):
        assert f"type: M_ME_NC_1, cot: spont, ioa: {ioa}, value: {v}, tolerance" in sc
    # types the bench cannot decode: expected by type and cause, their objects counted
    for t, n in ((5, 2), (7, 1), (33, 1)):
        assert f"type: {t}, cot: spont, negative: false, ca: 1" in sc
        assert re.search(rf"not replayed: server objects of type {t} \(M_\w+\), cause spont: expected by type "
                         rf"and cause only: {n}\n", text), text
    # garbage inside the client stream: counted, with its offset and where the cut resumed
    gi_len = len(_apdu_i(_asdu(100, 6, [(0, b"\x14")]), 0))
    assert f"garbage octets in the client stream (not IEC 104; resynchronised): {len(GARBAGE)}" in text
    assert (f"session 1 client stream: {len(GARBAGE)} octets of garbage at offset {gi_len} (capture t=1s), "
            f"resynchronised at offset {gi_len + len(GARBAGE)}") in text
    assert "- {at: 2s, do: testfr}" in sc  # the APDU after the garbage is not lost
    # the summary counts APDUs, and tshark (an independent dissector) counts the same
    m = re.search(r"hil import: (\d+) APDUs \((\d+) from the client\(s\), (\d+) from the server\(s\)", text)
    assert m, text
    tshark = peers.program("tshark", "tshark")
    types = subprocess.run([tshark, "-r", str(cap), "-d", "tcp.port==2404,iec60870_104", "-T", "fields",
                            "-e", "iec60870_104.type"], capture_output=True, text=True, check=True).stdout
    seen = [t for line in types.split() for t in line.split(",") if t]
    assert int(m.group(1)) == len(seen) == 9, (types, text)


def test_iec104_client_only_capture_checks_the_protocol(hil_setup, tmp_path):
    """Only the client's side: a script with protocol checks (STARTDT_CON, actcon and
    actterm of the GI, no close); replayed against gwd these hold."""
    ws = _workspace(tmp_path)
    cap = ws / "client.pcap"
    gi = _asdu(100, 6, [(0, b"\x14")])
    _tcp_pcap(cap, [(10.0, False, 1, "S"), (10.1, False, 1, _u(0x07)), (11.0, False, 1, _apdu_i(gi, 0))])
    rc, text, out = _import(hil_setup, ws, cap, "--at", "21.5s", name="client")
    assert rc == 0, text
    sc = out.read_text()
    assert "no octets from the server (a client-only capture)" in text
    assert "frame: STARTDT_CON, after: 21.6s, before: 22.6s}" in sc
    assert "type: 100, cot: actcon, after: 22.5s, before: 23.5s, min: 1}" in sc
    assert "type: 100, cot: actterm" in sc and "frame: closed, count: 0}" in sc
    for d in ("mbus", "iec104"):
        (ws / "fixtures" / d).symlink_to(ROOT / "fixtures" / d)
    rc, text, _ = _run(hil_setup, ["run", "--workdir", ws / "run", out], ws)
    assert rc == 0, text
    # the same capture as --protocol-only imports to the same checks
    rc, text, out2 = _import(hil_setup, ws, cap, "--at", "21.5s", "--protocol-only", name="proto")
    assert rc == 0 and "--protocol-only: 4 protocol checks" in out2.read_text(), text


def test_server_only_modbus_capture_says_what_it_lacks(hil_setup, tmp_path):
    """Answers without requests: imported (no false "no TCP payload" message), with
    a NOTE that a Modbus answer does not name its registers."""
    from scapy.all import IP, TCP, Ether, Raw  # noqa: E402
    from scapy.utils import wrpcap  # noqa: E402
    ws = _workspace(tmp_path)
    cap = ws / "answers.pcap"
    adu = bytes.fromhex("0001 0000 0007 01 03 04 4259 48B4".replace(" ", ""))
    pkts = [Ether() / IP() / TCP(sport=502, dport=40001, seq=1 + len(adu) * i, flags="PA") / Raw(adu) for i in range(3)]
    wrpcap(str(cap), pkts)
    out = ws / "scenarios" / "answers.yaml"
    rc, text, _ = _run(hil_setup, ["import", "pcap", cap, "--port", "502", "--base",
                                   ROOT / "scenarios/modbus/mbus_to_register_formats.yaml", "-o", out,
                                   "--fixtures", ws / "fixtures"], ws)
    assert rc == 0, text
    assert "no TCP payload" not in text
    assert "3 answers and no request (a server-only capture)" in text
    assert "not replayed: server answers to no request of the capture (their transaction id unmatched): 3" in text
    assert "hil import: 3 ADUs (0 requests, 3 answers (0 matched to a request))" in text


def _record_keys(side):
    return json.loads(side.read_text())


def test_record_stores_modbus_and_iec104_answers(hil_setup, tmp_path):
    """--record keeps one key per answer a bench master got: Modbus registers,
    exceptions and the answer to another function; IEC 104 frames. A changed
    Modbus answer is then a DIFF."""
    sc = _scratch_copy(tmp_path, "scenarios/replay/modbus_tcp_session.yaml")
    rc, text, _ = _run(hil_setup, ["run", "--record", "--workdir", tmp_path / "r1", sc], tmp_path)
    assert rc == 0, text
    side = sc.parent / "modbus_tcp_session.expected.json"
    rec = _record_keys(side)
    answers = {k: v for k, v in rec.items() if k.startswith("modbus m")}
    assert len(answers) == 12, rec
    assert any("answer fc=3" in v or ("answer" in v and " 03 08 " in v) for v in answers.values()), answers
    assert any(v.split()[1] == "exception" and "exception 2" in v for v in answers.values()), answers
    assert any("exception 1" in v for v in answers.values()), answers  # function 17
    key = sorted(answers)[0]
    rec[key] = rec[key][:-2] + "FF"
    side.write_text(json.dumps(rec))
    rc, text, _ = _run(hil_setup, ["run", "--workdir", tmp_path / "r2", sc], tmp_path)
    assert rc == 1 and f"DIFF  {key}: recorded " in text, text
    (tmp_path / "iec").mkdir()
    sc = _scratch_copy(tmp_path / "iec", "scenarios/replay/iec104_interrogation.yaml")
    rc, text, _ = _run(hil_setup, ["run", "--record", "--workdir", tmp_path / "r3", sc], tmp_path / "iec")
    assert rc == 0, text
    frames = [k for k in _record_keys(sc.parent / "iec104_interrogation.expected.json") if k.startswith("iec104 m1 frame")]
    assert len(frames) >= 34


def test_diff_lines_escape_control_and_binary_bytes(hil_setup, tmp_path):
    sc = _scratch_copy(tmp_path, "scenarios/mbus/corrupt_checksum.yaml")
    rc, text, _ = _run(hil_setup, ["run", "--record", "--workdir", tmp_path / "r1", sc], tmp_path)
    assert rc == 0, text
    side = sc.parent / "corrupt_checksum.expected.json"
    rec = json.loads(side.read_text())
    rec["meter water1 record 1 (volume, m3)"] = "\u0001\u001b[2J\u00e9"
    side.write_text(json.dumps(rec))
    rc, text, _ = _run(hil_setup, ["run", "--workdir", tmp_path / "r2", sc], tmp_path)
    assert rc == 1
    assert "DIFF  meter water1 record 1 (volume, m3): recorded \\x01\\x1B[2J\u00e9, now 54.321" in text


def _rtl_capture(hil_setup, ws):
    rc, text, _ = _run(hil_setup, ["radio-capture", "--meters", "4", "--hours", "1", "--interval", "600",
                                   "--seed", "3", "-o", "r.rtl"], ws)
    assert rc == 0, text
    lines = (ws / "r.rtl").read_text().splitlines()
    return [l for l in lines if l.split(";")[1] == "1"]  # CRC ok only


def test_rtl_wmbus_c1_and_t1_lines_and_weak_rssi(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    lines = _rtl_capture(hil_setup, ws)
    mixed = [("C1" + l[2:]) if i % 3 == 0 else l for i, l in enumerate(lines)]
    f = mixed[1].split(";")
    f[4] = "117"  # -117 dBm: below the emulated module's -110
    mixed[1] = ";".join(f)
    (ws / "mixed.rtl").write_text("\n".join(mixed) + "\n")
    rc, text, _ = _run(hil_setup, ["import", "rtl-wmbus", "mixed.rtl", "-o", "scenarios/mixed.yaml"], ws)
    assert rc == 0, text
    sc = (ws / "scenarios" / "mixed.yaml").read_text()
    fixture = (ws / "fixtures" / "captures" / "mixed.radio.hex").read_text().splitlines()[1:]
    c1 = sum(1 for l in mixed if l.startswith("C1;"))
    assert sum(1 for l in fixture if " mode=C1 " in l) == c1 > 0
    assert "default_mode: CT" in sc and "link_mode: CT" in sc and "      mode: T1\n" in sc
    assert " -117 " not in "\n".join(fixture) and "1 telegrams received at -111 dBm" in text
    rc, text, _ = _run(hil_setup, ["run", "--workdir", ws / "run", "scenarios/mixed.yaml"], ws)
    assert rc == 0, text
    assert f"PASS  radio replay: {len(lines)} of {len(lines)} telegrams on the air" in text


def test_one_year_gap_is_noted_and_an_interrupted_run_says_so(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    tg = "1844A5110200003001077A000000000413D0070000025B0C00"
    (ws / "gap.log").write_text(f"2025-01-01T00:00:00Z -60 {tg}\n2026-01-01T00:00:00Z -60 {tg}\n")
    rc, text, _ = _run(hil_setup, ["import", "hex", "gap.log", "-o", "scenarios/gap.yaml"], ws)
    assert rc == 0, text
    assert "NOTE 1 quiet stretch(es) over an hour, the longest 8760.0 h (365.0 days)" in text
    assert "give --compress-idle 60s" in (ws / "scenarios" / "gap.yaml").read_text()
    rc, text, _ = _run(hil_setup, ["import", "hex", "gap.log", "--compress-idle", "60s", "-o", "scenarios/short.yaml"], ws)
    assert rc == 0 and "quiet stretch" not in text and "duration: 65s" in (ws / "scenarios" / "short.yaml").read_text()
    # the year-long scenario, killed as a timeout would: its own verdict and exit status
    env = dict(os.environ, HIL_GWD=hil_setup.gwd)
    proc = subprocess.Popen([str(hil_setup.hil), "run", "--workdir", str(ws / "run"), "scenarios/gap.yaml"], cwd=ws,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=60)[0].decode("utf-8", "replace")
    assert proc.returncode == 3, out
    assert re.search(r"FAIL  interrupted at t=[0-9.]+s of 31536005\.000s by SIGTERM", out), out
    assert "INTERRUPTED" in out and "hil: interrupted" in out


def test_wired_frames_given_to_hex(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    frame = (ROOT / "fixtures" / "captures" / "mbus_water_socat_a005.hex").read_text().splitlines()[1].replace(" ", "")
    radio = "1844A5110200003001077A000000000413D0070000025B0C00"
    (ws / "wired.log").write_text(f"0 {frame}\n10 {frame}\n")
    rc, text, _ = _run(hil_setup, ["import", "hex", "wired.log", "-o", "scenarios/wired.yaml"], ws)
    assert rc == 0, text
    assert "NOTE the 2 frames are wired M-Bus long frames" in text
    sc = (ws / "scenarios" / "wired.yaml").read_text()
    assert "primary: 5" in sc and "wmbus" not in sc
    (ws / "mixed.log").write_text(f"0 {radio}\n10 {frame}\n")
    rc, text, _ = _run(hil_setup, ["import", "hex", "mixed.log", "-o", "scenarios/mixed.yaml"], ws)
    assert rc == 1 and "mixed.log:2:1: a wired M-Bus long frame" in text, text


def test_record_stores_modbus_timeouts(hil_setup, tmp_path):
    """--record keeps a request the gateway left unanswered (RTU: another unit, a
    broadcast) as a timeout key; an answer where a timeout was recorded, and a timeout
    where an answer was, are each a DIFF on that key."""
    sc = _scratch_copy(tmp_path, "scenarios/modbus/rtu_server.yaml")
    rc, text, _ = _run(hil_setup, ["run", "--record", "--workdir", tmp_path / "r1", sc], tmp_path)
    assert rc == 0, text
    side = sc.parent / "rtu_server.expected.json"
    rec = _record_keys(side)
    timeouts = {k: v for k, v in rec.items() if k.startswith("modbus scada_rtu answer") and " timeout " in v}
    assert sorted(v.split(" ", 1)[1] for v in timeouts.values()) == ["timeout fc=3 u=0 a=10 n=4",
                                                                     "timeout fc=3 u=4 a=10 n=4"], rec
    key = next(k for k, v in timeouts.items() if "u=4" in v)
    now = rec[key]
    rec[key] = now.replace("timeout", "answer") + " rtu 04 03 08 00 00 00 00 00 00 00 00 00 00"
    side.write_text(json.dumps(rec))
    rc, text, _ = _run(hil_setup, ["run", "--workdir", tmp_path / "r2", sc], tmp_path)
    assert rc == 1 and f"DIFF  {key}: recorded {rec[key]}, now {now}" in text, text
    # the gateway's answer (exception 2 to unit 3) becomes a timeout (unit 5 is not served)
    rec = _record_keys(side)
    side.unlink()
    sc.write_text(sc.read_text().replace("{at: 4s, unit: 3, bank: holding, address: 20, count: 1}",
                                         "{at: 4s, unit: 5, bank: holding, address: 20, count: 1}"))
    rc, text, _ = _run(hil_setup, ["run", "--record", "--workdir", tmp_path / "r3", sc], tmp_path)
    side.write_text(json.dumps(rec))
    rc, text, _ = _run(hil_setup, ["run", "--workdir", tmp_path / "r4", sc], tmp_path)
    exc = next(k for k, v in rec.items() if "exception 2 fc=3 u=3 a=20" in v)
    assert rc == 1 and re.search(rf"DIFF  {re.escape(exc)}: recorded .*exception 2.*, now t=[0-9.]+s timeout fc=3 u=5",
                                 text), text


def test_foreign_rtu_is_checked_by_protocol_with_the_right_negative_causes(hil_setup, tmp_path):
    """A capture of another vendor's RTU (common address 7, its own IOAs): imported
    --protocol-only by itself, with a NOTE; the recorded client's commands are checked
    for what the standard demands of the base's gateway: another CA refused with
    unknown_ca (the broadcast GI accepted), an unmapped IOA with unknown_ioa, a read of
    a mapped IOA answered with cause req. Replayed against gwd, every check holds."""
    ws = _workspace(tmp_path)
    cap = ws / "rtu7.pcap"
    gi7 = _asdu(100, 6, [(0, b"\x14")], ca=7)
    gi_all = _asdu(100, 6, [(0, b"\x14")], ca=0xFFFF)
    rd7 = _asdu(102, 5, [(5555, b"")], ca=7)
    rd_act = _asdu(102, 6, [(1002, b"")], ca=1)  # a read has cause req, not act
    sc_unknown = _asdu(45, 6, [(9999, b"\x01")], ca=1)
    rd_mapped = _asdu(102, 5, [(1002, b"")], ca=1)
    val = __import__("struct").pack("<f", 4.5) + b"\x00"
    _tcp_pcap(cap, [
        (10.0, False, 1, "S"), (10.1, False, 1, _u(0x07)), (10.2, True, 1, _u(0x0B)),
        (11.0, False, 1, _apdu_i(gi7, 0)),
        (11.1, True, 1, _apdu_i(_asdu(100, 7, [(0, b"\x14")], ca=7), 0, 1)),
        (11.2, True, 1, _apdu_i(_asdu(13, 20, [(100, val), (101, val)], ca=7), 1, 1)),
        (12.0, False, 1, _apdu_i(gi_all, 1, 2)),
        (13.0, False, 1, _apdu_i(rd7, 2, 2)),
        (14.0, False, 1, _apdu_i(sc_unknown, 3, 2)),
        (15.0, False, 1, _apdu_i(rd_mapped, 4, 2)),
        (16.0, False, 1, _apdu_i(rd_act, 5, 2)),
    ])
    rc, text, out = _import(hil_setup, ws, cap, "--at", "21.5s", name="rtu7")
    assert rc == 0, text
    assert re.search(r"NOTE the capture's server is not the --base's: of its 1 monitor ASDUs 1 have another common "
                     r"address \(first 7; the base's is 1\) and 1 an IOA the base does not map \(first 100\): "
                     r"imported --protocol-only", text), text
    sc = out.read_text()
    assert "# --protocol-only:" in sc
    for t, cause in ((100, "unknown_ca"), (102, "unknown_ca"), (45, "unknown_ioa"), (102, "unknown_cot")):
        assert re.search(rf"type: {t}, cot: {cause}, negative: true, after: ", sc), (t, cause, sc)
    assert "type: 100, cot: actcon, after: 23.5s" in sc and "type: 100, cot: actterm, after: 23.5s" in sc
    assert "{master: m1, cot: req, ioa: 1002, after: 26.5s" in sc
    assert "not replayed: server objects not compared (--protocol-only): 3" in text  # the actcon and 2 values
    for d in ("mbus", "iec104"):
        (ws / "fixtures" / d).symlink_to(ROOT / "fixtures" / d)
    rc, text, _ = _run(hil_setup, ["run", "--workdir", ws / "run", out], ws)
    assert rc == 0, text
    # --values keeps the value expectations (which then fail: IOA 100 is not gwd's)
    rc, text, out = _import(hil_setup, ws, cap, "--at", "21.5s", "--values", name="rtu7v")
    assert rc == 0 and "protocol-only" not in text and "ioa: 100, value: 4.5" in out.read_text(), text


def _cp56(ms):
    return (ms % 60000).to_bytes(2, "little") + bytes([0, 0, 1, 1, 26])  # minute, hour 0, 1 Jan 2026


def _foreign_rtu_with_values(path):
    """Another vendor's RTU at common address 7: a GI answered with floats (SQ=0), scaled
    values (SQ=1) and a normalised one, a counter interrogation, spontaneous
    time-tagged single points and an ASDU of a type gwd cannot map (M_ST_NA_1)."""
    import struct
    f = lambda v: struct.pack("<f", v) + b"\x00"  # noqa: E731
    gi, ci = _asdu(100, 6, [(0, b"\x14")], ca=7), _asdu(101, 6, [(0, b"\x05")], ca=7)
    _tcp_pcap(path, [
        (50.0, False, 1, "S"), (50.1, False, 1, _u(0x07)), (50.2, True, 1, _u(0x0B)),
        (51.0, False, 1, _apdu_i(gi, 0)),
        (51.1, True, 1, _apdu_i(_asdu(100, 7, [(0, b"\x14")], ca=7), 0, 1)),
        (51.2, True, 1, _apdu_i(_asdu(13, 20, [(100, f(12.5)), (101, f(-3.25))], ca=7), 1, 1)),
        (51.3, True, 1, _apdu_i(_asdu(11, 20, [(200, (1234).to_bytes(2, "little", signed=True) + b"\x00"),
                                               (201, (-7).to_bytes(2, "little", signed=True) + b"\x00"),
                                               (202, (0).to_bytes(2, "little") + b"\x00")], sq=True, ca=7), 2, 1)),
        (51.4, True, 1, _apdu_i(_asdu(9, 20, [(250, (16384).to_bytes(2, "little") + b"\x00")], ca=7), 3, 1)),
        (51.5, True, 1, _apdu_i(_asdu(100, 10, [(0, b"\x14")], ca=7), 4, 1)),
        (52.0, False, 1, _apdu_i(ci, 1, 5)),
        (52.1, True, 1, _apdu_i(_asdu(101, 7, [(0, b"\x05")], ca=7), 5, 2)),
        (52.2, True, 1, _apdu_i(_asdu(15, 37, [(400, (987654).to_bytes(4, "little") + b"\x00")], ca=7), 6, 2)),
        (52.3, True, 1, _apdu_i(_asdu(101, 10, [(0, b"\x05")], ca=7), 7, 2)),
        (53.0, True, 1, _apdu_i(_asdu(30, 3, [(300, b"\x01" + _cp56(53000))], ca=7), 8, 2)),
        (53.5, True, 1, _apdu_i(_asdu(5, 3, [(500, b"\x05\x00")], ca=7), 9, 2)),
    ])


def test_derive_base_serves_what_the_foreign_rtu_sent(hil_setup, tmp_path):
    """--derive-base: a base scenario whose gateway has the capture's common address
    and IOAs, fed by emulated meters holding the recorded values; the replay against
    it compares every value the foreign RTU sent with gwd's, and passes; a changed
    value in a derived meter is then a FAIL naming the IOA."""
    ws = _workspace(tmp_path)
    cap = ws / "rtu.pcap"
    _foreign_rtu_with_values(cap)
    out = ws / "scenarios" / "rtu.yaml"
    rc, text, _ = _run(hil_setup, ["import", "pcap", cap, "--derive-base", "--at", "2s", "-o", out,
                                   "--fixtures", ws / "fixtures"], ws)
    assert rc == 0, text
    base = (ws / "scenarios" / "rtu.base.yaml").read_text()
    assert "common_address: 7" in base and "timestamps: true" in base
    for t, ioa in (("M_ME_NC_1", 100), ("M_ME_NC_1", 101), ("M_ME_NB_1", 200), ("M_ME_NB_1", 202),
                   ("M_ME_NA_1", 250), ("M_SP_NA_1", 300), ("M_IT_NA_1", 400)):
        assert re.search(rf"type: {t}, point: d1/\d+, ioa: {ioa}, push: always", base), (t, ioa, base)
    assert "ioa: 500" not in base
    assert "NOTE --derive-base:" in text and "serves common address 7 and 8 IOAs from 1 emulated meter(s)" in text
    assert "server objects of type 5 (M_ST_NA_1): not served by the derived base (gwd maps no such type): 1" in text
    sc = out.read_text()
    assert "protocol-only" not in sc
    for ioa, v in ((100, "12.5"), (101, "-3.25"), (200, "1234"), (201, "-7"), (250, "0.5"), (400, "987654")):
        assert re.search(rf"ioa: {ioa}, value: {v}\b", sc), (ioa, v, sc)
    assert "type: M_SP_TB_1, cot: spont, ioa: 300, value: 1}  # at any time (derived base)" in sc
    rc, text, _ = _run(hil_setup, ["run", "--workdir", ws / "run", out], ws)
    assert rc == 0, text
    rc, text, _ = _run(hil_setup, ["run", "--workdir", ws / "run-base", ws / "scenarios" / "rtu.base.yaml"], ws)
    assert rc == 0, text
    # the gateway's value differs from the foreign RTU's: the replay says where
    hexf = ws / "fixtures" / "rtu.derived1.hex"
    lines = hexf.read_text().splitlines()
    frame = bytes.fromhex(lines[1].replace(" ", ""))
    import struct
    first = frame[19:25]
    assert first[:2] == b"\x05\x16" and struct.unpack("<f", first[2:])[0] == 12.5  # IOA 100, the first record
    frame = frame[:21] + struct.pack("<f", 13.5) + frame[25:]
    frame = frame[:-2] + bytes([sum(frame[4:-2]) & 0xFF]) + frame[-1:]
    hexf.write_text(lines[0] + "\n" + " ".join(f"{b:02X}" for b in frame) + "\n")
    rc, text, _ = _run(hil_setup, ["run", "--workdir", ws / "run2", out], ws)
    assert rc == 1, text
    fails = [l for l in text.splitlines() if l.startswith("FAIL")]
    assert fails and all("ioa=100" in l for l in fails), fails


def test_modbus_capture_of_another_server_is_checked_by_protocol(hil_setup, tmp_path):
    """The committed Modbus session against a base that maps only the floats (holding
    0..23): the recorded server answered reads the base does not serve, so the import
    checks the protocol by itself, with a NOTE: exception 02 for unmapped registers,
    an answer for mapped ones, 01 for an unknown function; replayed against gwd, every
    check holds. --values keeps the value expectations."""
    base = tmp_path / "floats_only.yaml"
    text = (ROOT / MODBUS_BASE).read_text()
    start, end = text.index("      - label: integers"), text.index("expect:")
    base.write_text(text[:start] + text[end:].split("expect:")[0] + "expect: []\n")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "mbus").symlink_to(ROOT / "fixtures" / "mbus")
    out = tmp_path / "proto.yaml"
    rc, text, _ = _run(hil_setup, ["import", "pcap", ROOT / "fixtures/captures/modbus_tcp_session.pcapng", "--base",
                                   base, "--at", "8s", "-o", out, "--fixtures", tmp_path / "fixtures"], tmp_path)
    assert rc == 0, text
    assert re.search(r"NOTE the capture's server is not the --base's: it answered a read of unit \d+, address \d+, "
                     r"which the base does not serve: imported --protocol-only", text), text
    sc = out.read_text()
    assert "# --protocol-only:" in sc and "registers:" not in sc
    assert re.search(r"function: 3, address: 24, exception: 2, after: ", sc), sc
    assert re.search(r"function: 3, address: 0, after: ", sc), sc  # the floats: an answer
    assert re.search(r"function: 17, exception: 1, after: ", sc), sc
    assert "not replayed: server answers not compared (--protocol-only): 12" in text
    assert "client requests not checked (--protocol-only: writes and device identification" in text
    rc, text, _ = _run(hil_setup, ["run", "--workdir", tmp_path / "run", out], tmp_path)
    assert rc == 0, text
    rc, text, _ = _run(hil_setup, ["import", "pcap", ROOT / "fixtures/captures/modbus_tcp_session.pcapng", "--base",
                                   base, "--at", "8s", "--values", "-o", tmp_path / "v.yaml", "--fixtures",
                                   tmp_path / "fixtures"], tmp_path)
    assert rc == 0 and "protocol-only" not in text and "registers:" in (tmp_path / "v.yaml").read_text(), text
