"""Independent Modbus peers against the gateway (real time: libmodbus and the
peers do their own socket I/O).

1. pymodbus plays a Modbus meter; gwd polls it (Modbus client, south) and serves
   the values again (Modbus server, north) in several formats and byte orders
   and in the MUC500 layout; pymodbus and mbpoll read them back and compare with
   the values the meter holds.
2. A bench scenario (hil) feeds an M-Bus meter to gwd; while it runs pymodbus
   and mbpoll read the register the scenario maps its volume to.
Exceptions (unmapped address, write, unknown function) are checked on the way."""
import shlex
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

import peers
from ports import free_port, wait_port as _wait_port


def wait_port(port, seconds=5.0):
    return _wait_port(port, seconds)

HERE = Path(__file__).resolve().parent


def pymodbus_client(port):
    ModbusTcpClient = peers.module("pymodbus.client", "python3-pymodbus").ModbusTcpClient
    c = ModbusTcpClient("127.0.0.1", port=port)
    assert c.connect()
    return c


def mbpoll(*args):
    out = subprocess.run([peers.program("mbpoll", "mbpoll"), "-m", "tcp", "-1", *args], capture_output=True, text=True,
                         timeout=10).stdout
    return [line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("[")]


def regs_to(fmt, regs):
    return struct.unpack(fmt, b"".join(struct.pack(">H", r) for r in regs))[0]


GATEWAY = """\
gateway: {{name: peers, datahub_dump: "{work}/dump.json"}}
modbus:
  optimize: true
  polling: {{normal: 500ms}}
  devices:
    - name: em1
      tcp: {{host: 127.0.0.1, port: {meter}}}
      timeout: 300ms
      serial: "12345678"
      manufacturer: ABC
      medium: 2
      registers:
        - {{id: energy, address: 0, format: uint32, scale: 0.0001, unit: Wh}}
        - {{id: power, address: 2, format: float32, unit: W}}
        - {{id: temp, address: 4, format: int16, unit: C}}
modbus_server:
  tcp: {{port: {server}, bind: 127.0.0.1}}
  layout: {{start: 1000, serial: 0xD0800DC1, protocol_version: 2, version: 132}}
  groups:
    - mappings:
        - {{point: em1/energy, bank: holding, address: 0, format: float32, byte_order: ABCD}}
        - {{point: em1/energy, bank: holding, address: 2, format: float32, byte_order: CDAB}}
        - {{point: em1/energy, bank: holding, address: 4, format: float32, byte_order: BADC}}
        - {{point: em1/energy, bank: holding, address: 6, format: float32, byte_order: DCBA}}
        - {{point: em1/energy, bank: holding, address: 8, format: float64}}
        - {{point: em1/energy, bank: holding, address: 12, format: uint32, scale: 10000}}
        - {{point: em1/energy, bank: holding, address: 14, format: int64, scale: 10000, byte_order: CDAB}}
        - {{point: em1/temp, bank: input, address: 0, format: int16}}
        - {{point: em1/temp, bank: input, address: 1, format: int32, byte_order: DCBA}}
        - {{point: em1/power, bank: input, address: 3, format: uint16}}
        - {{point: em1/temp, bank: coils, address: 0}}
"""


