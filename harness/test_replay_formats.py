"""The capture formats QA has (issue 25): rtl_433 JSON and CSV, wmbusmeters'
telegram lines, hex frames without times, text2pcap hex dumps and pcap/pcapng on
every link type a Linux or BSD capture has (Ethernet, Linux cooked v1 and v2, raw
IP, loopback/null); `auto` detects each, and every line a reader does not import is
counted. Counts are compared with an independent count of the same capture (rtl_433
itself, tshark, text2pcap)."""
import re
import subprocess
from pathlib import Path

import peers
import pytest
from test_replay import _run, _workspace
from test_replay_foreign import ROOT, _apdu_i, _asdu, _foreign_capture, _u

TELEGRAMS = ["1844A5110200003001077A000000000413D0070000025B0C00",
             "1844A5110200003001077A010000000413D1070000025B0C00",
             "1844A5110200003001077A020000000413D2070000025B0C00"]


def _crc(b):
    c = 0
    for x in b:
        c ^= x << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x3D65) if c & 0x8000 else c << 1
            c &= 0xFFFF
    return c ^ 0xFFFF


def _c1_bits(telegram):
    """A C1 frame (format A: a CRC after the first 10 octets and after every 16) behind
    the mode C preamble and sync word, as rtl_433 -y takes demodulated bits."""
    t = bytes.fromhex(telegram)
    out, rest = t[:10] + _crc(t[:10]).to_bytes(2, "big"), t[10:]
    while rest:
        out, rest = out + rest[:16] + _crc(rest[:16]).to_bytes(2, "big"), rest[16:]
    bits = bytes.fromhex("5555543D54CD") + out
    return "{%d}%s" % (len(bits) * 8, bits.hex())


def _rtl_433(fmt, telegram):
    """rtl_433's own output line(s) for a telegram (the independent peer)."""
    rtl = peers.program("rtl_433", "rtl-433")
    out = subprocess.run([rtl, "-R", "104", "-F", fmt, "-y", _c1_bits(telegram)], capture_output=True,
                         text=True, check=True).stdout
    return [l for l in out.splitlines() if l.strip()]


def _import(hil_setup, ws, cap, name, *extra, fmt="auto"):
    rc, text, _ = _run(hil_setup, ["import", fmt, cap, "-o", f"scenarios/{name}.yaml"] + list(extra), ws)
    return rc, text


def _fixture_telegrams(ws, name):
    lines = (ws / "fixtures" / "captures" / f"{name}.radio.hex").read_text().splitlines()[1:]
    return [l.split()[-1] for l in lines]


def _replays(hil_setup, ws, name, n):
    rc, text, _ = _run(hil_setup, ["run", "--workdir", ws / f"run-{name}", f"scenarios/{name}.yaml"], ws)
    assert rc == 0, text
    assert f"PASS  radio replay: {n} of {n} telegrams on the air" in text


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_rtl_433_output_imports_its_wmbus_lines(hil_setup, tmp_path, fmt):
    """rtl_433 decodes C1 frames the test builds; its -F json / -F csv output (with a
    line of another model between) imports to the telegrams that were sent."""
    ws = _workspace(tmp_path)
    lines = []
    for i, t in enumerate(TELEGRAMS):
        out = _rtl_433(fmt, t)
        body = out[1:] if fmt == "csv" else out
        if fmt == "csv" and not lines:
            lines.append(out[0])  # the header, once
        # distinct times: rtl_433 stamps the second it decoded
        lines += [re.sub(r"\d\d\d\d-\d\d-\d\d \d\d:\d\d:\d\d", f"2026-01-01 00:00:{10 * i:02d}", l) for l in body]
        if i == 0:
            lines.append('{"time" : "2026-01-01 00:00:05", "model" : "Acurite-Tower", "id" : 1}' if fmt == "json"
                         else "2026-01-01 00:00:05,,,Acurite-Tower" + "," * (lines[0].count(",") - 3))
    (ws / f"r.{fmt}").write_text("\n".join(lines) + "\n")
    wmbus = sum(1 for l in lines if "Wireless-MBus" in l)
    rc, text = _import(hil_setup, ws, f"r.{fmt}", fmt)
    assert rc == 0, text
    assert f"hil import: {wmbus} telegrams of r.{fmt} (rtl_433)" in text
    assert "capture lines skipped: rtl_433 lines of other models than Wireless-MBus: 1" in text
    if fmt == "csv":
        assert "capture lines skipped: the CSV header: 1" in text
    assert _fixture_telegrams(ws, fmt) == TELEGRAMS
    assert "mode: C1" in (ws / "scenarios" / f"{fmt}.yaml").read_text()
    _replays(hil_setup, ws, fmt, 3)


