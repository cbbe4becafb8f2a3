"""--derive-base for Modbus/TCP (issue 25, docs/replay.md): a capture of another
vendor's Modbus server (unit 7, holding and input registers, coils, a discrete
input, a read it refused), written here with scapy, becomes a base whose gateway
maps exactly the registers and bits the server answered, with its unit id. gwd
accepts that configuration (`gwd --check-config`), the replay against it compares
every recorded answer register by register and passes, the refused read is
refused by gwd too, and a changed value in a derived meter fails at that address
only. The import's counts are tshark's."""
import os
import re
import struct
import subprocess

import peers
import yaml
from test_replay import _run, _workspace

# (function, address, count, answer): registers (fc 3/4), bits (fc 1/2), or an exception code
READS = [
    (3, 100, 4, [1234, 0xBEEF, 0, 65535]),
    (4, 10, 2, [42, 7]),
    (1, 0, 3, [1, 0, 1]),
    (2, 5, 1, [1]),
    (3, 500, 2, 0x02),
    (3, 100, 2, [1234, 0xBEEF]),  # read again: the same values
]
UNIT = 7


def _pdu(fc, address, count):
    return struct.pack(">BHH", fc, address, count)


def _answer(fc, answer):
    if isinstance(answer, int):
        return bytes([fc | 0x80, answer])
    if fc <= 2:
        packed = bytearray((len(answer) + 7) // 8)
        for i, b in enumerate(answer):
            packed[i // 8] |= b << (i % 8)
        return bytes([fc, len(packed)]) + bytes(packed)
    return bytes([fc, 2 * len(answer)]) + b"".join(struct.pack(">H", r) for r in answer)


def _adu(tid, pdu):
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, UNIT) + pdu


def _foreign_modbus_capture(path):
    from scapy.all import IP, TCP, Ether, Raw  # noqa: E402
    from scapy.utils import wrpcap  # noqa: E402
    pkts, seq = [], {40001: 1000, 502: 5000}

    def pkt(t, src, dst, flags, data=b""):
        p = Ether() / IP(src="10.1.1.1" if src != 502 else "10.1.1.2",
                         dst="10.1.1.2" if src != 502 else "10.1.1.1") / TCP(sport=src, dport=dst, seq=seq[src],
                                                                              flags=flags)
        if data:
            p = p / Raw(data)
        p.time = t
        pkts.append(p)
        seq[src] += len(data) + (1 if "S" in flags else 0)

    pkt(100.0, 40001, 502, "S")
    pkt(100.0, 502, 40001, "SA")
    for i, (fc, address, count, answer) in enumerate(READS):
        t = 101.0 + i
        pkt(t, 40001, 502, "PA", _adu(i + 1, _pdu(fc, address, count)))
        pkt(t + 0.02, 502, 40001, "PA", _adu(i + 1, _answer(fc, answer)))
    wrpcap(str(path), pkts)


def _gateway_config(base, work, tty):
    """The derived base's gateway: section as a gwd configuration (its ${...} filled in;
    the M-Bus line on a pseudo-terminal: gwd checks that it is a serial port)."""
    text = base.read_text().replace("${workdir}", str(work)).replace("${bus1}", tty)
    text = text.replace("${port:modbus}", "15020")
    cfg = work / "gateway.yaml"
    cfg.write_text(yaml.safe_dump(yaml.safe_load(text)["gateway"]))
    cfg.chmod(0o600)
    return cfg


def test_derive_base_of_a_modbus_capture(hil_setup, tmp_path):
    peers.module("scapy", "python3-scapy")
    tshark = peers.program("tshark", "tshark")
    ws = _workspace(tmp_path)
    cap = ws / "vendor_modbus.pcap"
    _foreign_modbus_capture(cap)
    out = ws / "scenarios" / "vendor_modbus.yaml"
    rc, text, _ = _run(hil_setup, ["import", "auto", cap, "--derive-base", "--at", "2s", "-o", out,
                                   "--fixtures", ws / "fixtures"], ws)
    assert rc == 0, text
    # counts: tshark's requests and answers of the same file
    rows = subprocess.run([tshark, "-r", str(cap), "-Y", "mbtcp", "-T", "fields", "-e", "tcp.dstport"],
                          capture_output=True, text=True, check=True).stdout.split()
    requests, answers = rows.count("502"), len(rows) - rows.count("502")
    assert f"{requests + answers} ADUs ({requests} requests, {answers} answers ({answers} matched" in text, text
    # the base maps what the server answered: every register and bit, by bank, at its address
    base = ws / "scenarios" / "vendor_modbus.base.yaml"
    doc = yaml.safe_load(base.read_text())
    server = doc["gateway"]["modbus_server"]
    assert server["unit_id"] == UNIT
    mapped = {(m["bank"], m["address"]): m for g in server["groups"] for m in g["mappings"]}
    banks = {1: "coils", 2: "discrete", 3: "holding", 4: "input"}
    served = {(banks[fc], address + i): v for fc, address, _, answer in READS if not isinstance(answer, int)
              for i, v in enumerate(answer)}
    assert set(mapped) == set(served), (sorted(mapped), sorted(served))
    for (bank, _), m in mapped.items():
        assert m["format"] == ("bool" if bank in ("coils", "discrete") else "uint16")
    assert ("holding", 500) not in mapped  # refused by the server: refused by gwd too
    bits = sum(1 for bank, _ in served if bank in ("coils", "discrete"))
    assert (f"serves unit {UNIT} and {len(served) - bits} registers and {bits} bits (of "
            f"{sum(1 for r in READS if not isinstance(r[3], int))} answered reads)") in text, text
    assert "changed value" not in text
    # gwd accepts the derived gateway configuration
    master, slave = os.openpty()
    try:
        check = subprocess.run([str(hil_setup.gwd), "--check-config",
                                str(_gateway_config(base, tmp_path, os.ttyname(slave)))],
                               capture_output=True, text=True)
    finally:
        os.close(master)
        os.close(slave)
    assert check.returncode == 0, check.stdout + check.stderr
    # the replay compares the recorded answers value by value, and passes
    sc = out.read_text()
    assert "protocol-only" not in sc
    assert 'address: 100, registers: "0x04D2 0xBEEF 0x0000 0xFFFF"' in sc, sc
    assert "address: 500, exception: 2" in sc, sc
    rc, run, _ = _run(hil_setup, ["run", "--workdir", ws / "run", out], ws)
    assert rc == 0, run
    assert re.search(r": PASS, \d+ passed, 0 failed", run), run
    rc, run, _ = _run(hil_setup, ["run", "--workdir", ws / "run-base", base], ws)
    assert rc == 0, run
    # a derived record changed (holding 101 = 0xBEEF, the second record of d1): only that address fails
    order = sorted(served, key=lambda k: ({"coils": 1, "discrete": 2, "holding": 3, "input": 4}[k[0]], k[1]))
    index = order.index(("holding", 101))
    hexf = ws / "fixtures" / "vendor_modbus.derived1.hex"
    lines = hexf.read_text().splitlines()
    frame = bytearray(bytes.fromhex(lines[1].replace(" ", "")))
    at = 19 + 6 * index
    assert frame[at:at + 2] == b"\x04\x16" and struct.unpack("<i", frame[at + 2:at + 6])[0] == 0xBEEF
    frame[at + 2:at + 6] = struct.pack("<i", 0xBEEE)
    frame[-2] = sum(frame[4:-2]) & 0xFF
    hexf.write_text(lines[0] + "\n" + " ".join(f"{b:02X}" for b in frame) + "\n")
    rc, run, _ = _run(hil_setup, ["run", "--workdir", ws / "run2", out], ws)
    assert rc == 1, run
    fails = [l for l in run.splitlines() if l.startswith("FAIL")]
    assert fails and all("address 100" in l and "0xBEEF" in l for l in fails), fails
