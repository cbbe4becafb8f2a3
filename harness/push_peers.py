"""Real servers for the push transports of reports (docs/reports.md), each a
separate process from Debian on a loopback port, stopped and started again on
the same port to play an outage:

- Mail: harness/mail_peer.py (python3-aiosmtpd), plain, STARTTLS or SMTPS.
- Ftp: harness/ftp_peer.py (python3-pyftpdlib, python3-openssl), plain,
  explicit or implicit FTPS.
- Sshd: OpenSSH's sshd (openssh-server) as the test's own server: its own
  host key, configuration, authorized key and port; SFTP by internal-sftp.
  Key login works for whoever runs the test. Password login needs a password
  that sshd checks against the shadow file (without PAM), and this test may not
  set one on the machine: as root, sshd runs in a private mount namespace
  (unshare -m) in which a copy of /etc/shadow, with a password for root, is
  mounted over the real one, and a directory of the test over /run (sshd
  wants /run/sshd); nothing outside that namespace changes. Where that is not
  possible (not root, no mount namespaces) `password_possible()` says why.

Certificates: `make_ca_and_cert` writes a CA and a server certificate for
127.0.0.1 with the openssl program (openssl, part of every Debian with libssl)."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from ports import free_port

HARNESS = Path(__file__).resolve().parent


def wait_port(port, proc, what, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


def make_ca_and_cert(d: Path, name="server"):
    """ca.pem, <name>.pem, <name>.key in d: a CA and a certificate it signed for
    127.0.0.1 / localhost. Returns (ca, cert, key)."""
    d.mkdir(parents=True, exist_ok=True)
    ca, ca_key = d / "ca.pem", d / "ca.key"
    cert, key, csr = d / f"{name}.pem", d / f"{name}.key", d / f"{name}.csr"
    ext = d / f"{name}.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not ca.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=gwd test CA", "-keyout", ca_key, "-out", ca], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", key, "-out", csr], **quiet)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert], **quiet)
    return ca, cert, key


class Peer:
    """A server process that can be stopped and started again on its port."""

    def __init__(self, what):
        self.what, self.proc, self.port = what, None, free_port()

    def argv(self):
        raise NotImplementedError

    def start(self):
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "ab"))
        wait_port(self.port, self.proc, self.what)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Mail(Peer):
    def __init__(self, d: Path, mode, cert=None, key=None, login=None):
        super().__init__(f"aiosmtpd ({mode})")
        self.dir = d
        self.inbox = d / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.log = d / "mail.log"
        self.mode, self.cert, self.key, self.login = mode, cert, key, login

    def argv(self):
        a = ["/usr/bin/python3", str(HARNESS / "mail_peer.py"), str(self.port), str(self.inbox),
             self.mode]
        if self.cert:
            a += [str(self.cert), str(self.key)]
        if self.login:
            a += list(self.login)
        return a


class Ftp(Peer):
    def __init__(self, d: Path, mode, cert=None, key=None, login=("gw", "ftp-secret")):
        super().__init__(f"pyftpdlib ({mode})")
        self.root = d / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.log = d / "ftp.log"
        self.mode, self.cert, self.key, self.login = mode, cert, key, login

    def argv(self):
        a = ["/usr/bin/python3", str(HARNESS / "ftp_peer.py"), str(self.port), str(self.root),
             self.mode, *self.login]
        if self.cert:
            a += [str(self.cert), str(self.key)]
        return a


def descendants(pid):
    """The ids of the processes below pid (from /proc), deepest first."""
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    out = descendants(int(child)) + [int(child)] + out
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def password_possible():
    """None when Sshd(password=...) can work here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "sshd checks passwords only as root (this test runs as another user)"
    r = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if r.returncode != 0:
        return f"no private mount namespace (unshare -m: {r.stderr.decode().strip()})"
    return None


class Sshd(Peer):
    def __init__(self, d: Path, password=None):
        super().__init__("sshd")
        self.dir = d
        d.mkdir(parents=True, exist_ok=True)
        self.log = d / "sshd.log"
        self.user = "root" if os.geteuid() == 0 else os.environ.get("USER") or \
            __import__("pwd").getpwuid(os.geteuid()).pw_name
        self.password = password
        self.upload = d / "upload"
        self.upload.mkdir(exist_ok=True)
        self.host_key = d / "host_ed25519"
        self.client_key = d / "client_ed25519"
        for k in (self.host_key, self.client_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(k)],
                           check=True)
        shutil.copy(f"{self.client_key}.pub", d / "authorized_keys")
        self.known_hosts = d / "known_hosts"
        pub = Path(f"{self.host_key}.pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {pub[0]} {pub[1]}\n")
        (d / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.host_key}\n"
            f"PidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\nStrictModes no\n"
            f"UsePAM no\nPasswordAuthentication {'yes' if password else 'no'}\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin yes\n"
            "Subsystem sftp internal-sftp\nLogLevel VERBOSE\n")
        if password:
            self._namespace_files(password)

    def _namespace_files(self, password):
        run = self.dir / "run"
        (run / "sshd").mkdir(parents=True, exist_ok=True)
        os.chmod(run / "sshd", 0o755)
        hashed = subprocess.run(["openssl", "passwd", "-6", password], check=True,
                                capture_output=True, text=True).stdout.strip()
        lines = Path("/etc/shadow").read_text().splitlines()
        lines = [f"root:{hashed}:" + ":".join(line.split(":")[2:]) if line.startswith("root:")
                 else line for line in lines]
        shadow = self.dir / "shadow"
        shadow.write_text("\n".join(lines) + "\n")
        os.chmod(shadow, 0o600)

    def stop(self):
        """Down means down: the sessions (sshd's children) go too, not only
        the listener, or a client's open connection would outlive the outage."""
        if self.proc and self.proc.poll() is None:
            for pid in descendants(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        super().stop()

    def argv(self):
        sshd = ["/usr/sbin/sshd", "-D", "-e", "-f", str(self.dir / "sshd_config")]
        if not self.password and (os.geteuid() != 0 or password_possible()):
            if os.geteuid() == 0:  # as root without namespaces sshd needs the system's
                os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # (a fresh chroot has none)
            return sshd
        # root: sshd wants /run/sshd (and, for a password, the shadow copy)
        (self.dir / "run" / "sshd").mkdir(parents=True, exist_ok=True)
        mounts = f"mount --bind {self.dir}/run /run"
        if self.password:
            mounts += f" && mount --bind {self.dir}/shadow /etc/shadow"
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                f"{mounts} && exec {' '.join(sshd)}"]
