"""The web UI (gateway/north/web/ui/, docs/web.md) in a real browser: Debian's
headless Chromium driven by Selenium (chromedriver) against gwd under the bench,
on real time (the browser does its own socket I/O), at 1280x800.

One plant, one gwd, one browser for the whole module; the tests run in file order
and each leaves the browser where the next one starts:
- log in as admin, change the initial password (the UI forces it)
- the dashboard and the meter list show the plant's meters, read, with the volume
  the plant's telegram carries (decoded here from the fixture's bytes)
- a meter's page draws its history (canvas painted, every point the plant's value)
- events (the login's audit event), users (a viewer added through the UI), certificate
- a secondary scan started from the UI finds the plant's identification numbers
- the readout interval changed in configuration mode (a bad value first: its line
  shown), diffed and applied; the store then shows the new interval
- the viewer logs in, changes the password, and is refused the configuration page

Every page is saved as a PNG in BUILD/test-results/web-ui/ (a CI job keeps that
folder); docs/web-*.png are copies of some of them."""
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import peers
from ports import free_port, wait_port
from test_web_api import INITIAL, PASSWORDS

webdriver = peers.module("selenium.webdriver", "python3-selenium", module_level=True)
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

FIXTURE = "fixtures/mbus/acw_itron_bm_plus_m.hex"
IDS = ["21000001", "21000002", "21000003"]  # the plant's identification numbers
METERS = {"water1": 5, "water2": 6, "water3": 7}  # name -> primary address, as configured

SCENARIO = """\
name: the web UI in a browser while the bench's M-Bus meters are read
clock: real
duration: 400s
plant:
  segments:
    - name: bus1
      baud: 9600
      slaves:
        - {{primary: 5, count: 3, id: "{id0}", telegrams: [{root}/{fixture}]}}
gateway:
  gateway: {{name: webui, store: "${{workdir}}/gw.db", datahub_dump: "${{workdir}}/datahub.json"}}
  mbus:
    - {{name: bus1, device: "${{bus1}}", baud: 9600, interval: 2s,
       meters: [{meters}]}}
  web: {{bind: 127.0.0.1, port: {port}, state_dir: "${{workdir}}/web", initial_password: {initial}}}
expect:
  - meter: {{name: water1, status: ok, serial: "{id0}"}}
"""


# ---- the oracle: the plant's value, from the fixture's bytes (EN 13757-3) ----
DATA_LEN = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 4, 6: 6, 7: 8, 9: 1, 10: 2, 11: 3, 12: 4, 14: 6}


def fixture_frame(path):
    line = next(l for l in Path(path).read_text().splitlines() if l.strip() and not l.startswith("#"))
    return bytes.fromhex(line)


def fixture_header(root):
    """Manufacturer (three letters, EN 13757-3 5.6) and version of the fixture's long header."""
    frame = fixture_frame(root / FIXTURE)
    m = int.from_bytes(frame[11:13], "little")
    return "".join(chr(((m >> s) & 31) + 64) for s in (10, 5, 0)), frame[13]


def fixture_records(path):
    """(dif, vif, data bytes) of each data record of the fixture's first RSP_UD."""
    frame = fixture_frame(path)
    body = frame[4 + 3 + 12:-2]  # 68 L L 68, C A CI, the 12-byte long header ... CS 16
    out, i = [], 0
    while i < len(body) and body[i] not in (0x0F, 0x1F):
        dif = body[i]
        i += 1
        while body[i - 1] & 0x80:  # DIFEs
            i += 1
        vif = body[i]
        i += 1
        if vif in (0xFB, 0xFD):  # the extension tables: one more code
            i += 1
        while body[i - 1] & 0x80:  # VIFEs
            i += 1
        n = DATA_LEN[dif & 0x0F]
        out.append((dif, vif, body[i:i + n]))
        i += n
    return out


def plant_volume(root):
    """The current volume (DIF 04, VIF 0001 0nnn: 10^(nnn-6) m3) and its record index."""
    for index, (dif, vif, data) in enumerate(fixture_records(root / FIXTURE)):
        if dif == 0x04 and vif & 0xF8 == 0x10:
            return index, int.from_bytes(data, "little") * 10.0 ** ((vif & 7) - 6)
    raise AssertionError("the fixture has no current volume record")


