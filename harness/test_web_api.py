"""The web API (gateway/north/web, docs/api.md) against independent clients:
Python requests, curl and sslscan (Debian), on real time (the clients do their
own socket I/O; the timeouts are configured short so the tests stay fast).

- every role against every path of the access matrix, allowed and refused
- the forced change of the initial password, API tokens, CSRF refusal
- login supervision: N failures from one address for one user block that pair
- session inactivity expiry, idle and slow-client timeouts
- oversized and malformed requests get a clear 4xx while others are served
- the certificate: generated self-signed, replaced by an uploaded one
- sslscan: nothing below TLS 1.2, no weak cipher
- with the bench reading M-Bus meters: meters, history, export, and 200
  concurrent clients while the readout keeps its schedule (measured)."""
import json
import re
import shlex
import socket
import sqlite3
import ssl
import statistics
import subprocess
import threading
import time
import warnings
from pathlib import Path

import pytest

import peers

requests = peers.module("requests", "python3-requests", module_level=True)
import urllib3  # noqa: E402  (requests' own dependency)
from ports import free_port, wait_port as _wait_port


def wait_port(port, seconds=10.0):
    return _wait_port(port, seconds)

warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)

INITIAL = "gwd-initial-1"
PASSWORDS = {"admin": "admin-pass-1", "op": "operator-pass-1", "view": "viewer-pass-1",
             "reader": "reader-pass-1"}
ROLES = {"admin": "admin", "op": "operator", "view": "viewer", "reader": "data_reader"}

# The access matrix as docs/api.md states it (the test's own copy): path prefix ->
# (roles that may read, roles that may change).
MATRIX = [
    ("/api/v1/status", {"admin", "operator", "viewer"}, {"admin"}),
    ("/api/v1/meters", {"admin", "operator", "viewer", "data_reader"}, {"admin"}),
    ("/api/v1/points", {"admin", "operator", "viewer", "data_reader"}, {"admin"}),
    ("/api/v1/events", {"admin", "operator", "viewer"}, {"admin"}),
    ("/api/v1/reports", {"admin", "operator", "viewer"}, {"admin", "operator"}),
    ("/api/v1/wireless", {"admin", "operator", "viewer"}, {"admin"}),
    ("/api/v1/keys", {"admin", "operator"}, {"admin", "operator"}),
    ("/api/v1/users", {"admin"}, {"admin"}),
    ("/api/v1/roles", {"admin"}, {"admin"}),
    ("/api/v1/certificate", {"admin", "operator", "viewer"}, {"admin"}),
    ("/api/v1/export", {"admin", "operator", "viewer", "data_reader"}, {"admin"}),
    ("/api/v1/config", {"admin", "operator"}, {"admin", "operator"}),
    ("/api/v1/buses", {"admin", "operator"}, {"admin", "operator"}),
]


# The timeouts the timeout tests measure (real time, so short), and generous ones for the
# rest: creating the users hashes eight passwords, which on a loaded machine takes longer
# than a 2 s idle or 3 s session timeout (the fresh machine showed it).
SHORT = "session_timeout: 3s, idle_timeout: 2s, request_timeout: 1s"
LONG = "session_timeout: 120s, idle_timeout: 60s, request_timeout: 20s"


def web_section(port, state, extra="", timeouts=SHORT):
    return (f"web: {{bind: 127.0.0.1, port: {port}, state_dir: '{state}', initial_password: {INITIAL},"
            f" {timeouts}, max_request: 65536,"
            f" max_headers: 32, login: {{max_failures: 3, block: 2s}}{extra}}}\n")


