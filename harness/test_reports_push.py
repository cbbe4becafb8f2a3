"""Reports pushed by e-mail (SMTP with STARTTLS and login, SMTPS), FTP (plain,
explicit FTPS, implicit FTPS) and SFTP (key, and password where possible) to
real servers from Debian started by the test: every server goes down for 8
readout periods and comes back; every report is then delivered exactly once
after deduplication by its id, in order, and its bytes are those of the file
report of the same cycle (only the REPORT_ID differs: every report has its own
id), with nothing left in the outbox. Server certificates are verified against
the test's CA and SFTP host keys against known_hosts: an instance that trusts
another CA, or knows another host key, never delivers.

Real time, compressed as in test_reports_mqtt.py: libcurl does its own socket
I/O and keeps its own clock, so these run on the real clock (readouts every
second stand for the field's 15-minute readouts: the outage is 2 h of field
time, with several failed attempts per instance)."""
import email
import email.policy
import json
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import peers

SCENARIO = """\
name: reports pushed by e-mail, FTP and SFTP, servers down and back
duration: {duration}s
clock: real   # libcurl does its own socket I/O: see the module docstring
plant:
  segments:
    - name: bus1
      baud: 9600
      slaves:
        - {{primary: 5, telegrams: [{fixtures}/mbus/acw_itron_bm_plus_m.hex]}}
gateway:
  gateway: {{name: gw-push, store: "${{workdir}}/gw.db"}}
  mbus:
    - {{name: bus1, device: "${{bus1}}", baud: 9600, interval: 1s,
       meters: [{{name: water1, primary: 5}}]}}
  reports:
    instances:
{instances}
expect: []
"""


def instance(name, transport, template=None):
    t = f", template: {template}" if template else ""
    return f"      - {{name: {name}, format: json{t}, transport: {{{transport}}}}}\n"


class Setup:
    def __init__(self, tmp):
        from push_peers import Ftp, Mail, Sshd, make_ca_and_cert, password_possible
        self.tmp = tmp
        self.ca, cert, key = make_ca_and_cert(tmp / "pki")
        self.other_ca, _, _ = make_ca_and_cert(tmp / "pki-other", "unused")
        self.mail_tls = Mail(tmp / "mail-starttls", "starttls", cert, key, ("gw", "mail-secret"))
        self.mail_smtps = Mail(tmp / "mail-smtps", "smtps", cert, key)
        self.ftp_plain = Ftp(tmp / "ftp-plain", "plain")
        self.ftp_explicit = Ftp(tmp / "ftp-explicit", "explicit", cert, key)
        self.ftp_implicit = Ftp(tmp / "ftp-implicit", "implicit", cert, key)
        self.sshd_key = Sshd(tmp / "sshd-key")
        self.no_password = password_possible()
        self.sshd_pw = None if self.no_password else Sshd(tmp / "sshd-pw", password="sftp-secret")
        self.peers = [p for p in (self.mail_tls, self.mail_smtps, self.ftp_plain,
                                  self.ftp_explicit, self.ftp_implicit, self.sshd_key,
                                  self.sshd_pw) if p]

    def instances(self):
        ca = f"ca_file: {self.ca}"
        m, s = self.mail_tls, self.mail_smtps
        out = instance("files", f"file: {{dir: \"${{workdir}}/reports\"}}")
        out += instance("mail", f"smtp: {{url: 'smtp://127.0.0.1:{m.port}', from: gw@example.com, "
                                f"to: [ops@example.com, hes@example.com], username: gw, "
                                f"password: mail-secret, {ca}, timeout: 3s}}", 1101)
        out += instance("mails", f"smtp: {{url: 'smtps://127.0.0.1:{s.port}', "
                                 f"from: gw@example.com, to: hes@example.com, {ca}, timeout: 3s}}")
        for name, f, tls in (("ftp", self.ftp_plain, "none"),
                             ("ftpes", self.ftp_explicit, "explicit"),
                             ("ftps", self.ftp_implicit, "implicit")):
            extra = "" if tls == "none" else f", {ca}"
            out += instance(name, f"ftp: {{url: 'ftp://127.0.0.1:{f.port}/in/', tls: {tls}, "
                                  f"username: gw, password: ftp-secret{extra}, timeout: 3s}}",
                            2101 if name == "ftps" else None)
        k = self.sshd_key
        out += instance("sftpkey", f"sftp: {{url: 'sftp://127.0.0.1:{k.port}{k.upload}/', "
                                   f"username: {k.user}, key_file: {k.client_key}, "
                                   f"known_hosts: {k.known_hosts}, timeout: 3s}}")
        if self.sshd_pw:
            p = self.sshd_pw
            out += instance("sftppw", f"sftp: {{url: 'sftp://127.0.0.1:{p.port}{p.upload}/', "
                                      f"username: root, password: sftp-secret, "
                                      f"known_hosts: {p.known_hosts}, timeout: 3s}}")
        # an SFTP server whose host key is not the one known: must never deliver
        other = self.tmp / "other_host_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
        kind, key = Path(f"{other}.pub").read_text().split()[:2]
        wrong_kh = self.tmp / "wrong_known_hosts"
        wrong_kh.write_text(f"[127.0.0.1]:{k.port} {kind} {key}\n")
        out += instance("wronghost", f"sftp: {{url: 'sftp://127.0.0.1:{k.port}{k.upload}/', "
                                     f"username: {k.user}, key_file: {k.client_key}, "
                                     f"known_hosts: {wrong_kh}, timeout: 3s}}")
        # trusts another CA: must never deliver (and must not stop the others)
        out += instance("wrongca", f"smtp: {{url: 'smtps://127.0.0.1:{s.port}', "
                                   f"from: gw@example.com, to: x@example.com, "
                                   f"ca_file: {self.other_ca}, timeout: 3s}}")
        return out

    def start(self):
        for p in self.peers:
            p.start()

    def stop(self):
        for p in self.peers:
            p.stop()


