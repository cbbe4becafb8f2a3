"""A round trip without a test helper (issue 25, docs/replay.md): `hil run --pcapng
F SCENARIO` writes the run's frames, `hil import auto F` turns the file back into a
scenario, and that scenario replays against gwd and passes — for an IEC 104, a
Modbus/TCP and a wired M-Bus scenario. The import's counts (APDUs, ADUs, M-Bus
frames, the packets of the interfaces it does not replay) are compared with
tshark's count of the same file, and the IEC 104 file rewritten by scapy's pcapng
writer in big-endian order with other timestamp resolutions imports to the same
counts and replays too."""
import re
import struct
import subprocess
from collections import Counter
from pathlib import Path

import peers
import pytest
from test_replay import _run

ROOT = Path(__file__).resolve().parent.parent

IEC104 = "scenarios/iec104/interrogation.yaml"
MODBUS = "scenarios/modbus/mbus_to_register_formats.yaml"
MBUS = "scenarios/mbus/single_primary.yaml"
WMBUS = "scenarios/wmbus/t1_c1_s1.yaml"


def _workspace(tmp_path):
    """A scratch repository whose fixtures/ has the repository's fixture folders (the
    bases' telegrams) and its own fixtures/captures/ (what the import writes)."""
    (tmp_path / "fixtures" / "captures").mkdir(parents=True)
    (tmp_path / "scenarios").mkdir()
    for d in (ROOT / "fixtures").iterdir():
        if d.is_dir() and d.name != "captures":
            (tmp_path / "fixtures" / d.name).symlink_to(d)
    return tmp_path


def _tshark_fields(cap, *fields, display=None):
    tshark = peers.program("tshark", "tshark")
    args = [tshark, "-r", str(cap), "-T", "fields", "-E", "separator=|"]
    if display:
        args += ["-Y", display]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines()]


def _record_and_import(hil_setup, ws, scenario, base=True, cap=None):
    """hil run --pcapng, then hil import auto of that file: (file, import text, scenario path)."""
    name = Path(scenario).stem
    if cap is None:
        cap = ws / f"{name}.pcapng"
        rc, text, _ = _run(hil_setup, ["run", "--pcapng", cap, "--workdir", ws / "rec", scenario], ROOT)
        assert rc == 0, text
    out = ws / "scenarios" / f"{name}_replay.yaml"
    args = ["import", "auto", cap, "-o", out] + (["--base", ROOT / scenario] if base else [])
    rc, text, _ = _run(hil_setup, args, ws)
    assert rc == 0, text
    return cap, text, out


def _replay_passes(hil_setup, ws, out):
    rc, text, _ = _run(hil_setup, ["run", "--workdir", ws / "replay", out], ws)
    assert rc == 0, text
    assert re.search(r": PASS, \d+ passed, 0 failed", text), text
    return text


def _counted(text, interface):
    """The import's count of the packets of a not replayed interface."""
    m = re.search(rf"not replayed: pcapng packets of interface {re.escape(interface)} \(.*\): (\d+)\n", text)
    return int(m.group(1)) if m else 0


def _interfaces(cap):
    return Counter(row[0] for row in _tshark_fields(cap, "frame.interface_name"))


def _tcp_interfaces(cap):
    """The interfaces tshark decodes TCP on: what a TCP import replays."""
    return {row[0] for row in _tshark_fields(cap, "frame.interface_name", display="tcp")}


def _iec104_apdus(cap):
    """tshark's APDUs by direction: (from the client, from the server)."""
    cli = srv = 0
    for port, types in _tshark_fields(cap, "tcp.srcport", "iec60870_104.type", display="iec60870_104"):
        n = len([t for t in types.split(",") if t])
        if port == "2404":
            srv += n
        else:
            cli += n
    return cli, srv


