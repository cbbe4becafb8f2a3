"""An FTP server played by Debian's pyftpdlib (an independent implementation) for
the report tests: python3 ftp_peer.py PORT ROOT MODE USER PASSWORD [CERT KEY].

MODE plain: FTP; explicit: FTPS with AUTH TLS, required on the control channel
and PROT P on the data channel; implicit: TLS from the first byte (pyftpdlib has
no implicit mode of its own: the handler secures the connection at once and
sends its banner when the handshake is done)."""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer


class DataHandler(TLS_DTPHandler):
    """pyftpdlib 1.5.7 closes a data connection that is readable before its
    transfer command arrived; a TLS client (libcurl) starts the data
    connection's handshake at once, so keep it open while the handshake runs."""

    def readable(self):
        if self._ssl_accepting or self._ssl_want_read:
            return True
        return super().readable()


class ImplicitTLSHandler(TLS_FTPHandler):
    def handle(self):
        self.secure_connection(self.ssl_context)

    def handle_ssl_established(self):
        FTPHandler.handle(self)  # the banner, now over TLS


def main():
    port, root, mode, user, password = sys.argv[1:6]
    auth = DummyAuthorizer()
    auth.add_user(user, password, root, perm="elradfmwMT")
    if mode == "plain":
        handler = FTPHandler
    else:
        handler = ImplicitTLSHandler if mode == "implicit" else TLS_FTPHandler
        handler.certfile, handler.keyfile = sys.argv[6], sys.argv[7]
        handler.dtp_handler = DataHandler
        handler.tls_control_required = True
        handler.tls_data_required = True
    handler.authorizer = auth
    handler.passive_ports = None
    server = FTPServer(("127.0.0.1", int(port)), handler)
    print("ready", flush=True)
    server.serve_forever()


main()