def mail_reports(inbox: Path):
    """(id, attachment bytes, message) per received message, in arrival order."""
    out = []
    for path in sorted(inbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        parts = [p for p in msg.iter_attachments()]
        assert len(parts) == 1, path
        body = parts[0].get_payload(decode=True)
        assert parts[0].get_filename() == msg["X-Report-Name"]
        out.append((int(msg["X-Report-Id"]), body, msg))
    return out


def dir_reports(d: Path):
    """(id, bytes) per report file of an upload directory; no .tmp may be left."""
    assert not list(d.rglob("*.tmp")), f"half-uploaded reports left in {d}"
    return [(int(re.search(r"_(\d+)\.json$", p.name).group(1)), p.read_bytes())
            for p in sorted(d.glob("*.json"))]


def check_exactly_once(name, got, files, index, out):
    """got: (id, bytes) per delivery. Deduplicated by id: every report of the
    instance once, in order, each the file report of its cycle but for its id."""
    first = {}
    for rid, body in got:
        if rid in first:
            assert first[rid] == body, f"{name}: id {rid} delivered twice with other bytes"
        first.setdefault(rid, body)
    ids = sorted(first)
    assert len(ids) == len(files), f"{name}: {len(ids)} reports, the file instance has " \
                                   f"{len(files)}\n{out[-3000:]}"
    for (fid, fbody), rid in zip(files, ids):
        assert rid == fid + index, f"{name}: report {rid} is not of the cycle of file {fid}"
        expected = fbody.replace(f'"REPORT_ID": {fid},'.encode(), f'"REPORT_ID": {rid},'.encode())
        assert expected != fbody
        assert first[rid] == expected, f"{name}: report {rid} differs from file report {fid}"
    return ids


def test_push_servers_down_then_back(hil_setup, tmp_path):
    peers.module("aiosmtpd", "python3-aiosmtpd")
    peers.module("pyftpdlib", "python3-pyftpdlib")
    peers.module("OpenSSL", "python3-openssl")
    peers.program("sshd", "openssh-server")
    peers.program("openssl", "openssl")
    setup = Setup(tmp_path)
    setup.start()
    scenario = tmp_path / "push.yaml"
    scenario.write_text(SCENARIO.format(duration=24, fixtures=hil_setup.root / "fixtures",
                                        instances=setup.instances()))
    work = tmp_path / "run"
    hil = subprocess.Popen([str(hil_setup.hil), "run", "--workdir", str(work), str(scenario)],
                           cwd=hil_setup.root, env={"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(5)
        setup.stop()            # down ...
        time.sleep(8)
        setup.start()           # ... and back
        out, _ = hil.communicate(timeout=120)
    finally:
        if hil.poll() is None:
            hil.kill()
        setup.stop()
    log = (work / "gwd.log").read_text() if (work / "gwd.log").exists() else ""
    db = sqlite3.connect(work / "gw.db")
    queued = dict(db.execute("SELECT instance, count(*) FROM outbox GROUP BY instance"))
    last_id = db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()[0]
    failed = dict(db.execute("SELECT source, count(*) FROM events WHERE kind='transport_failed' "
                             "GROUP BY source"))
    files = dir_reports(work / "reports")
    assert len(files) >= 15, f"only {len(files)} cycles\n{out}"
    names = ["files", "mail", "mails", "ftp", "ftpes", "ftps", "sftpkey"] + \
        (["sftppw"] if setup.sshd_pw else []) + ["wronghost", "wrongca"]
    got = {
        "mail": [(i, b) for i, b, _ in mail_reports(setup.mail_tls.inbox)],
        "mails": [(i, b) for i, b, _ in mail_reports(setup.mail_smtps.inbox)],
        "ftp": dir_reports(setup.ftp_plain.root / "in"),
        "ftpes": dir_reports(setup.ftp_explicit.root / "in"),
        "ftps": dir_reports(setup.ftp_implicit.root / "in"),
        "sftpkey": dir_reports(setup.sshd_key.upload),
    }
    if setup.sshd_pw:
        got["sftppw"] = dir_reports(setup.sshd_pw.upload)
    delivered = set(i for i, _ in files)
    for name, reports in got.items():
        # the scenario may stop gwd while the last cycle's report is on its way: that one
        # (and only that one) may still be queued, and counts as the receiver's next report
        left = [(i, b if isinstance(b, bytes) else b.encode()) for i, b in db.execute(
            "SELECT id, body FROM outbox WHERE instance=? ORDER BY id", (name,))]
        assert len(left) <= 1, f"{name}: {len(left)} reports still queued\n{log}"
        assert failed.get(f"report:{name}", 0) >= 2, f"{name}: the outage was not noticed"
        assert not left or left[0][0] > max(i for i, _ in reports), f"{name}: a hole"
        ids = check_exactly_once(name, reports + left, files, names.index(name), out)
        assert not delivered & set(ids), f"{name}: ids also delivered elsewhere"
        delivered |= set(ids)
    # the instance with the wrong CA: nothing delivered, everything still queued
    assert queued.get("wrongca", 0) == len(files), queued
    assert "SSL certificate problem" in log, "the refused certificate is not in the log"
    # the instance with the unknown host key: likewise
    assert queued.get("wronghost", 0) == len(files), queued
    assert not list(setup.sshd_key.upload.glob("*_wronghost_*")), "sent to an unverified host"
    assert "SSH remote key was not OK" in log, "the refused host key is not in the log"
    wrong = set(range(1, last_id + 1)) - delivered
    assert len(wrong) == 2 * len(files), "ids missing at the receivers"
    # the CMe3100 template number travels with the e-mail: 1101 configured, 1101 default
    for inst, peer in (("mail", setup.mail_tls), ("mails", setup.mail_smtps)):
        for rid, _, msg in mail_reports(peer.inbox):
            assert msg["X-Report-Template"] == "1101"
            assert msg["Message-ID"] == f"<report-{rid}.{inst}.gw-push@gwd>"
            assert msg["From"] == "gw@example.com"
    assert mail_reports(setup.mail_tls.inbox)[0][2]["To"] == "ops@example.com, hes@example.com"
    assert json.loads(files[0][1])["muc"]["MUC_ID"] == "gw-push"
    if setup.no_password:
        pytest.skip(f"SFTP by key shown; by password not here: {setup.no_password}")