# ---- the browser and the bench ----
class Ui:
    def __init__(self, driver, base, shots, run, root):
        self.d, self.base, self.shots, self.run, self.root = driver, base, shots, run, root

    def go(self, page):
        """Show the page, drawn anew (a hash equal to the current one is no navigation)."""
        self.d.execute_script("if (location.hash === '#/' + arguments[0]) route(); else location.hash = '#/' + arguments[0];",
                              page)
        return self.until(lambda d: d.execute_script("return document.body.dataset.page") == page.split("/")[0])

    def until(self, cond, seconds=20.0, what=None):
        # a polled page redraws itself: an element found a moment ago may be gone
        return WebDriverWait(self.d, seconds, poll_frequency=0.2,
                             ignored_exceptions=[StaleElementReferenceException]).until(
            cond, what or getattr(cond, "__name__", "condition"))

    def el(self, css, seconds=20.0):
        return self.until(lambda d: d.find_element(By.CSS_SELECTOR, css), seconds, f"element {css}")

    def text(self, css):
        return self.el(css).text

    def shot(self, name):
        path = self.shots / f"{name}.png"
        assert self.d.save_screenshot(str(path)), path
        assert path.stat().st_size > 5000, path  # a painted page, not an empty one

    def login(self, user, password):
        self.go("login")
        for css, text in (("#login-user", user), ("#login-password", password)):
            self.el(css).clear()
            self.el(css).send_keys(text)
        self.el("#login-submit").click()

    def change_password(self, old, new):
        self.until(lambda d: d.execute_script("return document.body.dataset.page") == "password")
        self.el("#password-old").send_keys(old)
        self.el("#password-new").send_keys(new)
        self.el("#password-again").send_keys(new)
        self.el("#password-submit").click()