def _check_other_interfaces(cap, text, replayed):
    """Every packet of an interface not replayed is counted, as many as tshark sees."""
    seen = _interfaces(cap)
    others = {name: n for name, n in seen.items() if name not in replayed}
    assert others, seen  # a bench file has its notes at least
    for name, n in others.items():
        assert _counted(text, name) == n, (name, n, text)
    assert f"the {sum(others.values())} packets of other interfaces are counted above" in text


def test_iec104_round_trip(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    cap, text, out = _record_and_import(hil_setup, ws, IEC104)
    m = re.search(r"hil import: (\d+) APDUs \((\d+) from the client\(s\), (\d+) from the server\(s\)", text)
    assert m, text
    cli, srv = _iec104_apdus(cap)
    assert (int(m.group(2)), int(m.group(3))) == (cli, srv) and int(m.group(1)) == cli + srv > 0, (cli, srv, text)
    _check_other_interfaces(cap, text, _tcp_interfaces(cap))
    # the replay starts where the recording did: --at from the file's first frame
    epoch_first = float(_tshark_fields(cap, "frame.time_epoch", display="tcp")[0][0])
    at = re.search(r"NOTE --at ([0-9.]+)s: the bench's pcapng has its first frame", text)
    assert at, text
    base_start = 1767225600.0  # interrogation.yaml has no start: 2026-01-01T00:00:00Z
    assert abs(float(at.group(1)) - (epoch_first - base_start)) < 1e-3, (at.group(1), epoch_first)
    _replay_passes(hil_setup, ws, out)


def test_modbus_round_trip(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    cap, text, out = _record_and_import(hil_setup, ws, MODBUS)
    m = re.search(r"hil import: (\d+) ADUs \((\d+) requests, (\d+) answers", text)
    assert m, text
    rows = _tshark_fields(cap, "tcp.dstport", "mbtcp.trans_id", display="mbtcp")
    requests = sum(len(t.split(",")) for port, t in rows if port == "502")
    answers = sum(len(t.split(",")) for port, t in rows if port != "502")
    assert (int(m.group(2)), int(m.group(3))) == (requests, answers) and requests > 0, (rows, text)
    assert int(m.group(1)) == requests + answers
    _check_other_interfaces(cap, text, _tcp_interfaces(cap))
    _replay_passes(hil_setup, ws, out)


def test_wired_mbus_round_trip(hil_setup, tmp_path):
    """No --base: the M-Bus line's frames become emulated slaves and a gateway reading
    them; the direction comes from the packets' flags (outbound: the gateway's)."""
    ws = _workspace(tmp_path)
    cap, text, out = _record_and_import(hil_setup, ws, MBUS, base=False)
    m = re.search(r"hil import: (\d+) frames of ", text)
    assert m, text
    rows = _tshark_fields(cap, "frame.interface_name", "frame.packet_flags_direction")
    bus = [d for name, d in rows if name == "bus1"]
    assert int(m.group(1)) == len(bus) > 0, (rows, text)
    slaves = {r for r in re.findall(r"\{primary: (\d+), telegrams", out.read_text())}
    assert slaves == {"5"}, out.read_text()
    assert "a pcapng has no baud rate for its M-Bus line: 2400 baud taken" in text
    _check_other_interfaces(cap, text, ["bus1"])
    replay = _replay_passes(hil_setup, ws, out)
    assert "PASS  value m005/1 = 54.32" in replay, replay


def test_wireless_mbus_round_trip(hil_setup, tmp_path):
    """The air's telegrams (LINKTYPE_USER1) become a radio replay; the radio modules'
    serial lines (iM871A HCI, USER4) are counted, not replayed."""
    ws = _workspace(tmp_path)
    cap, text, out = _record_and_import(hil_setup, ws, WMBUS, base=False)
    m = re.search(r"hil import: (\d+) telegrams of ", text)
    assert m, text
    seen = _interfaces(cap)
    assert int(m.group(1)) == seen["air"] > 0, (seen, text)
    _check_other_interfaces(cap, text, ["air"])
    replay = _replay_passes(hil_setup, ws, out)
    assert f"{seen['air']} of {seen['air']} telegrams on the air" in replay, replay


def _rewrite_with_scapy(src, dst, tsresol_option, units_per_s):
    """The Ethernet packets of src (read with scapy's pcapng reader) written by scapy's
    pcapng writer in big-endian order with the given if_tsresol."""
    from scapy.utils import RawPcapNgReader, RawPcapNgWriter  # noqa: E402

    class BigEndianWriter(RawPcapNgWriter):
        def __init__(self, filename):
            super().__init__(filename)
            self.endian, self.endian_magic = ">", b"\x1a\x2b\x3c\x4d"
            self.tsresol = units_per_s

        def _write_block_idb(self):
            body = struct.pack(">HHI", 1, 0, 0)
            opts = struct.pack(">HHB3x", 9, 1, tsresol_option) + struct.pack(">HH", 0, 0)
            self.f.write(self.build_block(struct.pack(">I", 1), body, options=opts))

    n = 0
    reader = RawPcapNgReader(str(src))
    pkts = [(data, meta) for data, meta in reader if meta.linktype == 1]
    reader.close()
    w = BigEndianWriter(str(dst))
    for data, meta in pkts:
        ts = ((meta.tshigh << 32) | meta.tslow) / meta.tsresol
        w._write_header(None)
        w._write_block_epb(data, timestamp=ts)
        n += 1
    w.f.close()
    return n


@pytest.mark.parametrize("tsresol_option,units_per_s", [(3, 1000), (0x80 | 20, 2 ** 20)],
                         ids=["ms", "2^-20s"])
def test_big_endian_pcapng_of_scapy_imports_the_same(hil_setup, tmp_path, tsresol_option, units_per_s):
    peers.module("scapy", "python3-scapy")
    ws = _workspace(tmp_path)
    cap, native, _ = _record_and_import(hil_setup, ws, IEC104)
    other = ws / "big_endian.pcapng"
    n = _rewrite_with_scapy(cap, other, tsresol_option, units_per_s)
    assert other.read_bytes()[8:12] == b"\x1a\x2b\x3c\x4d"  # big-endian byte-order magic
    assert len(_tshark_fields(other, "frame.number")) == n > 0
    # not a bench file (scapy wrote it): --at as a foreign capture's, from the native import
    at = re.search(r"NOTE --at ([0-9.]+s)", native).group(1)
    out = ws / "scenarios" / "big_endian.yaml"
    rc, text, _ = _run(hil_setup, ["import", "auto", other, "-o", out, "--base", ROOT / IEC104, "--at", at], ws)
    assert rc == 0, text
    summary = lambda t: re.search(r"hil import: (\d+ APDUs \(.*?\))", t).group(1)  # noqa: E731
    assert summary(text) == summary(native)
    cli, srv = _iec104_apdus(other)
    assert f"{cli + srv} APDUs ({cli} from the client(s), {srv} from the server(s)" in text
    _replay_passes(hil_setup, ws, out)


def test_broken_pcapng_is_read_up_to_the_broken_block(hil_setup, tmp_path):
    """A block length cut in the middle of the file: the packets before it are
    imported, the rest is counted with the offset of the broken block."""
    ws = _workspace(tmp_path)
    cap, native, _ = _record_and_import(hil_setup, ws, MBUS, base=False)
    data = bytearray(cap.read_bytes())
    # the offset of the last packet block, walking the blocks as tshark would
    off, last = 0, None
    while off < len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if btype == 6:
            last = off
        off += blen
    struct.pack_into("<I", data, last + 4, 0x7FFFFFF0)
    broken = ws / "broken.pcapng"
    broken.write_bytes(bytes(data))
    out = ws / "scenarios" / "broken.yaml"
    rc, text, _ = _run(hil_setup, ["import", "auto", broken, "-o", out], ws)
    assert rc == 0, text
    assert f"bad block length (2147483632) at offset {last}" in text, text
    assert f"pcapng octets after a broken block (not read): {len(data) - last}" in text, text