def test_wmbusmeters_lines(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    t0 = TELEGRAMS[0][:22] + "_" + TELEGRAMS[0][22:]  # wmbusmeters marks the header's end
    (ws / "w.log").write_text(f"# simulation\ntelegram=|{t0}|+0\n"
                              '{"media":"water","meter":"x"}\n'
                              f"telegram=|{TELEGRAMS[1]}|+30\n\ntelegram=|{TELEGRAMS[2]}|\n")
    rc, text = _import(hil_setup, ws, "w.log", "wm")
    assert rc == 0, text
    assert "hil import: 3 telegrams of w.log (wmbusmeters)" in text
    for what in ("comments: 1", "blank: 1", "not a telegram=|...| line (wmbusmeters' other output): 1"):
        assert f"not replayed: capture lines skipped: {what}\n" in text, text
    assert "NOTE 1 telegram lines without +SECONDS: taken 1 s apart" in text
    lines = (ws / "fixtures" / "captures" / "wm.radio.hex").read_text().splitlines()[1:]
    assert [l.split()[0] for l in lines] == ["0.000000000", "30.000000000", "31.000000000"]
    assert _fixture_telegrams(ws, "wm") == TELEGRAMS
    _replays(hil_setup, ws, "wm", 3)


def test_frames_without_times_radio_and_wired(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    (ws / "radio.txt").write_text("\n".join(" ".join(t[i:i + 2] for i in range(0, len(t), 2)) for t in TELEGRAMS)
                                  + "\n")
    rc, text = _import(hil_setup, ws, "radio.txt", "fr")
    assert rc == 0 and "(frames)" in text and "NOTE the capture has no times: its 3 frames are taken 1 s apart" in text
    assert _fixture_telegrams(ws, "fr") == TELEGRAMS
    _replays(hil_setup, ws, "fr", 3)
    wired = (ROOT / "fixtures" / "captures" / "mbus_water_socat_a005.hex").read_text().splitlines()[1]
    (ws / "wired.hex").write_text(f"# a libmbus test frame\n{wired}\n")
    rc, text = _import(hil_setup, ws, "wired.hex", "wired")
    assert rc == 0 and "NOTE the 1 frames are wired M-Bus long frames" in text, text
    assert "not replayed: capture lines skipped: comments: 1" in text
    assert "primary: 5" in (ws / "scenarios" / "wired.yaml").read_text()
    (ws / "bad.txt").write_text(f"{TELEGRAMS[0]}\n18 44 ZZ\n")
    rc, text = _import(hil_setup, ws, "bad.txt", "bad", fmt="frames")
    assert rc == 1 and "bad.txt:2:1: a frame of hex digits expected" in text


def _iec104_import(hil_setup, ws, cap, name, *extra):
    out = ws / "scenarios" / f"{name}.yaml"
    rc, text, _ = _run(hil_setup, ["import", "auto", cap, "--base", ROOT / "scenarios/iec104/interrogation.yaml",
                                   "-o", out, "--fixtures", ws / "fixtures"] + list(extra), ws)
    assert rc == 0, text
    return text, out.read_text().replace(str(cap), "CAPTURE")


def _tshark_apdus(cap):
    tshark = peers.program("tshark", "tshark")
    types = subprocess.run([tshark, "-r", str(cap), "-d", "tcp.port==2404,iec60870_104", "-T", "fields",
                            "-e", "iec60870_104.type"], capture_output=True, text=True, check=True).stdout
    return len([t for line in types.split() for t in line.split(",") if t])


def _relinked(cap, kind):
    """The capture's IP packets behind another link layer (scapy)."""
    from scapy.all import IP, CookedLinux, CookedLinuxV2, Loopback, rdpcap  # noqa: E402
    out = []
    for p in rdpcap(str(cap)):
        ip = p[IP]
        q = {"sll": lambda: CookedLinux(proto=0x0800) / ip, "sll2": lambda: CookedLinuxV2(proto=0x0800) / ip,
             "null": lambda: Loopback(type=2) / ip, "raw": lambda: ip}[kind]()
        q.time = p.time
        out.append(q)
    return out


@pytest.mark.parametrize("kind,linktype", [("sll", 113), ("sll2", 276), ("null", 0), ("raw", 101)])
def test_pcap_link_types_give_the_ethernet_scenario(hil_setup, tmp_path, kind, linktype):
    from scapy.utils import wrpcap  # noqa: E402
    ws = _workspace(tmp_path)
    eth = ws / "eth.pcap"
    _foreign_capture(eth)
    _, want = _iec104_import(hil_setup, ws, eth, "eth")
    for writer, ext in ((wrpcap, "pcap"), (None, "pcapng")):
        cap = ws / f"{kind}.{ext}"
        if writer is wrpcap:
            wrpcap(str(cap), _relinked(eth, kind), linktype=linktype)
        else:  # Wireshark's editcap makes the pcapng (scapy's writer guesses link types)
            editcap = peers.program("editcap", "tshark")
            subprocess.run([editcap, "-F", "pcapng", str(ws / f"{kind}.pcap"), str(cap)], check=True)
        text, got = _iec104_import(hil_setup, ws, cap, f"{kind}-{ext}")
        assert "not IPv4" not in text and "link type" not in text, text
        assert got == want, (kind, ext)
        assert f"hil import: {_tshark_apdus(cap)} APDUs" in text


def test_unknown_link_type_is_counted_by_name(hil_setup, tmp_path):
    from scapy.all import IP, TCP, Raw  # noqa: E402
    from scapy.utils import wrpcap  # noqa: E402
    ws = _workspace(tmp_path)
    cap = ws / "ppp.pcap"
    pkt = IP(src="127.0.0.1", dst="127.0.0.1") / TCP(sport=40000, dport=2404, flags="PA") / Raw(_u(0x07))
    wrpcap(str(cap), [pkt], linktype=147)  # DLT_USER0
    rc, text, _ = _run(hil_setup, ["import", "pcap", cap, "--base", ROOT / "scenarios/iec104/interrogation.yaml",
                                   "-o", ws / "scenarios" / "x.yaml", "--fixtures", ws / "fixtures"], ws)
    assert rc == 1 and "1 packets, no TCP to or from port 2404 or 502" in text, text


def _hex_dump(cap, with_times):
    """The packets as a Wireshark-style hex dump: offset, 16 octets, the text column."""
    from scapy.all import rdpcap  # noqa: E402
    import datetime
    out = []
    for p in rdpcap(str(cap)):
        if with_times:
            t = datetime.datetime.fromtimestamp(float(p.time), datetime.timezone.utc)
            out.append(t.strftime("%Y-%m-%d %H:%M:%S.%f"))
        raw = bytes(p)
        for off in range(0, len(raw), 16):
            chunk = raw[off:off + 16]
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            out.append(f"{off:04x}  {' '.join(f'{b:02x}' for b in chunk):<47}   {text}")
        out.append("")
    return "\n".join(out) + "\n"


def test_text2pcap_dump_imports_like_the_pcap(hil_setup, tmp_path):
    """A hex dump of the foreign capture (with times) imports to the pcap's scenario;
    text2pcap turns the same dump into a pcap that tshark counts the same APDUs in."""
    ws = _workspace(tmp_path)
    eth = ws / "eth.pcap"
    _foreign_capture(eth)
    text_pcap, want = _iec104_import(hil_setup, ws, eth, "eth")
    dump = ws / "dump.txt"
    lines = _hex_dump(eth, True).splitlines()
    lines.insert(3, "Frame 2: a summary line, as Wireshark's export writes one")
    dump.write_text("\n".join(lines) + "\n")
    text, got = _iec104_import(hil_setup, ws, dump, "dump")
    assert "(text2pcap)" in text
    assert "capture lines skipped: text, not a hex dump line (summaries, dissection): 1" in text
    same = lambda sc: [l.replace("import text2pcap", "import pcap") for l in sc.splitlines()  # noqa: E731
                       if not l.startswith("# not replayed: capture lines skipped: ")]
    assert same(got) == same(want)
    text2pcap = peers.program("text2pcap", "tshark")
    made, plain = ws / "made.pcap", ws / "plain.txt"
    plain.write_text(_hex_dump(eth, True))  # text2pcap takes no summary lines between the bytes
    subprocess.run([text2pcap, "-q", "-t", "%Y-%m-%d %H:%M:%S.", str(plain), str(made)], check=True,
                   capture_output=True)
    n = re.search(r"hil import: (\d+) APDUs", text).group(1)
    assert int(n) == _tshark_apdus(made) == _tshark_apdus(eth)
    # without times: 10 ms apart, said in a NOTE
    dump.write_text(_hex_dump(eth, False))
    text, _ = _iec104_import(hil_setup, ws, dump, "untimed", "--fixtures", ws / "fixtures")
    assert "NOTE 8 packets of the hex dump without a time: taken 10 ms apart" in text, text


def test_socat_and_hex_readers_count_every_line_they_skip(hil_setup, tmp_path):
    ws = _workspace(tmp_path)
    (ws / "r.log").write_text("# receiver\n\n2026-01-01T00:00:00Z -60 %s\n  \n# end\n" % TELEGRAMS[0])
    rc, text = _import(hil_setup, ws, "r.log", "r", fmt="hex")
    assert rc == 0, text
    assert "capture lines skipped: comments: 2\n" in text and "capture lines skipped: blank: 2\n" in text
    lines = (ROOT / "fixtures" / "captures" / "mbus_water_socat.log").read_text().splitlines()
    assert lines[0].split()[3] == "length=5" and lines[1].startswith(" 10 40 05 45 16 ")
    lines[1] = " 10 40 05 45 16 aa bb" + lines[1][15:]  # two octets more than length= says
    (ws / "s.log").write_text("# a socat dump\n" + "\n".join(lines) + "\n")
    rc, text = _import(hil_setup, ws, "s.log", "s", fmt="socat")
    assert rc == 0, text
    assert "capture lines skipped: comments: 1" in text
    assert "socat octets beyond the chunk's length= (not imported): 2" in text