def browser():
    chromium = peers.program("chromium", "chromium")
    driver_path = peers.program("chromedriver", "chromium-driver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--window-size=1280,800", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--force-device-scale-factor=1", "--lang=en-US"):
        opts.add_argument(arg)
    opts.accept_insecure_certs = True  # gwd's self-signed certificate
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    # the page itself 1280x800 (the window size includes the browser's own frame)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    return driver


@pytest.fixture(scope="module")
def ui(request, tmp_path_factory):
    h = request.config._hil
    shots = h.build / "test-results" / "web-ui"
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    tmp = tmp_path_factory.mktemp("web_ui")
    port = free_port()
    meters = ", ".join(f"{{name: {n}, primary: {p}}}" for n, p in METERS.items())
    scenario = tmp / "web_ui.yaml"
    scenario.write_text(SCENARIO.format(root=h.root, fixture=FIXTURE, id0=IDS[0], meters=meters,
                                        port=port, initial=INITIAL))
    run = tmp / "run"
    hil = subprocess.Popen([str(h.hil), "run", "--workdir", str(run), str(scenario)], cwd=h.root,
                           env={"HIL_GWD": h.gwd, "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    driver = None
    try:
        assert wait_port(port, 20), "gwd's web server did not start"
        driver = browser()
        yield Ui(driver, f"https://127.0.0.1:{port}", shots, run, h.root)
    finally:
        if driver:
            driver.quit()
        if hil.poll() is None:
            hil.send_signal(signal.SIGINT)  # ends the run as if its duration were over
        out, _ = hil.communicate(timeout=60)
        (shots / "hil.out").write_text(out)
    # Stopped before its duration (SIGINT), hil says so in one FAIL line and exits 3;
    # every other verdict (the gateway's clean exit, the plant's expectations) must pass.
    fails = [l for l in out.splitlines() if l.strip().startswith("FAIL") and "interrupted at" not in l]
    assert hil.returncode in (0, 3) and not fails and "exited cleanly" in out, out


# ---- the steps ----
def test_login_forces_the_password_change(ui):
    ui.d.get(ui.base + "/")
    ui.until(lambda d: d.execute_script("return document.body.dataset.page") == "login")
    ui.shot("login")
    ui.login("admin", "wrong-password-1")
    assert ui.until(lambda d: d.find_element(By.ID, "login-error").text) == "wrong user or password"
    ui.login("admin", INITIAL)
    ui.until(lambda d: d.execute_script("return document.body.dataset.page") == "password")
    assert not ui.el("#top").is_displayed()  # nothing else until the password is changed
    ui.shot("password")
    ui.el("#password-old").send_keys(INITIAL)
    ui.el("#password-new").send_keys("short")
    ui.el("#password-again").send_keys("short")
    ui.el("#password-submit").click()
    assert "8 characters" in ui.until(lambda d: d.find_element(By.ID, "password-error").text)
    ui.go("password")
    ui.change_password(INITIAL, PASSWORDS["admin"])
    ui.until(lambda d: d.execute_script("return document.body.dataset.page") == "dashboard")
    assert ui.text("#who") == "admin (admin)"


def test_dashboard_shows_the_plant(ui):
    ui.go("dashboard")
    n = str(len(METERS))
    ui.until(lambda d: d.find_element(By.CSS_SELECTOR, "#tile-ok .big").text == n, 30, f"{n} meters read")
    assert ui.text("#tile-total .big") == n and ui.text("#tile-not-read .big") == "0"
    row = ui.el("#buses tr[data-bus$='bus1']")
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert int(cells[1]) >= 1 and cells[2] != "never"  # cycles, last cycle
    # requests, meters read and not read (counted over every cycle so far)
    assert int(cells[3]) >= len(METERS) and int(cells[5]) >= len(METERS) and cells[6] == "0"
    assert ui.text("#brand") == "webui"
    ui.shot("dashboard")


def test_meter_list_shows_the_plant_values(ui):
    index, volume = plant_volume(ui.root)
    ui.go("meters")
    ui.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#meters tbody tr")) == len(METERS))
    for k, (name, primary) in enumerate(METERS.items()):
        row = ui.el(f"#meters tr[data-meter='{name}']")
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        assert cells[1] == "ok" and "status-ok" in row.get_attribute("class")
        assert cells[3] == str(primary)
        assert cells[4].startswith(str(int(IDS[0]) + k))  # the plant's id heads the secondary address
        assert f"{volume:g} m3" in cells[8], cells
    ui.el("#meter-search").send_keys("water2")
    ui.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#meters tbody tr")) == 1)
    assert ui.text("#meter-count") == f"1 of {len(METERS)} meters"
    ui.el("#meter-search").clear()
    ui.el("#meter-search").send_keys("x")  # clear() fires no input event; type, then erase
    ui.el("#meter-search").send_keys("\b")
    ui.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#meters tbody tr")) == len(METERS))
    ui.shot("meters")


def test_meter_page_draws_its_history(ui):
    index, volume = plant_volume(ui.root)
    point = f"water1/{index}"
    ui.go("meters")
    ui.el("#meters tr[data-meter='water1'] a").click()
    ui.until(lambda d: d.execute_script("return document.body.dataset.page") == "meter")
    row = ui.el(f"#records tr[data-point='{point}']")
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == "volume" and float(cells[2]) == pytest.approx(volume) and cells[3] == "m3"
    Select(ui.el("#chart-point")).select_by_value(point)
    ys = ui.until(lambda d: d.execute_script(
        "const c = Chart.getChart(document.getElementById('history-chart'));"
        "return c && c.data.datasets[0].data.length ? c.data.datasets[0].data.map(p => p.y) : null;"))
    assert len(ys) > 0 and all(y == pytest.approx(volume) for y in ys), ys
    painted = ui.d.execute_script(
        "const c = document.getElementById('history-chart'); const g = c.getContext('2d');"
        "const px = g.getImageData(0, 0, c.width, c.height).data; let n = 0;"
        "for (let i = 3; i < px.length; i += 4) n += px[i] > 0; return [n, c.width, c.height];")
    assert painted[1] > 600 and painted[2] > 200 and painted[0] > 2000, painted  # axes, labels, line
    assert int(ui.el("#history-chart").get_attribute("data-points")) == len(ys)
    ui.shot("meter")


def test_events_users_and_certificate_pages(ui):
    ui.go("events")
    ui.el("#ev-source").send_keys("web")
    ui.el("#ev-kind").send_keys("login")
    ui.el("#ev-kind").submit()
    ui.until(lambda d: any("user admin" in r.text for r in d.find_elements(By.CSS_SELECTOR, "#events tr.kind-login")))
    ui.shot("events")
    ui.go("users")
    form = ui.el("#user-add")
    form.find_element(By.NAME, "name").send_keys("view")
    Select(form.find_element(By.NAME, "role")).select_by_value("viewer")
    form.find_element(By.NAME, "password").send_keys("first-view-1")
    form.find_element(By.TAG_NAME, "button").click()
    row = ui.el("#users tr[data-user='view']")
    assert "must change the password" in row.text
    assert Select(row.find_element(By.TAG_NAME, "select")).first_selected_option.text == "viewer"
    assert {r.get_attribute("data-role") for r in ui.d.find_elements(By.CSS_SELECTOR, "#roles tbody tr")} >= \
        {"admin", "operator", "viewer", "data_reader"}
    ui.shot("users")
    ui.go("certificate")
    assert "CN=webui" in ui.text("#cert")
    ui.shot("certificate")


def test_scan_finds_the_plant_meters(ui):
    ui.go("scans")
    Select(ui.el("#scan-bus")).select_by_value("bus1")
    Select(ui.el("#scan-kind")).select_by_value("secondary")
    ui.el("#scan-start").click()
    ui.el("#scan-progress[data-state='running']", 10)
    ui.shot("scan-running")
    ui.el("#scan-progress[data-state='done']", 180)
    rows = [[c.text for c in r.find_elements(By.TAG_NAME, "td")]
            for r in ui.d.find_elements(By.CSS_SELECTOR, "#scan-found tbody tr")]
    assert {r[0][:8] for r in rows} == set(IDS), rows
    manufacturer, version = fixture_header(ui.root)  # the ids are the plant's, the rest the telegram's
    assert all(r[2] == manufacturer and r[3] == str(version) for r in rows), (manufacturer, version, rows)
    assert ui.text("#scan-found-count") == str(len(IDS))
    ui.shot("scan-done")


def readout_gaps(run, since_ns):
    with sqlite3.connect(run / "gw.db") as db:
        ts = [r[0] for r in db.execute("SELECT DISTINCT ts_ns FROM readings WHERE point='water1/1' AND ts_ns > ?"
                                       " ORDER BY ts_ns", (since_ns,))]
    return [(b - a) / 1e9 for a, b in zip(ts, ts[1:])]


def test_config_mode_changes_the_readout_interval(ui):
    ui.go("config")
    ui.el("#config-enter").click()
    area = ui.el("#config-yaml")
    assert "you hold the configuration mode" in ui.text("#config-mode")
    text = area.get_attribute("value")
    # the file as gwd keeps it (YAML; the bench writes it in JSON style): bus1's interval
    m = re.search(r'("?interval"?:\s*)("?)2s("?)', text)
    assert m, text
    line = text[:m.start()].count("\n") + 1
    edited = lambda value: text[:m.start()] + m.group(1) + m.group(2) + value + m.group(3) + text[m.end():]
    ui.d.execute_script("arguments[0].value = arguments[1];", area, edited("banana"))
    ui.el("#config-validate").click()
    err = ui.el(f"#config-errors li[data-line='{line}']")
    assert "interval" in err.text
    ui.shot("config-error")
    ui.d.execute_script("arguments[0].value = arguments[1];", area, edited("4s"))
    ui.el("#config-diff-btn").click()
    diff = ui.text("#config-diff")
    assert re.search(r'^-.*interval"?:\s*"?2s', diff, re.M) and re.search(r'^\+.*interval"?:\s*"?4s', diff, re.M), diff
    ui.shot("config-diff")
    ui.el("#config-apply").click()
    assert "mbus" in ui.text("#config-applied")
    applied = time.time_ns()
    time.sleep(13)  # three readouts at the new interval
    gaps = readout_gaps(ui.run, applied + 1_000_000_000)
    assert len(gaps) >= 2 and all(3.5 <= g <= 5.5 for g in gaps), gaps
    ui.go("config")
    assert re.search(r'interval"?:\s*"?4s', ui.el("#config-running").get_attribute("value"))
    assert ui.text("#config-mode") == "nobody holds the configuration mode"
    ui.shot("config")


def test_viewer_is_refused_the_configuration_page(ui):
    ui.el("#logout").click()
    ui.until(lambda d: d.execute_script("return document.body.dataset.page") == "login")
    ui.login("view", "first-view-1")
    ui.change_password("first-view-1", PASSWORDS["view"])
    ui.until(lambda d: d.execute_script("return document.body.dataset.page") == "dashboard")
    nav = {a.get_attribute("data-page"): a.is_displayed() for a in ui.d.find_elements(By.CSS_SELECTOR, "#nav a")}
    assert nav["dashboard"] and nav["meters"] and not nav["config"] and not nav["users"], nav
    ui.go("config")
    assert ui.text("#page-error") == "role viewer may not GET /api/v1/config"
    assert not ui.d.find_elements(By.ID, "config-enter")
    ui.shot("viewer-config-refused")
