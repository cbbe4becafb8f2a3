"""The SNMP v2c agent inside gwd (docs/snmp.md, docs/GWD-STATUS-MIB.txt), checked with
net-snmp's own command-line tools: snmpget and snmpwalk (Debian `snmp`) read the
status objects, snmptrapd (Debian `snmptrapd`) receives the traps.

gwd runs under the bench in real time (the tools are outside the bench's clock):
one M-Bus segment with two meters that answer and one configured meter that is
absent (never read: status 2), and two report instances, one writing into a
folder and one pushing to an HTTP server that is not there (its delivery fails: status 3). The
first cycle's end turns the readout aggregate from 1 to 2 (a trap); the failed
delivery turns the reports' aggregate from 1 to 2 (a second trap)."""
import re
import socket
import subprocess
import time

import pytest

import peers

SNMPGET = peers.program("snmpget", "snmp", module_level=True)
SNMPWALK = peers.program("snmpwalk", "snmp", module_level=True)
SNMPTRAPD = peers.program("snmptrapd", "snmptrapd", module_level=True)

BASE = ".1.3.6.1.4.1.8072.9999.9999.4711"

SCENARIO = """\
name: snmp agent, status objects and traps (harness/test_snmp.py)
clock: real
duration: 9s
plant:
  segments:
    - name: bus1
      baud: 2400
      slaves:
        - {{primary: 1, telegrams: [{fixtures}/mbus/frame2.hex], response_delay: 5ms}}
        - {{primary: 3, telegrams: [{fixtures}/mbus/oms_frame2.hex], response_delay: 5ms}}
gateway:
  gateway: {{name: gwS, store: "{work}/gw.db", datahub_dump: "{work}/datahub.json"}}
  mbus:
    - {{name: bus1, device: "${{bus1}}", baud: 2400, interval: 1h, retries: 0,
       meters: [{{name: a, primary: 1}}, {{name: b, primary: 3}}, {{name: ghost, primary: 7}}]}}
  reports:
    instances:
      - {{name: good, format: csv6, transport: {{file: {{dir: "{work}/good"}}}}}}
      - {{name: bad, format: csv6, transport: {{http: {{url: "http://127.0.0.1:{dead}/upload", timeout: 2s}}}}}}
  snmp:
    port: {port}
    bind: 127.0.0.1
    community: gwpub
    trap_community: gwtrap
    traps: [{{host: 127.0.0.1, port: {trap_port}}}]
expect:
  - meter: {{name: a, status: ok}}
"""


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def snmp(tool, port, *oids, community="gwpub"):
    r = subprocess.run([tool, "-v2c", "-c", community, "-On", "-Oq", "-t", "1", "-r", "1", "-M", "/dev/null",
                        f"127.0.0.1:{port}", *oids], capture_output=True, text=True, timeout=20)
    return r


def values(out):
    """{OID suffix after BASE: value text} of snmpget/snmpwalk -On -Oq lines."""
    res = {}
    for line in out.splitlines():
        oid, _, value = line.partition(" ")
        if value.startswith("No more variables"):  # endOfMibView after the last object
            continue
        if oid.startswith(BASE + "."):
            res[oid[len(BASE) + 1:]] = value.strip().strip('"')
    return res


def traps(path):
    """The status values of each gwdStatusChange trap received, in order."""
    out = []
    for line in path.read_text().splitlines():
        if f"{BASE}.2.0.1" not in line:
            continue
        got = dict(re.findall(re.escape(BASE) + r"\.1\.(\d)\.0 = INTEGER: (\d)", line))
        out.append((int(got["1"]), int(got["2"]), int(got["3"])))
    return out