@pytest.fixture
def chain(hil_setup, tmp_path):
    # pymodbus's server needs pyserial (Debian's package only recommends it)
    peers.module("pymodbus.server", "python3-pymodbus, python3-serial")
    meter, server = free_port(), free_port()
    peer = subprocess.Popen(["/usr/bin/python3", str(HERE / "modbus_peer_meter.py"), str(meter)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    assert wait_port(meter), "the pymodbus meter did not start"
    cfg = tmp_path / "gwd.yaml"
    cfg.write_text(GATEWAY.format(work=tmp_path, meter=meter, server=server))
    log = open(tmp_path / "gwd.log", "w")
    gwd = subprocess.Popen(shlex.split(hil_setup.gwd) + [str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    assert wait_port(server), "gwd's Modbus server did not start"
    time.sleep(1.5)  # a few polls of the meter
    yield server
    gwd.terminate()
    assert gwd.wait(10) == 0, (tmp_path / "gwd.log").read_text()
    peer.kill()
    peer.wait()


def test_pymodbus_reads_every_format(chain):
    c = pymodbus_client(chain)
    r = c.read_holding_registers(0, 18, slave=1).registers
    energy = 1234.5678
    assert regs_to(">f", r[0:2]) == pytest.approx(energy, rel=1e-7)
    assert regs_to(">f", [r[3], r[2]]) == pytest.approx(energy, rel=1e-7)   # CDAB
    swapped = lambda x: ((x & 0xFF) << 8) | (x >> 8)
    assert regs_to(">f", [swapped(r[4]), swapped(r[5])]) == pytest.approx(energy, rel=1e-7)  # BADC
    assert regs_to(">f", [swapped(r[7]), swapped(r[6])]) == pytest.approx(energy, rel=1e-7)  # DCBA
    assert regs_to(">d", r[8:12]) == energy
    assert regs_to(">I", r[12:14]) == 12345678
    assert regs_to(">q", [r[17], r[16], r[15], r[14]]) == 12345678
    i = c.read_input_registers(0, 4, slave=1).registers
    assert regs_to(">h", i[0:1]) == -2
    assert regs_to(">i", [swapped(i[2]), swapped(i[1])]) == -2
    assert i[3] == 1235  # 1234.5677 rounded
    assert c.read_coils(0, 1, slave=1).bits[0] is True
    # MUC500 layout at 1000: device entry, meter entry (12345678, ABC, electricity), value
    m = c.read_holding_registers(1000, 30, slave=255).registers
    assert m[0:4] == [0xD080, 0x0DC1, 2, 132] and m[7] == 0x0100
    assert m[10:14] == [0x00BC, 0x614E, 0x0443, 0x0002] and m[17] == 0x0200 and m[18] == 0
    assert regs_to(">f", m[24:26]) == pytest.approx(energy, rel=1e-7) and m[27] == 5
    # exceptions
    e = c.read_holding_registers(100, 1, slave=1)
    assert e.isError() and e.exception_code == 2
    e = c.write_register(0, 1, slave=1)
    assert e.isError() and e.exception_code == 2
    e = c.read_input_registers(0, 126, slave=1)
    assert e.isError()
    c.close()


def test_mbpoll_reads_the_same(chain):
    # mbpoll counts references from 1; its default float word order is CDAB, -B is ABCD
    assert float(mbpoll("-p", str(chain), "-t", "4:float", "-B", "-r", "1", "-c", "1",
                        "127.0.0.1")[0]) == pytest.approx(1234.5678, rel=1e-5)
    assert float(mbpoll("-p", str(chain), "-t", "4:float", "-r", "3", "-c", "1",
                        "127.0.0.1")[0]) == pytest.approx(1234.5678, rel=1e-5)
    assert int(mbpoll("-p", str(chain), "-t", "4:int", "-B", "-r", "13", "-c", "1",
                      "127.0.0.1")[0]) == 12345678
    assert mbpoll("-p", str(chain), "-t", "3", "-r", "1", "-c", "1", "127.0.0.1") == ["65534 (-2)"]
    assert mbpoll("-p", str(chain), "-t", "0", "-r", "1", "-c", "1", "127.0.0.1") == ["1"]


SCENARIO = """\
name: M-Bus meter to Modbus register, read by independent peers
clock: real                   # the peers are real processes the bench does not clock
duration: {duration}s
plant:
  segments:
    - name: bus1
      baud: 9600
      slaves:
        - {{primary: 5, telegrams: [{root}/fixtures/mbus/acw_itron_bm_plus_m.hex]}}
gateway:
  gateway: {{name: gw-test, datahub_dump: "${{workdir}}/datahub.json"}}
  mbus:
    - {{name: bus1, device: "${{bus1}}", baud: 9600, interval: 2s, meters: [{{name: water1, primary: 5}}]}}
  modbus_server:
    tcp: {{port: {port}, bind: 127.0.0.1}}
    groups:
      - mappings:
          - {{point: water1/1, bank: holding, address: 10, format: float32, byte_order: ABCD}}
          - {{point: water1/1, bank: holding, address: 12, format: uint32, scale: 1000}}
expect:
  - value: {{point: water1/1, equals: 54.321, unit: m3}}
"""


def test_mbus_meter_to_modbus_register(hil_setup, tmp_path):
    port = free_port()
    scenario = tmp_path / "mbus_to_modbus.yaml"
    scenario.write_text(SCENARIO.format(duration=6, port=port, root=hil_setup.root))
    hil = subprocess.Popen([str(hil_setup.hil), "run", "--workdir", str(tmp_path / "run"), str(scenario)],
                           cwd=hil_setup.root, env={"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_port(port), "gwd's Modbus server did not start"
        time.sleep(3)  # the first readout cycle
        c = pymodbus_client(port)
        r = c.read_holding_registers(10, 4, slave=1).registers
        c.close()
        assert regs_to(">f", r[0:2]) == pytest.approx(54.321, rel=1e-7)
        assert regs_to(">I", r[2:4]) == 54321
        assert int(mbpoll("-p", str(port), "-t", "4:int", "-B", "-r", "13", "-c", "1",
                          "127.0.0.1")[0]) == 54321
    finally:
        out, _ = hil.communicate(timeout=30)
    assert hil.returncode == 0, out
