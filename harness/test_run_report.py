"""The HTML run report (hil run --report, docs/run-report.md) in a real browser.

Three scenarios run through `hil run --report`: one written here to fail (a value the
meter does not have), the wired M-Bus collision scenario (scenarios/mbus/
collision.yaml: two slaves on one primary address) and an imported capture
(scenarios/replay/mbus_water_socat.yaml) whose recorded volume is changed here, so its
page shows a replay diff. Their pages are opened in headless
Chromium through Selenium (Debian's chromium, chromium-driver, python3-selenium) at
1280x800, and checked against what the test reads itself: the failing expectation with
its expected and observed values, the collision marks on the bus lane counted against
the trace.jsonl of the run, zooming down to single bytes, the replay diff's old and new
value, and the index with the failures first. Screenshots stay in BUILD/test-results/run-report/ (docs/run-report.md).
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import peers

ROOT = Path(__file__).resolve().parent.parent
COLLISION = ROOT / "scenarios" / "mbus" / "collision.yaml"
REPLAY = ROOT / "scenarios" / "replay" / "mbus_water_socat.yaml"
VOLUME = "meter m005 record 0 (volume, m3)"

# A 300 baud meter whose volume is 269 m3; the scenario says 270, so it fails.
FAILING = """\
name: volume expected wrong on purpose
duration: 6s
stop_after_cycles: 1
plant:
  segments:
    - name: slow
      baud: 300
      slaves:
        - {{primary: 1, telegrams: [{fixture}], response_delay: 50ms}}
gateway:
  gateway: {{name: gw1, datahub_dump: "${{workdir}}/datahub.json"}}
  mbus:
    - {{name: slow, device: "${{slow}}", baud: 300, interval: 60s, meters: [{{name: gwf, primary: 1}}]}}
expect:
  - meter: {{name: gwf, status: ok}}
  - value: {{point: gwf/1, equals: 270, unit: m3}}
"""


@pytest.fixture(scope="module")
def run(request, tmp_path_factory):
    """Both scenarios through one hil run with --report; the folders it wrote."""
    h = request.config._hil
    base = tmp_path_factory.mktemp("run_report")
    failing = base / "failing_volume.yaml"
    failing.write_text(FAILING.format(fixture=ROOT / "fixtures" / "mbus" / "gwf_mtkcoder.hex"))
    # An imported capture whose recorded volume is changed here: the run's DIFF line
    replay = base / "water_replay.yaml"
    replay.write_text(REPLAY.read_text().replace("[fixtures/", f"[{ROOT}/fixtures/"))
    recorded = json.loads(REPLAY.with_suffix(".expected.json").read_text())
    assert recorded[VOLUME] == "12.71"
    recorded[VOLUME] = "12.80"
    (base / "water_replay.expected.json").write_text(json.dumps(recorded))
    report, runs = base / "report", base / "runs"
    proc = subprocess.run([str(h.hil), "run", "-j", "1", "--workdir", str(runs), "--report", str(report),
                           str(failing), str(COLLISION), str(replay)],
                          cwd=ROOT, env={"HIL_GWD": h.gwd, "PATH": "/usr/bin:/bin"},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the failing one and the replay fail
    assert "hil: 3 scenario(s), 1 passed, 2 failed" in proc.stdout
    shots = h.build / "test-results" / "run-report"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    return {"report": report, "runs": runs, "shots": shots}


@pytest.fixture(scope="module")
def browser():
    peers.program("chromium", "chromium", module_level=True)
    driver_path = peers.program("chromedriver", "chromium-driver", module_level=True)
    webdriver = peers.module("selenium.webdriver", "python3-selenium", module_level=True)
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = peers.program("chromium", "chromium")  # never a browser fetched by Selenium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(driver_path), options=opts)
    drv.set_window_size(1280, 800)
    yield drv
    drv.quit()


def page(browser, path):
    browser.get(path.as_uri())
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == [], errors  # the page's script ran without an error
    return browser


def css(browser, selector):
    return browser.find_elements("css selector", selector)


def trace_records(run, name):
    """The run's trace, read here from its JSON lines (not through the report)."""
    lines = (run["runs"] / name / "trace.jsonl").read_text().splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def visible_range(browser):
    r = css(browser, "#range")[0]
    return float(r.get_attribute("data-v0")), float(r.get_attribute("data-v1"))


def test_failing_expectation_shows_expected_and_observed(run, browser):
    page(browser, run["report"] / "failing_volume.html")
    assert css(browser, "#status")[0].text == "FAIL"
    failed = css(browser, "#verdicts tr.verdict.fail")
    assert len(failed) == 1
    cells = [td.text for td in failed[0].find_elements("css selector", "td")]
    assert cells[0] == "FAIL"
    assert cells[1] == "value gwf/1"
    assert cells[2] == "270 m3"
    assert cells[3].startswith("269 m3")
    # the failure is the first verdict row; the passing ones follow
    rows = css(browser, "#verdicts tr.verdict")
    assert rows[0] == failed[0] and len(rows) > 1
    browser.save_screenshot(str(run["shots"] / "failing.png"))