@pytest.fixture(scope="module")
def agent(request, tmp_path_factory):
    h = request.config._hil
    work = tmp_path_factory.mktemp("snmp")
    port, trap_port = free_udp_port(), free_udp_port()
    conf = work / "snmptrapd.conf"
    conf.write_text("authCommunity log gwtrap\n")
    log = work / "traps.log"
    trapd = subprocess.Popen([SNMPTRAPD, "-f", "-n", "-On", "-C", "-c", str(conf), "-M", "/dev/null", "-m", "",
                              "-Lf", str(log), "-F", "TRAP %v\n", f"udp:127.0.0.1:{trap_port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    sc = work / "s.yaml"
    sc.write_text(SCENARIO.format(fixtures=h.root / "fixtures", work=work, port=port, trap_port=trap_port,
                                  dead=free_tcp_port()))
    time.sleep(0.3)  # snmptrapd listens
    run = subprocess.Popen([str(h.hil), "run", "--workdir", str(work / "run"), str(sc)], cwd=h.root,
                           env={"HIL_GWD": h.gwd, "PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        end = time.monotonic() + 8
        while time.monotonic() < end and len(traps(log) if log.exists() else []) < 2:
            time.sleep(0.1)
        yield {"port": port, "log": log, "work": work}
    finally:
        out, _ = run.communicate(timeout=60)
        trapd.terminate()
        trapd.wait(timeout=10)
    assert run.returncode == 0, out


def test_traps_on_readout_and_report_failure(agent):
    got = traps(agent["log"])
    # (aggregated, readout, reports): the ghost never read after the first cycle,
    # then the failed delivery of "bad" next to the delivered "good"
    assert got == [(2, 2, 1), (2, 2, 2)], agent["log"].read_text()


def test_snmpget_status_objects(agent):
    r = snmp(SNMPGET, agent["port"], *(f"{BASE}.1.{i}.0" for i in range(1, 8)))
    assert r.returncode == 0, r.stderr
    v = values(r.stdout)
    assert [v[f"1.{i}.0"] for i in range(1, 6)] == ["2", "2", "2", "3", "2"]
    assert int(v["1.7.0"]) >= 1                         # cycles
    assert abs(int(v["1.6.0"]) - time.time()) < 15      # the last cycle's end, UTC seconds


def test_snmpwalk_tables(agent):
    r = snmp(SNMPWALK, agent["port"], BASE)
    assert r.returncode == 0, r.stderr
    v = values(r.stdout)
    meters = {v[f"1.8.1.2.{i}"]: v[f"1.8.1.3.{i}"] for i in (1, 2, 3)}
    assert meters == {"a": "1", "b": "1", "ghost": "2"}
    assert "1.8.1.2.4" not in v
    assert int(v["1.8.1.4.1"]) > 0 and v["1.8.1.4.3"] == "0"   # last good readout; never
    reports = {v[f"1.9.1.2.{i}"]: v[f"1.9.1.3.{i}"] for i in (1, 2)}
    assert reports == {"bad": "3", "good": "1"}
    keys = list(v)
    assert keys[0] == "1.1.0" and keys[-1] == "1.9.1.3.2"  # in OID order, nothing after


def test_wrong_community_and_unknown_oid(agent):
    r = snmp(SNMPGET, agent["port"], f"{BASE}.1.1.0", community="guess")
    assert r.returncode != 0 and "Timeout" in r.stderr + r.stdout   # v2c: no answer at all
    r = snmp(SNMPGET, agent["port"], f"{BASE}.1.99.0")
    assert "No Such Instance" in r.stdout, r.stdout


def mib_oids():
    """{name: OID} of every definition in docs/GWD-STATUS-MIB.txt, from its
    `::= { parent n }` clauses (netSnmpPlaypen is net-snmp's, imported)."""
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "docs" / "GWD-STATUS-MIB.txt").read_text()
    text = re.sub(r"--[^\n]*", "", text)
    text = re.sub(r"IMPORTS.*?;", "", text, flags=re.S)
    known = {"netSnmpPlaypen": ".1.3.6.1.4.1.8072.9999.9999"}
    defs = re.findall(r"(\w+)\s+(?:OBJECT-TYPE|OBJECT IDENTIFIER|MODULE-IDENTITY|NOTIFICATION-TYPE)\b"
                      r"(?:(?!::=).)*::=\s*\{\s*(\w+)\s+(\d+)\s*\}", text, re.S)
    names = [name for name, _, _ in defs]
    assert len(names) == len(set(names)), "a descriptor defined twice"
    for _ in range(len(defs)):
        for name, parent, n in defs:
            if parent in known:
                known[name] = f"{known[parent]}.{n}"
    return known


def test_mib_file_matches_the_agent(agent):
    oids = mib_oids()
    assert oids["gwdStatusMIB"] == BASE
    assert oids["gwdStatusChange"] == f"{BASE}.2.0.1"
    r = snmp(SNMPWALK, agent["port"], BASE)
    walked = [line.partition(" ")[0] for line in r.stdout.splitlines() if "No more variables" not in line]
    leaves = {v: k for k, v in oids.items()}
    for oid in walked:   # each instance: a scalar's .0 or a column's .index
        parent = oid.rsplit(".", 1)[0]
        assert parent in leaves, oid
    named = {leaves[o.rsplit(".", 1)[0]] for o in walked}
    assert named == {"gwdAggregatedStatus", "gwdReadoutStatus", "gwdReportStatus", "gwdMeterCount",
                     "gwdMetersOk", "gwdLastCycleTime", "gwdCycles", "gwdMeterName", "gwdMeterStatus",
                     "gwdMeterLastRead", "gwdReportName", "gwdReportInstanceStatus"}
