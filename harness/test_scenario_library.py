"""A scenario library kept outside the repository (issue 26): its own fixtures,
reached through ${fixtures} (hil run --fixtures DIR, or HIL_FIXTURES) and through
paths relative to the scenario's folder; a report check without dir: reads the
report instance's folder; a wrong fixture path fails with a clear message."""
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TELEGRAM = REPO / "fixtures" / "mbus" / "acw_itron_bm_plus_m.hex"

SCENARIO = """\
name: library scenario with its own fixtures
duration: 30s
stop_after_cycles: 1
plant:
  segments:
    - name: bus1
      slaves:
        - {primary: 5, telegrams: ["${fixtures}/telegrams/water.hex"]}
        - {primary: 6, telegrams: [local/water.hex], id: "22222222"}
gateway:
  gateway: {name: qa, store: "${workdir}/gw.db", datahub_dump: "${workdir}/datahub.json"}
  mbus:
    - {name: bus1, device: "${bus1}", interval: 10m,
       meters: [{name: water1, primary: 5}, {name: water2, primary: 6}]}
  reports:
    instances:
      - {name: cycle, format: json, transport: {file: {dir: "${workdir}/out"}}}
expect:
  - value: {point: water1/1, equals: 54.321, unit: m3, quality: 0}
  - meter: {name: water2, status: ok, serial: "22222222"}
  - report: {format: json, contains: "22222222"}
"""


def make_library(tmp_path):
    """tmp/qa-fixtures/telegrams/water.hex, tmp/lib/suite/{one.yaml, local/water.hex}:
    no fixtures/ folder above the scenario, nothing inside the repository."""
    fixtures = tmp_path / "qa-fixtures"
    (fixtures / "telegrams").mkdir(parents=True)
    shutil.copy(TELEGRAM, fixtures / "telegrams" / "water.hex")
    suite = tmp_path / "lib" / "suite"
    (suite / "local").mkdir(parents=True)
    shutil.copy(TELEGRAM, suite / "local" / "water.hex")
    scenario = suite / "one.yaml"
    scenario.write_text(SCENARIO)
    assert REPO not in scenario.parents
    return fixtures, scenario


def run_hil(hil_setup, tmp_path, args, env_extra=None):
    env = dict(os.environ, HIL_GWD=hil_setup.gwd)
    env.pop("HIL_FIXTURES", None)
    env.update(env_extra or {})
    # from the library's folder, as QA would run it: not from the repository
    return subprocess.run([str(hil_setup.hil), "run", "--workdir", str(tmp_path / "run")] + args,
                          cwd=tmp_path / "lib", env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)


def test_library_with_fixtures_option(hil_setup, tmp_path):
    fixtures, scenario = make_library(tmp_path)
    p = run_hil(hil_setup, tmp_path, ["--fixtures", str(fixtures), str(scenario)])
    assert p.returncode == 0, p.stdout
    assert "PASS  value water1/1 = 54.321 m3 quality 0" in p.stdout, p.stdout
    assert "PASS  report json" in p.stdout, p.stdout
    assert "0 failed" in p.stdout
    assert list((tmp_path / "run" / "out").glob("*.json")), "no report in the instance's folder"


def test_library_with_environment(hil_setup, tmp_path):
    fixtures, scenario = make_library(tmp_path)
    p = run_hil(hil_setup, tmp_path, [str(scenario)], {"HIL_FIXTURES": str(fixtures)})
    assert p.returncode == 0, p.stdout
    assert "PASS  meter water2" in p.stdout, p.stdout


def test_wrong_fixture_path_is_named(hil_setup, tmp_path):
    fixtures, scenario = make_library(tmp_path)
    # without --fixtures, ${fixtures} is <scenario folder>/fixtures, which does not exist
    p = run_hil(hil_setup, tmp_path, [str(scenario)])
    assert p.returncode == 1, p.stdout
    want = (f"{scenario}:8:36: telegram file ${{fixtures}}/telegrams/water.hex: no file "
            f"{scenario.parent}/fixtures/telegrams/water.hex (${{fixtures}} is {scenario.parent}/fixtures; "
            "set it with hil run --fixtures DIR or HIL_FIXTURES)")
    assert want in p.stdout, p.stdout
    # a relative path found neither next to the scenario nor in a repository
    scenario.write_text(SCENARIO.replace("local/water.hex", "local/nope.hex"))
    p = run_hil(hil_setup, tmp_path, ["--fixtures", str(fixtures), str(scenario)])
    assert p.returncode == 1, p.stdout
    assert (f"telegram file local/nope.hex: no such file in the scenario's folder {scenario.parent} "
            f"nor in {scenario.parent}") in p.stdout, p.stdout
