"""DLMS client checks that span more than one gateway run or look at the wire.

1. A restart between two profile reads: the gateway resumes at the newest stored
   second and rebuilds from the store which entries of that second it has, so the
   pair of same-second events the meter returns again is not stored twice.
2. HLS with the worked example of IEC 62056-5-3: the meter's ciphered APDUs carry
   security control 0x30 and the invocation counter from 0x01234567 upwards."""
import json
import sqlite3
import subprocess

SCENARIO = """\
name: dlms restart between profile reads, part {part}
start: {start}
duration: {duration}
plant:
  segments: []
  dlms:
    - name: hplc1
      nodes: 1
      meter: {fixtures}/dlms/meter_hourly_events.yaml
      max_packet: 80
      quirks: {{event_burst: 2}}
gateway:
  gateway: {{name: gw1, store: "{state}/gw.db", datahub_dump: "${{workdir}}/datahub.json"}}
  dlms:
    polling: {{slow: 1h}}
    networks:
      - name: hplc1
        max_bytes: 80
        meters:
          - name: m1
            port: "${{port:hplc1}}"
            local_port: "${{port:hplc1:gw}}"
            objects:
              - {{name: events, class: profile, obis: "0-0:99.98.0.255", group: slow, days: 1}}
expect:
  - meter: {{name: m1, status: ok}}
"""


def run(hil_setup, path, work):
    r = subprocess.run([str(hil_setup.hil), "run", "--workdir", str(work), str(path)],
                       cwd=hil_setup.root, env={"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, timeout=hil_setup.timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def event_rows(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT ts_ns, value FROM readings WHERE point = 'm1/events/1'"
                         " ORDER BY ts_ns, id").fetchall()


def test_restart_stores_each_entry_once(hil_setup, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    fixtures = hil_setup.root / "fixtures"
    parts = [("1", "2026-01-01T00:00:00Z", "210m"), ("2", "2026-01-01T03:00:00Z", "70m")]
    counts = []
    for part, start, duration in parts:
        sc = tmp_path / f"part{part}.yaml"
        sc.write_text(SCENARIO.format(part=part, start=start, duration=duration, fixtures=fixtures,
                                      state=state))
        run(hil_setup, sc, tmp_path / f"run{part}")
        counts.append(event_rows(state / "gw.db"))
    # part 1: reads at 00:00..03:00 see 27 hourly instants, two events each
    assert len(counts[0]) == 54
    rows = counts[1]
    # part 2 starts at 03:00 again: its first read returns the 03:00 pair (stored
    # already), its read at 04:00 adds the 04:00 pair
    assert len(rows) == 56, rows[-6:]
    assert len(set(rows)) == 56, "an entry stored twice"
    instants = sorted({ts for ts, _ in rows})
    assert len(instants) == 28
    assert all(b - a == 3600 * 10**9 for a, b in zip(instants, instants[1:])), "an hour missing"
    assert sum(1 for _, v in rows if v == 128) == 28


def meter_apdus(trace, channel):
    """The wrapper payloads the meter sent on channel, in order."""
    out = []
    for line in trace.read_text().splitlines():
        ev = json.loads(line)
        if ev.get("ch") == channel and ev.get("dir") == "bus>gw" and ev.get("hex"):
            out.append(bytes.fromhex(ev["hex"].replace(" ", ""))[8:])  # after the 8-byte wrapper
    return out


def test_hls_worked_example_invocation_counter(hil_setup, tmp_path):
    work = tmp_path / "run"
    run(hil_setup, hil_setup.root / "scenarios" / "dlms" / "hls_worked_example.yaml", work)
    apdus = meter_apdus(work / "trace.jsonl", "tcp1/0")
    assert apdus and apdus[0][0] == 0x61, "the first answer is not the AARE"
    aare = apdus[0]
    assert bytes.fromhex("4D4D4D0000BC614E") in aare, "the AARE lacks the meter's system title"
    # the AARE's user information: glo-initiateResponse (0x28), SC 0x30, IC 01234567
    at = aare.index(bytes.fromhex("30 01234567"))
    assert aare[at - 2] == 0x28, aare.hex()
    # every ciphered APDU after it (glo-get/action responses, tags 0xCC/0xCF) counts on
    counters = []
    for apdu in apdus[1:]:
        if apdu[0] in (0xCC, 0xCF):
            n = 2 if apdu[1] < 0x80 else 2 + (apdu[1] & 0x7F)
            assert apdu[n] == 0x30, apdu.hex()
            counters.append(int.from_bytes(apdu[n + 1:n + 5], "big"))
    assert counters, "no ciphered answer after the AARE"
    # the reply to HLS pass 3 carries f(CtoS) made with 01234568 and is itself
    # ciphered with 01234569; every answer after it takes the next value
    assert counters == list(range(0x01234569, 0x01234569 + len(counters))), counters[:5]
