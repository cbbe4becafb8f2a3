"""The bench for the people who use it (issue 22): Wireshark-readable traces, parallel
runs identical to serial ones, shards that cover the suite exactly once, merged results.

- `hil run --pcapng` of an IEC 104, a Modbus (TCP and RTU) and a DLMS scenario: tshark
  (Debian's, an independent reader) decodes every frame, none is malformed, and the
  scenario's values are in the decoded fields.
- `hil run -j 2` and `-j 1` of the same virtual-time scenarios: the same verdict lines
  and byte-identical traces.
- `hil run --shard K/3 --list` and pytest's `--shard K/3`: every scenario once.
- `hil merge` of two shards' JUnit XML and summaries.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import peers
import scenario_plugin

ROOT = Path(__file__).resolve().parent.parent


def _hil(hil_setup, args, cwd=ROOT):
    env = dict(os.environ, HIL_GWD=hil_setup.gwd, HIL_PROGRESS="plain")
    p = subprocess.run([str(hil_setup.hil)] + [str(a) for a in args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=hil_setup.timeout)
    return p.returncode, p.stdout, p.stderr


def _pcapng(hil_setup, tmp_path, scenario):
    run = tmp_path / "run"
    cap = tmp_path / (Path(scenario).stem + ".pcapng")
    rc, out, err = _hil(hil_setup, ["run", "--workdir", run, "--pcapng", cap, scenario])
    assert rc == 0, out + err
    assert f"pcapng {cap}" in out
    trace = [json.loads(line) for line in (run / "trace.jsonl").read_text().splitlines()]
    return cap, trace


def _tshark(cap, *args):
    tshark = peers.program("tshark", "tshark")
    p = subprocess.run([tshark, "-r", str(cap), *args], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def _frames(trace, prefix=""):
    return [r for r in trace if r["dir"] != "note" and r["hex"] and r["ch"].startswith(prefix)]


def _payloads(recs):
    return sorted(r["hex"].replace(" ", "").lower() for r in recs)


def _no_malformed(cap, n_records):
    summary = _tshark(cap)
    assert "Malformed" not in summary and "malformed" not in summary
    # every trace record is a packet (frames, notes) plus the synthesized handshakes
    assert len(summary.splitlines()) >= n_records


def test_pcapng_iec104(hil_setup, tmp_path):
    cap, trace = _pcapng(hil_setup, tmp_path, "scenarios/iec104/interrogation.yaml")
    _no_malformed(cap, len(trace))
    apdus = _frames(trace, "iec104:")
    assert apdus
    # every APDU the bench traced is one TCP payload decoded as IEC 104
    decoded = _tshark(cap, "-Y", "iec60870_104 && tcp.len > 0", "-T", "fields", "-e", "tcp.payload")
    assert sorted(decoded.split()) == _payloads(apdus)
    values = _tshark(cap, "-Y", "iec60870_asdu.typeid == 36", "-T", "fields",
                     "-e", "iec60870_asdu.ioa", "-e", "iec60870_asdu.float")
    rows = {tuple(line.split("\t")) for line in values.splitlines()}
    assert ("1001", "12.35") in rows, rows  # the scenario's M_ME_TF_1 value at IOA 1001


def test_pcapng_modbus_tcp_and_rtu(hil_setup, tmp_path):
    cap, trace = _pcapng(hil_setup, tmp_path / "tcp", "scenarios/modbus/tcp_meter_formats.yaml")
    _no_malformed(cap, len(trace))
    decoded = _tshark(cap, "-Y", "mbtcp", "-T", "fields", "-e", "tcp.payload")
    assert sorted(decoded.split()) == _payloads(_frames(trace))
    regs = _tshark(cap, "-Y", "mbtcp && modbus.regnum16 == 5", "-T", "fields", "-e", "modbus.regval_uint16")
    assert "230" in regs.split()  # em1/voltage, holding register 5, equals 230 V

    cap, trace = _pcapng(hil_setup, tmp_path / "rtu", "scenarios/modbus/rtu_meter.yaml")
    _no_malformed(cap, len(trace))
    rtu = _tshark(cap, "-Y", "mbrtu", "-T", "fields", "-e", "mbrtu.unit_id", "-e", "modbus.func_code")
    frames = _frames(trace)
    assert len(rtu.splitlines()) == len(frames)
    assert {line.split("\t")[0] for line in rtu.splitlines()} == {str(int(f["hex"][:2], 16)) for f in frames}


def test_pcapng_dlms(hil_setup, tmp_path):
    """tshark 4.0 (Debian 12) has no DLMS dissector: the wrapper's APDUs are TCP payloads
    on port 4059, each exactly a traced frame, and the HDLC line is a user link type."""
    cap, trace = _pcapng(hil_setup, tmp_path / "tcp", "scenarios/dlms/tcp_meters.yaml")
    _no_malformed(cap, len(trace))
    payloads = _tshark(cap, "-Y", "tcp.port == 4059 && tcp.len > 0", "-T", "fields", "-e", "tcp.payload")
    assert sorted(payloads.split()) == _payloads(_frames(trace))
    assert "0100200700ff" in payloads  # the scenario's voltage_l1, OBIS 1-0:32.7.0.255

    cap, trace = _pcapng(hil_setup, tmp_path / "hdlc", "scenarios/dlms/rs485_3_meters.yaml")
    _no_malformed(cap, len(trace))
    user = _tshark(cap, "-Y", "frame.interface_name == \"line1\"", "-T", "fields", "-e", "frame.encap_type")
    assert len(user.splitlines()) == len(_frames(trace, "line1"))
    assert set(user.split()) == {"48"}  # wiretap's USER3 (LINKTYPE 150): not PKTAP, not Ethernet


def test_trace_to_pcapng_same_as_run(hil_setup, tmp_path):
    cap, _ = _pcapng(hil_setup, tmp_path, "scenarios/modbus/rtu_meter.yaml")
    again = tmp_path / "again.pcapng"
    rc, out, err = _hil(hil_setup, ["trace-to-pcapng", tmp_path / "run" / "trace.jsonl", again])
    assert rc == 0, err
    # same packets; the times differ only by the scenario's start, which the trace lacks
    assert _tshark(again, "-T", "fields", "-e", "frame.len") == _tshark(cap, "-T", "fields", "-e", "frame.len")


VIRTUAL = ["scenarios/mbus/collision.yaml", "scenarios/mbus/multi_telegram.yaml",
           "scenarios/modbus/rtu_meter.yaml", "scenarios/iec104/interrogation.yaml",
           "scenarios/dlms/rs485_3_meters.yaml", "scenarios/wmbus/t1_c1_s1.yaml"]


def _verdicts(out, base):
    return [line.replace(str(base), "BASE") for line in out.splitlines() if not line.startswith("time:")]


def test_parallel_same_as_serial(hil_setup, tmp_path):
    runs = {}
    for j in ("1", "2"):
        base = tmp_path / f"j{j}"
        rc, out, err = _hil(hil_setup, ["run", "-j", j, "--keep", "--workdir", base] + VIRTUAL)
        assert rc == 0, out + err
        runs[j] = (base, out, err)
    (b1, o1, e1), (b2, o2, e2) = runs["1"], runs["2"]
    assert _verdicts(o1, b1) == _verdicts(o2, b2)
    for s in VIRTUAL:
        name = Path(s).stem
        assert (b1 / name / "trace.jsonl").read_bytes() == (b2 / name / "trace.jsonl").read_bytes(), name
    # progress as plain lines (stderr is not a terminal), ending at all done
    assert f"hil: progress {len(VIRTUAL)}/{len(VIRTUAL)} done, 0 failed" in e2


def _all_scenarios():
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").rglob("*.yaml")
                  if scenario_plugin._is_scenario(p, ROOT))


def test_shards_cover_every_scenario_once(hil_setup, tmp_path):
    files = _all_scenarios()
    durations = tmp_path / "durations.tsv"
    # a recorded duration table: one heavy scenario; the split must still cover all once
    durations.write_text(f"120.0\t{files[0]}\n" + "".join(f"1.0\t{f}\n" for f in files[1:]))
    for extra in ([], ["--durations", durations]):
        seen = []
        for k in (1, 2, 3):
            rc, out, err = _hil(hil_setup, ["run", "--list", "--shard", f"{k}/3"] + extra + files)
            assert rc == 0, err
            seen += out.split()
            if extra and k == 1:
                assert out.split() == [files[0]]  # the heavy one alone on shard 1
        assert sorted(seen) == files
    # the pytest side (make test SHARD=K/N): the same rule over the test ids
    ids = [f"{f}::{Path(f).stem}" for f in files] + ["harness/test_x.py::test_a", "harness/test_x.py::test_b"]
    parts = [scenario_plugin.shard_split(ids, k, 3, {}) for k in (1, 2, 3)]
    assert sorted(x for p in parts for x in p) == sorted(ids)


def test_pytest_shards_collect_disjoint(hil_setup, tmp_path):
    """pytest --shard K/3 --collect-only over the scenarios: each test in one share."""
    collected = []
    for k in (1, 2, 3):
        p = subprocess.run([sys.executable, "-m", "pytest", "-c", "harness/pytest.ini", "--rootdir=.",
                            "--build", str(hil_setup.build), "--shard", f"{k}/3",
                            "--shard-durations", str(tmp_path / "none.tsv"),
                            "--collect-only", "-q", "scenarios"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PYTHONPATH=str(ROOT / "harness")))
        assert p.returncode == 0, p.stdout + p.stderr
        collected += [line for line in p.stdout.splitlines() if "::" in line]
    assert sorted(collected) == sorted(f"{f}::{Path(f).stem}" for f in _all_scenarios())


def test_merge_shards(hil_setup, tmp_path):
    files = VIRTUAL[:4]
    for k in (1, 2):
        rc, out, err = _hil(hil_setup, ["run", "--shard", f"{k}/2", "--workdir", tmp_path / f"w{k}",
                                        "--junit", tmp_path / f"s{k}.xml", "--summary", tmp_path / f"s{k}.jsonl"]
                            + files)
        assert rc == 0, out + err
    rc, out, err = _hil(hil_setup, ["merge", "-o", tmp_path / "all.xml", "--summary", tmp_path / "all.jsonl",
                                    "--durations", tmp_path / "d.tsv", tmp_path / "s1.xml", tmp_path / "s2.xml",
                                    tmp_path / "s1.jsonl", tmp_path / "s2.jsonl"])
    assert rc == 0, err
    assert "JUnit 4 test(s), 0 failures" in out and "summaries 4 scenario(s), 4 passed" in out
    import xml.etree.ElementTree as ET
    root = ET.parse(tmp_path / "all.xml").getroot()
    assert root.get("tests") == "4"
    assert sorted(c.get("file") for c in root.iter("testcase")) == sorted(files)
    summary = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert sorted(s["file"] for s in summary) == sorted(files)
    assert all(s["verdict"] == "pass" and s["passed"] > 0 for s in summary)
    assert sorted(line.split("\t")[1] for line in (tmp_path / "d.tsv").read_text().splitlines()
                  if not line.startswith("#")) == sorted(files)
