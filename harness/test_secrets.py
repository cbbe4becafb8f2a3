"""Secrets never leave the configuration: the security scenarios (wireless M-Bus keys
from the configuration and from a key file, DLMS LLS passwords, DLMS HLS keys) run
with the gateway at log level trace (hex dumps of everything on the wire), then every
file the gateway wrote (its log, store, datahub dump, reports) is searched for every
key and password it was given: hex in upper and lower case, with and without spaces,
the raw 16 key bytes (store BLOBs), and passwords as text and as hex.

Not searched: the configuration itself (gwd.yaml) and what the bench writes about the
wire (trace.jsonl, hil.out): an LLS password crosses the wire in clear by design of
DLMS, so the bench's capture of the wire holds it.

The second test checks the owner-only rule: gwd --check-config warns about a
configuration with keys, and about a key file, that group or others can read."""
import csv
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

SCENARIOS = ["wmbus/security.yaml", "dlms/lls_passwords.yaml", "dlms/hls_keys.yaml"]
BENCH_FILES = {"gwd.yaml", "trace.jsonl", "hil.out", "scenario.yaml"}
HEX32 = re.compile(r"^[0-9A-Fa-f]{32}$")


def gateway_secrets(node, root, found):
    """Values of password/ek/ak/key anywhere in the gateway section, and the keys of
    the key files it names."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("password", "ek", "ak", "key") and isinstance(v, (str, int)):
                found.add(str(v))
            elif k == "keys" and isinstance(v, str):
                path = Path(v.replace("${fixtures}", str(root / "fixtures")))
                path = path if path.is_absolute() else root / path
                with open(path, newline="") as f:
                    for row in csv.reader(f):
                        if len(row) > 1 and HEX32.match(row[1].strip()):
                            found.add(row[1].strip())
            else:
                gateway_secrets(v, root, found)
    elif isinstance(node, list):
        for v in node:
            gateway_secrets(v, root, found)
    return found


def forms(secret):
    """Every way a secret could be written out."""
    out = []
    if HEX32.match(secret):
        raw = bytes.fromhex(secret)
    else:
        raw = secret.encode()
        out.append(raw)                         # a password as text
    h = raw.hex()
    for text in (h, h.upper()):
        out.append(text.encode())
        out.append(" ".join(text[i:i + 2] for i in range(0, len(text), 2)).encode())
    if len(raw) >= 8:
        out.append(raw)                         # raw bytes (BLOBs)
    return out


def run_scenario(hil_setup, name, tmp_path):
    root = hil_setup.root
    doc = yaml.safe_load((root / "scenarios" / name).read_text())
    secrets = gateway_secrets(doc["gateway"], root, set())
    assert secrets, f"{name}: no secrets found to look for"
    doc["gateway"].setdefault("gateway", {})["log_level"] = "trace"
    doc["watchdog"] = "120s"  # a slow gateway (valgrind, qemu) is not a failure here
    # inside the repository, so the scenario's relative paths still resolve
    work = hil_setup.build / "secrets"
    work.mkdir(parents=True, exist_ok=True)
    scenario = work / Path(name).name
    scenario.write_text(yaml.safe_dump(doc, sort_keys=False))
    run = tmp_path / Path(name).stem
    proc = subprocess.run([str(hil_setup.hil), "run", "--workdir", str(run), str(scenario)],
                          cwd=root, env=dict(os.environ, HIL_GWD=hil_setup.gwd),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-3000:]
    return run, secrets


@pytest.mark.parametrize("name", SCENARIOS)
def test_secrets_not_written(hil_setup, tmp_path, name):
    run, secrets = run_scenario(hil_setup, name, tmp_path)
    searched = 0
    leaks = []
    for path in sorted(run.rglob("*")):
        if not path.is_file() or path.name in BENCH_FILES:
            continue
        data = path.read_bytes()
        searched += 1
        for s in secrets:
            for form in forms(s):
                if form in data:
                    leaks.append(f"{path.relative_to(run)}: {form[:48]!r} (secret {s})")
    assert searched >= 2, f"nothing the gateway wrote was found in {run}"
    assert (run / "gwd.log").stat().st_size > 0
    assert not leaks, "secrets written out:\n" + "\n".join(leaks)


CONFIG_WITH_KEY = """\
gateway: {name: gw1}
wmbus:
  - name: radio1
    device: /dev/null
    link_mode: T1
    keys: KEYS
    meters: [{name: w1, id: "12345678", key: 000102030405060708090A0B0C0D0E0F}]
"""


def test_readable_secret_files_warned(hil_setup, tmp_path):
    gwd = shlex.split(hil_setup.gwd)
    keys = tmp_path / "keys.csv"
    keys.write_text("address,key,manufacturer,deviceType,version\n"
                    "12345678,000102030405060708090A0B0C0D0E0F,KAM,7,1\n")
    cfg = tmp_path / "gwd.yaml"
    cfg.write_text(CONFIG_WITH_KEY.replace("KEYS", str(keys)))

    def check():
        p = subprocess.run(gwd + ["--check-config", str(cfg)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        assert p.returncode == 0, p.stderr.decode()
        return p.stderr.decode()

    os.chmod(cfg, 0o644)
    os.chmod(keys, 0o640)
    err = check()
    assert f"{cfg} holds keys or passwords but its mode is 0644" in err, err
    assert f"{keys} holds keys or passwords but its mode is 0640" in err, err
    assert "000102030405060708090A0B0C0D0E0F" not in err
    os.chmod(cfg, 0o600)
    os.chmod(keys, 0o400)
    assert "holds keys" not in check()
    # a configuration without secrets may be world-readable (a server on any free
    # port: a configuration that does nothing is an error of its own)
    cfg.write_text("gateway: {name: gw1}\niec104: {bind: 127.0.0.1, port: 0}\n")
    os.chmod(cfg, 0o644)
    assert "holds keys" not in check()