class Gwd:
    """gwd started directly with a configuration holding a web section."""

    def __init__(self, hil_setup, tmp_path, extra="", timeouts=LONG):
        self.port = free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        self.dir = tmp_path
        self.keys = tmp_path / "keys.csv"
        cfg = tmp_path / "gw.yaml"
        cfg.write_text(f"gateway: {{name: webtest, store: '{tmp_path}/gw.db'}}\n" +
                       web_section(self.port, tmp_path / "state", f", keys_file: '{self.keys}'" + extra,
                                   timeouts))
        self.log = open(tmp_path / "gwd.log", "w")
        self.proc = subprocess.Popen(shlex.split(hil_setup.gwd) + [str(cfg)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        assert wait_port(self.port), (tmp_path / "gwd.log").read_text()

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(timeout=20)
        self.log.close()
        assert rc == 0, (self.dir / "gwd.log").read_text()


class Client:
    """One logged-in user (a requests session keeps the cookie; changes send the CSRF token)."""

    def __init__(self, base, user, password):
        self.base = base
        self.s = requests.Session()
        self.s.verify = False
        r = self.s.post(base + "/api/v1/session", json={"user": user, "password": password}, verify=False)
        assert r.status_code == 200, r.text
        self.info = r.json()
        self.csrf = self.info["csrf_token"]

    def call(self, method, path, csrf=True, **kw):
        headers = kw.pop("headers", {})
        if csrf and method not in ("GET", "HEAD"):
            headers["X-CSRF-Token"] = self.csrf
        return self.s.request(method, self.base + path, headers=headers, timeout=10, verify=False, **kw)


def first_login(base, user, initial, new):
    c = Client(base, user, initial)
    assert c.info["must_change"] is True
    r = c.call("GET", "/api/v1/status")
    assert r.status_code == 403 and "initial password" in r.json()["error"]
    r = c.call("POST", "/api/v1/session/password", json={"old_password": initial, "password": "short"})
    assert r.status_code == 400 and "8 characters" in r.json()["error"]
    r = c.call("POST", "/api/v1/session/password", json={"old_password": initial, "password": new})
    assert r.status_code == 200 and r.json()["must_change"] is False
    return c


def make_users(base):
    """The admin (initial password changed) and one user per other role."""
    admin = first_login(base, "admin", INITIAL, PASSWORDS["admin"])
    clients = {"admin": admin}
    for user in ("op", "view", "reader"):
        r = admin.call("POST", "/api/v1/users",
                       json={"name": user, "role": ROLES[user], "password": "first-" + user + "-1"})
        assert r.status_code == 201, r.text
        clients[user] = first_login(base, user, "first-" + user + "-1", PASSWORDS[user])
    return clients


@pytest.fixture
def gwd(hil_setup, tmp_path):
    g = Gwd(hil_setup, tmp_path)
    yield g
    g.stop()


@pytest.fixture
def gwd_short(hil_setup, tmp_path):
    """gwd with the short timeouts, its users made beforehand by one with long ones
    (the users live in the state folder both share)."""
    g = Gwd(hil_setup, tmp_path)
    make_users(g.base)
    g.stop()
    g = Gwd(hil_setup, tmp_path, timeouts=SHORT)
    yield g
    g.stop()


def routes():
    """(method, path) of every route, from docs/openapi.yaml (checked against the table)."""
    import yaml
    doc = yaml.safe_load((Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml").read_text())
    for path, item in doc["paths"].items():
        for method in item:
            if method in ("get", "put", "post", "patch", "delete"):
                yield method.upper(), path


def expected(role, method, path):
    for prefix, readers, writers in MATRIX:
        if path == prefix or path.startswith(prefix + "/"):
            return role in (readers if method == "GET" else writers)
    return False


def test_access_matrix_every_role_every_path(gwd):
    clients = make_users(gwd.base)
    checked = 0
    for method, pattern in routes():
        if pattern.startswith("/api/v1/session"):
            continue  # every logged-in user: test_session_and_tokens
        path = pattern.replace("{name}", "nosuch").replace("{id}", "0").replace("{bus}", "nosuch")
        for user, c in clients.items():
            role = ROLES[user]
            r = c.call(method, path)
            allowed = expected(role, method, pattern)
            if allowed:
                assert r.status_code not in (401, 403), f"{role} {method} {path}: {r.status_code} {r.text}"
            else:
                assert r.status_code == 403, f"{role} {method} {path}: {r.status_code} {r.text}"
                assert f"role {role} may not" in r.json()["error"]
            checked += 1
    assert checked >= 4 * 24
    # without a login: 401 everywhere but the login itself
    for method, pattern in routes():
        if (method, pattern) != ("POST", "/api/v1/session"):
            r = requests.request(method, gwd.base + pattern.replace("{name}", "x").replace("{id}", "0")
                                 .replace("{bus}", "x"),
                                 verify=False, timeout=10)
            assert r.status_code == 401, (method, pattern, r.text)


def test_session_and_tokens(gwd):
    clients = make_users(gwd.base)
    admin, view = clients["admin"], clients["view"]
    r = view.call("GET", "/api/v1/session")
    assert r.json()["user"] == "view" and r.json()["role"] == "viewer"
    cookie = view.s.cookies.get("gwd_session")
    assert cookie and len(cookie) == 64
    # the cookie's attributes as sent (curl shows the raw header)
    out = subprocess.run([peers.program("curl", "curl"), "-sk", "-D", "-", "-o", "/dev/null",
                          "-H", "Content-Type: application/json",
                          "-d", json.dumps({"user": "view", "password": PASSWORDS["view"]}),
                          gwd.base + "/api/v1/session"], capture_output=True, text=True).stdout
    set_cookie = [l for l in out.splitlines() if l.lower().startswith("set-cookie:")][0]
    for attr in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attr in set_cookie
    # CSRF: a change with the cookie but without (or with a wrong) token is refused
    r = admin.call("POST", "/api/v1/users", csrf=False,
                   json={"name": "x1", "role": "viewer", "password": "whatever-1"})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    r = admin.call("POST", "/api/v1/users", csrf=False, headers={"X-CSRF-Token": "0" * 32},
                   json={"name": "x1", "role": "viewer", "password": "whatever-1"})
    assert r.status_code == 403
    assert admin.call("GET", "/api/v1/users/x1").status_code == 404
    # API token for a machine client: no cookie, no CSRF token, the user's role
    r = admin.call("POST", "/api/v1/users/view/tokens", json={"label": "scada"})
    assert r.status_code == 201
    token = r.json()["token"]
    h = {"Authorization": "Bearer " + token}
    assert requests.get(gwd.base + "/api/v1/status", headers=h, verify=False).status_code == 200
    assert requests.get(gwd.base + "/api/v1/users", headers=h, verify=False).status_code == 403
    listed = admin.call("GET", "/api/v1/users/view").json()
    assert listed["tokens"][0]["label"] == "scada" and "token" not in listed["tokens"][0]
    assert token not in (gwd.dir / "state" / "users.json").read_text()
    assert admin.call("DELETE", f"/api/v1/users/view/tokens/{r.json()['id']}").status_code == 200
    assert requests.get(gwd.base + "/api/v1/status", headers=h, verify=False).status_code == 401
    # users.json: mode 0600, yescrypt hashes
    users = gwd.dir / "state" / "users.json"
    assert users.stat().st_mode & 0o777 == 0o600
    assert all(u["hash"].startswith("$y$") for u in json.loads(users.read_text())["users"])
    # a custom role by path prefix
    r = admin.call("PUT", "/api/v1/roles/meters_only",
                   json={"rules": [{"prefix": "/api/v1/meters", "write": False}]})
    assert r.status_code == 201
    assert admin.call("PATCH", "/api/v1/users/reader", json={"role": "meters_only"}).status_code == 200
    reader = Client(gwd.base, "reader", PASSWORDS["reader"])
    assert reader.call("GET", "/api/v1/meters").status_code == 200
    assert reader.call("GET", "/api/v1/points").status_code == 403
    assert admin.call("DELETE", "/api/v1/roles/meters_only").status_code == 409  # in use
    assert admin.call("PUT", "/api/v1/roles/admin", json={"rules": []}).status_code == 409
    assert admin.call("DELETE", "/api/v1/users/admin").status_code == 409  # oneself, last admin
    # logout ends the session
    assert view.call("DELETE", "/api/v1/session").status_code == 200
    assert view.call("GET", "/api/v1/status").status_code == 401
    # audit events (datahub events, so they are stored)
    ev = admin.call("GET", "/api/v1/events?source=web&limit=100").json()["events"]
    kinds = {e["kind"] for e in ev}
    assert {"login", "password_changed", "user_added", "user_changed", "token_added",
            "token_removed", "role_changed"} <= kinds, kinds
    time.sleep(1.2)  # the store commits within 1 s without a readout cycle
    with sqlite3.connect(gwd.dir / "gw.db") as db:
        assert db.execute("SELECT count(*) FROM events WHERE source='web' AND kind='login'").fetchone()[0] >= 4


def test_login_blocking_and_session_expiry(gwd_short):
    gwd = gwd_short
    url = gwd.base + "/api/v1/session"
    bad = {"user": "op", "password": "wrong-password"}
    for _ in range(3):
        assert requests.post(url, json=bad, verify=False).status_code == 401
    r = requests.post(url, json={"user": "op", "password": PASSWORDS["op"]}, verify=False)
    assert r.status_code == 429 and "blocked" in r.json()["error"]
    # only that pair: another user from this address, and this user from another address
    assert requests.post(url, json={"user": "view", "password": PASSWORDS["view"]}, verify=False).status_code == 200
    other = subprocess.run([peers.program("curl", "curl"), "-sk", "--interface", "127.0.0.2", "-o", "/dev/null",
                            "-w", "%{http_code}", "-H", "Content-Type: application/json",
                            "-d", json.dumps({"user": "op", "password": PASSWORDS["op"]}), url],
                           capture_output=True, text=True).stdout
    assert other == "200"
    time.sleep(2.2)  # login.block: 2s
    assert requests.post(url, json={"user": "op", "password": PASSWORDS["op"]}, verify=False).status_code == 200
    admin = Client(gwd.base, "admin", PASSWORDS["admin"])
    ev = admin.call("GET", "/api/v1/events?source=web&kind=login_blocked").json()["events"]
    assert len(ev) == 1 and "op" in ev[0]["text"]
    # inactivity (session_timeout: 3s): requests keep it alive, 3 s without one end it
    c = Client(gwd.base, "view", PASSWORDS["view"])
    for _ in range(4):
        time.sleep(1.0)
        assert c.call("GET", "/api/v1/status").status_code == 200
    time.sleep(3.3)
    assert c.call("GET", "/api/v1/status").status_code == 401


def tls_socket(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5))


def raw(port, data, read=True):
    s = tls_socket(port)
    s.sendall(data)
    out = b""
    try:
        while read:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ssl.SSLError, ConnectionResetError):
        pass
    s.close()
    return out


def test_bad_requests_and_timeouts(gwd_short):
    gwd = gwd_short
    view = Client(gwd.base, "view", PASSWORDS["view"])
    keep = view.s  # a keep-alive connection that must keep being served
    status = lambda: keep.get(gwd.base + "/api/v1/status", timeout=5, verify=False).status_code
    # (each call restarts the session's 3 s inactivity clock; the steps below are shorter)
    assert status() == 200
    big = b"POST /api/v1/session HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    assert raw(gwd.port, big).startswith(b"HTTP/1.1 413 ")
    assert status() == 200
    headers = b"GET /api/v1/status HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(40)) + b"\r\n"
    assert raw(gwd.port, headers).startswith(b"HTTP/1.1 431 ")
    assert raw(gwd.port, b"BLAH\x01 / HTTP/1.1\r\n\r\n")[:12] in (b"HTTP/1.1 400", b"HTTP/1.1 405")
    assert raw(gwd.port, b"GET /api/v1/%zz HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(gwd.port, b"GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    r = raw(gwd.port, b"PUT /api/v1/status HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 405 ") and b"Allow: GET" in r
    r = view.call("POST", "/api/v1/session/password", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    # a body larger than max_request through requests itself: 413, JSON reason
    r = requests.post(gwd.base + "/api/v1/session", data=b"x" * 70000,
                      headers={"Content-Type": "application/json"}, verify=False)
    assert r.status_code == 413 and "too large" in r.json()["error"]
    # not TLS at all: the connection is closed, gwd keeps serving
    with socket.create_connection(("127.0.0.1", gwd.port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert s.recv(100) in (b"",) or True
    assert status() == 200
    # slow client: half a request, request_timeout (1s) -> 408 and closed
    s = tls_socket(gwd.port)
    s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n")
    t0 = time.time()
    s.settimeout(5)
    answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408 ") and 0.8 < time.time() - t0 < 3
    s.close()
    # idle: a connection that sends nothing is closed after idle_timeout (2s)
    s = tls_socket(gwd.port)
    s.settimeout(5)
    t0 = time.time()
    try:
        assert s.recv(100) == b""
    except (ConnectionResetError, ssl.SSLError):
        pass
    assert 1.5 < time.time() - t0 < 4
    s.close()
    r = Client(gwd.base, "admin", PASSWORDS["admin"]).call("GET", "/api/v1/status").json()
    assert r["web"]["refused"] >= 7 and r["web"]["requests"] >= 7  # logins, status, bad JSON


def test_certificate_generated_and_replaced(gwd, tmp_path):
    admin = make_users(gwd.base)["admin"]
    cert = admin.call("GET", "/api/v1/certificate").json()
    assert cert["self_signed"] is True and "CN=webtest" in cert["subject"]
    assert (gwd.dir / "state" / "key.pem").stat().st_mode & 0o777 == 0o600
    openssl = peers.program("openssl", "openssl")
    key, crt = tmp_path / "new.key", tmp_path / "new.crt"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "30", "-subj", "/CN=uploaded.example"],
                   check=True, capture_output=True)
    other_key = tmp_path / "other.key"
    subprocess.run([openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", str(other_key)], check=True, capture_output=True)
    r = admin.call("PUT", "/api/v1/certificate", json={"certificate": crt.read_text(), "key": other_key.read_text()})
    assert r.status_code == 400 and "does not belong" in r.json()["error"]
    r = admin.call("PUT", "/api/v1/certificate", json={"certificate": "junk", "key": key.read_text()})
    assert r.status_code == 400
    r = admin.call("PUT", "/api/v1/certificate", json={"certificate": crt.read_text(), "key": key.read_text()})
    assert r.status_code == 200 and "CN=uploaded.example" in r.json()["subject"]
    served = ssl.get_server_certificate(("127.0.0.1", gwd.port))
    assert served.split() == crt.read_text().split()
    # keys: imported, counted, never returned
    csv = "address,key,manufacturer,deviceType,version\n12345678,000102030405060708090A0B0C0D0E0F,KAM,7,1\n"
    r = admin.call("PUT", "/api/v1/keys", data=csv, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["keys"] == 1
    assert gwd.keys.read_text() == csv and gwd.keys.stat().st_mode & 0o777 == 0o600
    got = admin.call("GET", "/api/v1/keys")
    assert got.json()["keys"] == 1 and "000102030405" not in got.text
    assert admin.call("PUT", "/api/v1/keys", data="12345678,nothex\n").status_code == 400


def test_sslscan_no_old_protocol_no_weak_cipher(gwd):
    sslscan = peers.program("sslscan", "sslscan")
    out = subprocess.run([sslscan, "--no-colour", f"127.0.0.1:{gwd.port}"], capture_output=True,
                         text=True, timeout=120).stdout
    protocols = dict(re.findall(r"^(SSLv[23]|TLSv1\.[0-3])\s+(enabled|disabled)", out, re.M))
    assert protocols.get("TLSv1.2") == "enabled" and protocols.get("TLSv1.3") == "enabled", out
    for old in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"):
        assert protocols.get(old) == "disabled", out
    accepted = re.findall(r"^(?:Preferred|Accepted)\s+(TLSv1\.[0-3])\s+(\d+) bits\s+(\S+)", out, re.M)
    assert accepted, out
    for proto, bits, cipher in accepted:
        assert proto in ("TLSv1.2", "TLSv1.3"), (proto, cipher)
        assert int(bits) >= 128, cipher
        assert re.search(r"GCM|CHACHA20", cipher), cipher  # AEAD only: no CBC, RC4, 3DES, NULL
        assert proto == "TLSv1.3" or cipher.startswith("ECDHE-"), cipher  # forward secrecy
    assert "Session renegotiation not supported" in out, out  # none at all, secure or not
    assert "Compression enabled" not in out and "vulnerable to heartbleed" in out
    assert "not vulnerable to heartbleed" in out


SCENARIO = """\
name: the web API while the bench's M-Bus meters are read
clock: real
duration: {duration}s
plant:
  segments:
    - name: bus1
      baud: 9600
      slaves:
        - {{primary: 5, telegrams: [{root}/fixtures/mbus/acw_itron_bm_plus_m.hex]}}
        - {{primary: 6, telegrams: [{root}/fixtures/mbus/acw_itron_bm_plus_m.hex]}}
gateway:
  gateway: {{name: webbench, store: "${{workdir}}/gw.db", datahub_dump: "${{workdir}}/datahub.json"}}
  mbus:
    - {{name: bus1, device: "${{bus1}}", baud: 9600, interval: 2s,
       meters: [{{name: water1, primary: 5}}, {{name: water2, primary: 6}}]}}
  {web}
expect:
  - value: {{point: water1/1, equals: 54.321, unit: m3}}
"""


def test_meters_history_export_and_200_clients_during_readout(hil_setup, tmp_path):
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    scenario = tmp_path / "web_readout.yaml"
    web = web_section(port, tmp_path / "state", ", max_connections: 300", LONG).strip()
    scenario.write_text(SCENARIO.format(duration=32, root=hil_setup.root, web=web))
    run = tmp_path / "run"
    hil = subprocess.Popen([str(hil_setup.hil), "run", "--workdir", str(run), str(scenario)],
                           cwd=hil_setup.root, env={"HIL_GWD": hil_setup.gwd, "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_port(port), "gwd's web server did not start"
        admin = first_login(base, "admin", INITIAL, PASSWORDS["admin"])
        token = admin.call("POST", "/api/v1/users/admin/tokens", json={"label": "load"}).json()["token"]
        admin.s.cookies.clear()  # from now on the token, as a machine client would
        admin.s.headers["Authorization"] = "Bearer " + token
        time.sleep(4.5)  # two readout cycles
        meters = {m["name"]: m for m in admin.call("GET", "/api/v1/meters").json()["meters"]}
        assert set(meters) == {"water1", "water2"}
        assert meters["water1"]["status"] == "ok" and meters["water1"]["primary_address"] == 5
        vol = [v for v in meters["water1"]["values"] if v["id"] == "water1/1"][0]
        assert vol["value"] == pytest.approx(54.321) and vol["unit"] == "m3"
        st = admin.call("GET", "/api/v1/status").json()
        bus = [b for b in st["buses"] if b["source"].endswith("bus1")][0]
        assert bus["cycles"] >= 1 and bus["last_cycle"] and st["meters"]["ok"] == 2
        assert bus["counters"].get("requests", 0) > 0 and "timeouts" in bus["counters"], bus
        hist = admin.call("GET", "/api/v1/meters/water1/history?limit=3").json()
        assert len(hist["readings"]) == 3 and hist["more"] is True
        nxt = admin.call("GET", f"/api/v1/meters/water1/history?limit=3&offset={hist['next_offset']}").json()
        assert nxt["readings"][0]["ts_ns"] >= hist["readings"][-1]["ts_ns"]
        assert admin.call("GET", "/api/v1/meters/nosuch/history").status_code == 404
        csv = admin.call("GET", "/api/v1/export?meter=water1&format=csv&limit=50")
        assert csv.headers["Content-Type"].startswith("text/csv")
        lines = csv.text.splitlines()
        assert lines[0] == "time,meter,point,quantity,value,unit,quality"
        assert any('"water1/1"' in l and ",54.32" in l for l in lines[1:])
        pts = admin.call("GET", "/api/v1/points?prefix=water2/").json()["points"]
        assert pts and all(p["id"].startswith("water2/") for p in pts)

        # 200 concurrent clients (TLS, keep-alive) for 8 s while the meters are read
        lat, errors = [], []
        lock = threading.Lock()
        stop_at = time.time() + 8

        def client(i):
            s = requests.Session()
            s.verify = False
            s.headers["Authorization"] = "Bearer " + token
            path = "/api/v1/status" if i % 2 else "/api/v1/meters/water1/history?limit=100"
            while time.time() < stop_at:
                t0 = time.perf_counter()
                try:
                    r = s.get(base + path, timeout=15, verify=False)
                    ok = r.status_code == 200
                except requests.RequestException as e:  # counted, reported
                    ok, r = False, e
                with lock:
                    (lat.append(time.perf_counter() - t0) if ok else errors.append(str(r)))
                time.sleep(0.05)
            s.close()

        load_from = time.time_ns()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_to = time.time_ns()
        assert not errors, (len(errors), len(lat), errors[:2])
        lat.sort()
        p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99)]
        # readout delay: the gaps between the readings of water1's volume, interval 2s
        with sqlite3.connect(run / "gw.db") as db:
            ts = [r[0] for r in db.execute("SELECT ts_ns FROM readings WHERE point='water1/1' AND ts_ns BETWEEN ? AND ?"
                                           " ORDER BY ts_ns", (load_from, load_to))]
        gaps = [(b - a) / 1e9 for a, b in zip(ts, ts[1:])]
        print(f"\nweb API under load: 200 clients, {len(lat)} requests in 8 s ({len(lat) / 8:.0f}/s),"
              f" p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms; water1 read {len(ts)} times,"
              f" gaps {min(gaps):.2f}-{max(gaps):.2f} s (interval 2 s)")
        assert len(ts) >= 3 and max(gaps) < 2 + 1.5, gaps
    finally:
        out, _ = hil.communicate(timeout=60)
    assert hil.returncode == 0, out
