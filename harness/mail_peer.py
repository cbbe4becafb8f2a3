"""An SMTP server played by Debian's aiosmtpd (an independent implementation) for
the report tests: python3 mail_peer.py PORT OUTDIR MODE [CERT KEY [USER PASSWORD]].

MODE plain: SMTP without TLS; starttls: STARTTLS offered and required before
MAIL (and AUTH, when USER/PASSWORD are given, required too); smtps: TLS from the
first byte. Every accepted message is written whole to OUTDIR/<n>.eml (written
to a temporary name and renamed, so a reader never sees half a message) before
the server answers 250, so a message the gateway counts as delivered is there."""
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = len([f for f in os.listdir(outdir) if f.endswith(".eml")])
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            path = os.path.join(self.outdir, f"{self.n:05d}-{os.getpid()}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and \
            auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok)
    return check


def main():
    port, outdir, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    kwargs = {}
    if mode in ("starttls", "smtps"):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        if mode == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True)
        else:
            kwargs.update(ssl_context=ctx)
    if len(sys.argv) > 7:
        kwargs.update(authenticator=authenticator(sys.argv[6], sys.argv[7]), auth_required=True)
    server = Controller(Recorder(outdir), hostname="127.0.0.1", port=port, **kwargs)
    server.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    server.stop()


main()
