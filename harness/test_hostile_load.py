"""Hostile peers and a good master of each server at the same time (harness/hostile_load.py):
random bytes on 50 connections, 200 idle connections, slowloris, oversized length
fields and 1,000 connect/close cycles against the IEC 104 and Modbus TCP servers.

The good masters, connected before the attack, must be served throughout (every poll
answered, their connection never dropped: Modbus `when_full: drop_idlest` closes the
idlest connection, IEC 104 refuses masters beyond `connections`); connections that hold a
slot without completing a frame are closed by the gateway (TESTFR/t1, idle timeouts);
afterwards gwd's open file descriptors are back to what they were and its RSS within
2 MiB of it; gwd exits 0 and its store says what happened. `make bench` prints the
latencies of the same run."""
import hostile_load


def test_good_masters_stay_served(hil_setup, tmp_path):
    r = hostile_load.run(hil_setup.gwd, tmp_path / "run")
    hostile_load.print_figures(r)
    assert r["exit"] == 0
    assert r["connect_close_cycles"] == 1000
    for name in ("iec104", "modbus"):
        before, during = r[name]["before"], r[name]["during"]
        assert before["polls"] >= 10 and during["polls"] >= 50, r[name]
        assert before["answered"] == before["polls"], (name, before)
        assert during["answered"] == during["polls"], (name, during)
        assert r[name]["dropped"] == 0, f"{name}: the good master's connection was dropped"
    assert all(r["victims_closed"].values()), r["victims_closed"]
    assert r["fds_after"] == r["fds_before"], (r["fds_before"], r["fds_peak"], r["fds_after"])
    assert r["fds_peak"] > r["fds_before"], "the attack never reached the gateway"
    assert r["rss_after_kib"] <= r["rss_before_kib"] + 2048, (r["rss_before_kib"], r["rss_after_kib"])
    ev = r["events"]
    assert ev.get("refused", 0) > 0 and ev.get("protocol_error", 0) > 0 and ev.get("closed", 0) > 0, ev