def test_collision_marks_on_the_bus_lane(run, browser):
    recs = trace_records(run, "collision")
    expected = sum(1 for r in recs if r["ch"] == "bus1" and r["event"].startswith("collision"))
    assert expected >= 1
    page(browser, run["report"] / "collision.html")
    marks = css(browser, "rect.mark.k-collision")
    on_bus = sum(int(m.get_attribute("data-n")) for m in marks if m.get_attribute("data-lane") == "bus1")
    elsewhere = [m.get_attribute("data-lane") for m in marks if m.get_attribute("data-lane") != "bus1"]
    assert on_bus == expected
    assert elsewhere == []
    count_cell = css(browser, '#lanes tr[data-lane="bus1"] td[data-kind="collision"]')[0]
    assert int(count_cell.text) == expected
    # the meter that shares the address shows its rejected telegrams on its own lane
    assert css(browser, 'rect.mark.status[data-lane="meter twin"]')
    css(browser, "#timeline")[0].location_once_scrolled_into_view
    browser.save_screenshot(str(run["shots"] / "collision.png"))


def test_zoom_changes_the_range_down_to_bytes(run, browser):
    recs = trace_records(run, "collision")
    first = next(r for r in recs if r["ch"] == "bus1" and r["event"].startswith("collision"))
    page(browser, run["report"] / "collision.html")
    v0, v1 = visible_range(browser)
    css(browser, "#zoom-in")[0].click()
    z0, z1 = visible_range(browser)
    assert z1 - z0 == pytest.approx((v1 - v0) / 2)
    # the mouse wheel zooms in around the pointer
    browser.execute_script(
        "var b = document.getElementById('timeline'), r = b.getBoundingClientRect();"
        "b.dispatchEvent(new WheelEvent('wheel', {deltaY: -100, clientX: r.left + 600,"
        " clientY: r.top + 40, bubbles: true, cancelable: true}));")
    w0, w1 = visible_range(browser)
    assert w1 - w0 == pytest.approx((z1 - z0) * 0.8)
    # down to the bytes of the first collision: each byte a cell with its hex value
    field = css(browser, "#goto")[0]
    field.send_keys(f"{first['t_ns'] / 1e9:.6f}\n")
    for _ in range(12):
        if css(browser, "text.bytetext"):
            break
        browser.execute_script("window.hilReport.zoom(0.5, %d)" % (first["t_ns"] + (first["end_ns"] - first["t_ns"]) // 4))
    mark = next(m for m in css(browser, "rect.mark.k-collision") if m.get_attribute("data-lane") == "bus1")
    cells = {int(t.get_attribute("data-k")): t.get_attribute("textContent")
             for t in css(browser, 'text.bytetext[data-i="%s"]' % mark.get_attribute("data-i"))}
    first_bytes = first["hex"].split()
    assert cells and all(first_bytes[k] == v for k, v in cells.items())
    g0, g1 = visible_range(browser)
    assert g1 - g0 < (first["end_ns"] - first["t_ns"]) * 2
    # a click on the mark shows its bytes
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", mark)
    detail = css(browser, "#detail")[0].text
    assert detail.startswith("collision on bus1")
    assert "bytes: " + " ".join(first_bytes[:8]) in detail
    css(browser, "#timeline")[0].location_once_scrolled_into_view
    browser.save_screenshot(str(run["shots"] / "collision-bytes.png"))


def test_replay_diff_shows_old_and_new(run, browser):
    page(browser, run["report"] / "water_replay.html")
    rows = css(browser, "#diffs tr.diff")
    assert [[td.text for td in r.find_elements("css selector", "td")] for r in rows] == [
        [VOLUME, "12.80", "12.71"]]
    assert css(browser, "#status")[0].text == "FAIL"
    browser.save_screenshot(str(run["shots"] / "replay-diff.png"))


def test_index_lists_failed_first_with_counts(run, browser):
    page(browser, run["report"] / "index.html")
    assert css(browser, "#n-all")[0].text == "3"
    assert css(browser, "#n-passed")[0].text == "1"
    assert css(browser, "#n-failed")[0].text == "2"
    links = [a.get_attribute("href") for a in css(browser, "#scenarios a")]
    assert [Path(x).name for x in links] == ["failing_volume.html", "water_replay.html", "collision.html"]
    assert re.search(r"value gwf/1: expected 270 m3", css(browser, "#scenarios tr.fail")[0].text)
    browser.save_screenshot(str(run["shots"] / "index.png"))
