"""The report: Sphere needs with exact numbers, escaping, a self-contained page, PNG output,
comparisons and ensembles, the command line, and the page opened in headless Chromium.

Results folders are written from hand-made `Results` (no simulation), so every number is known;
the toy scenario names a place ``<script>alert(1)</script>`` to show that scenario strings are
escaped everywhere.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib", reason="the report needs matplotlib")

from borderflow.report import ReportError, load_runs, policy_periods, write_report
from borderflow.report.html import (
    esc,
    format_value,
    json_for_script,
    table_html,
)
from borderflow.report.needs import SPHERE_2018, daily_needs, needs_table
from borderflow.report.plots import mpl_text
from borderflow.results import Results
from borderflow.scenario import load_scenario
from borderflow.scenario.model import ObservedData

ROOT = Path(__file__).resolve().parents[1]
EVIL = "<script>alert(1)</script>"
TOWN = "Town & Co"
CAMP = "Camp 'A' $5"
START = date(2020, 1, 1)
DAYS = 10
LOCATIONS = (
    (EVIL, "R", "Home", 10.0, 10.0, "conflict_zone", 0, 1000),
    (TOWN, "R", "Home", 10.2, 11.0, "town", None, 500),
    (CAMP, "R", "Abroad", 10.5, 12.0, "camp", None, 200),
)
ROUTES = ((EVIL, TOWN, 100), (TOWN, CAMP, 100))
LINKS = (f"{EVIL}->{TOWN}", f"{TOWN}->{EVIL}", f"{TOWN}->{CAMP}", f"{CAMP}->{TOWN}")


# ---------------------------------------------------------------------------------------------
# needs: exact numbers


def test_daily_needs_in_sphere_2018_units():
    assert SPHERE_2018.name == "Sphere Handbook 2018"
    n = daily_needs(1234)
    assert n.water_litres == 18_510  # 15 L
    assert n.kcal == 2_591_400  # 2,100 kcal
    assert n.covered_m2 == 4_319.0  # 3.5 m²
    assert n.latrines == 62  # 1234 / 20 = 61.7, rounded up


@pytest.mark.parametrize(("people", "latrines"), [(0, 0), (1, 1), (20, 1), (21, 2), (40, 2)])
def test_latrines_round_up(people, latrines):
    assert daily_needs(people).latrines == latrines


def test_daily_needs_rejects_negative_counts():
    with pytest.raises(ValueError, match="people"):
        daily_needs(-1)


def test_needs_table_peaks_totals_and_order():
    dates = pd.date_range("2020-01-01", periods=3, freq="D")
    frame = pd.DataFrame({"A": [10, 30, 20], "B": [40, 0, 0], "C": [0, 0, 0]}, index=dates)
    table = needs_table(frame, total=frame.sum(axis=1).to_numpy(), total_label="all")
    assert table["place"].tolist() == ["B", "A", "all"]  # C (always empty) left out
    b, a, total = (table.iloc[i] for i in range(3))
    assert (a.peak_people, a.peak_date, a.people_last_day) == (30, date(2020, 1, 2), 20)
    assert a.water_litres_per_day_at_peak == 450 and a.kcal_per_day_at_peak == 63_000
    assert a.covered_m2_at_peak == 105.0 and a.latrines_at_peak == 2
    assert a.person_days == 60 and a.water_m3_total == 0.9 and a.kcal_total == 126_000
    assert b.peak_people == 40 and b.latrines_at_peak == 2
    # the total's peak is the peak of the daily totals (50 on day 0), not 40 + 30
    assert total.peak_people == 50 and total.peak_date == date(2020, 1, 1)
    assert total.person_days == 100 and total.water_litres_per_day_at_peak == 750


# ---------------------------------------------------------------------------------------------
# escaping


def test_esc_and_table_escape_scenario_strings():
    assert esc(EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert esc('a"b\'c&') == "a&quot;b&#x27;c&amp;"
    table = table_html(["place", "people"], [[EVIL, 1234], [TOWN, 2.5]])
    assert EVIL not in table and "&lt;script&gt;" in table
    assert "Town &amp; Co" in table and '<td class="num">1,234</td>' in table


def test_json_for_script_cannot_close_the_script_element():
    value = {"names": [EVIL, "a & b", "x\u2028y", "é"]}
    text = json_for_script(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "é" not in text
    assert json.loads(text) == value


def test_mpl_text_shows_dollars_literally():
    assert mpl_text("$x$ costs $5") == r"\$x\$ costs \$5"
    assert mpl_text("_hidden").startswith("\u200b")


def test_format_value():
    assert format_value(1234567) == "1,234,567"
    assert format_value(2.25, 1) == "2.2" or format_value(2.25, 1) == "2.3"
    assert format_value(None) == "–"
    assert format_value(date(2020, 1, 2)) == "2020-01-02"


# ---------------------------------------------------------------------------------------------
# results folders made by hand


def _results(folder: Path | None, *, scale: int = 1, seed: int = 1) -> Results:
    """Ten days: people leave EVIL for TOWN, cross to CAMP (the border closes on days 2–3)."""
    evil = np.array([0, 50, 80, 90, 60, 40, 30, 20, 10, 5]) * scale
    town = np.array([0, 10, 40, 70, 70, 60, 50, 40, 30, 20]) * scale
    camp = np.array([100, 110, 110, 110, 150, 190, 220, 250, 280, 300]) * scale
    loc = np.stack([evil, town, camp], axis=1).astype(np.int64)
    arrivals = np.zeros((DAYS, 4), dtype=np.int64)
    arrivals[:, 0] = np.array([0, 10, 30, 30, 10, 10, 10, 10, 10, 10]) * scale
    arrivals[:, 2] = np.array([0, 10, 0, 0, 40, 40, 30, 30, 30, 20]) * scale
    arrivals[:, 3] = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) * scale
    camps = np.array([[100, 120, 130, 140, 150, 160, 170, 180, 190, 200]]) * scale
    observed = ObservedData(total=np.full(DAYS, 400 * scale), new_displaced=np.zeros(DAYS),
                            camp_names=(CAMP,), camps=camps, day0_camp=np.array([100 * scale]))
    return Results(
        scenario_name="toy", start_date=START, seed=seed,
        location_names=(EVIL, TOWN, CAMP), link_names=LINKS, camp_names=(CAMP,),
        location_population=loc, link_population=np.zeros((DAYS, 4), dtype=np.int64),
        link_arrivals=arrivals, spawned=np.diff(loc.sum(axis=1), prepend=100 * scale),
        removed=np.zeros(DAYS, dtype=np.int64), initial=100 * scale,
        refugee_debt=np.zeros(DAYS, dtype=np.int64), observed=observed,
        scenario_path=None if folder is None else str(folder),
    )


def _write_extras(out: Path) -> None:
    """series.csv with a band, and events.parquet with stranded people."""
    dates = pd.date_range(START, periods=DAYS, freq="D").strftime("%Y-%m-%d")
    series = pd.concat([
        pd.DataFrame({"date": dates, "series": f"stranded at {EVIL}", "value": range(DAYS),
                      "low": np.arange(DAYS) - 1, "high": np.arange(DAYS) + 1}),
        pd.DataFrame({"date": dates, "series": "exposed_person_nights", "value": 5}),
        pd.DataFrame({"date": dates, "series": "always_zero", "value": 0}),
    ])
    series.to_csv(out / "series.csv", index=False)
    pd.DataFrame({"day": np.arange(DAYS, dtype=np.int32), "kind": "location", "name": TOWN,
                  "event": "stranded", "value": np.arange(DAYS, dtype=np.int64) * 3}
                 ).to_parquet(out / "events.parquet", index=False)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A toy scenario folder, and a results folder that records it (with extra series)."""
    from conftest import write_toy_scenario

    base = tmp_path_factory.mktemp("report")
    folder = write_toy_scenario(base, name="toy", locations=LOCATIONS, routes=ROUTES,
                                closures=[("country", "Home", "Abroad", 2, 4)], length=DAYS,
                                start_date=START)
    out = base / "results"
    _results(folder).save(out)
    _write_extras(out)
    return folder, out


@pytest.fixture(scope="module")
def page(toy, tmp_path_factory) -> Path:
    """The HTML report of the toy results, written once."""
    _, out = toy
    written, warnings = write_report(out, tmp_path_factory.mktemp("page") / "report.html")
    assert warnings == []
    return written[0]


@pytest.fixture(scope="module")
def compare_root(tmp_path_factory) -> Path:
    """A folder of two results folders and a comparison table."""
    root = tmp_path_factory.mktemp("compare") / "compare"
    _results(None, seed=1).save(root / "baseline")
    _results(None, scale=2, seed=2).save(root / "more people")
    pd.DataFrame({"run": ["baseline", "more people"], "note": ["a", EVIL]}).to_csv(
        root / "compare.csv", index=False)
    return root


def _attr_urls(text: str) -> list[str]:
    return re.findall(r"""\b(?:src|href)\s*=\s*["']?\s*(https?:[^"'\s>]*)""", text, re.I)


def test_html_report_is_self_contained_and_escaped(page):
    text = page.read_text(encoding="utf-8")
    assert _attr_urls(text) == []
    assert "<link" not in text and not re.search(r"<script[^>]+src", text)
    assert "@import" not in text and "url(http" not in text
    # the evil place name is text, never markup
    assert EVIL not in text
    assert html_lib.escape(EVIL) in text
    assert len(re.findall(r"<script", text)) == 2  # the map's JSON data and the map script
    data = re.search(r'<script type="application/json" id="bf-map-data">(.*?)</script>', text)
    assert data is not None and "<" not in data.group(1)
    payload = json.loads(data.group(1))
    assert len(payload["pop"]) == DAYS and payload["pop"][-1] == [5, 20, 300]
    assert payload["closed"][2] == [1] and payload["closed"][4] == []  # border link on day 2
    # the title names the scenario and the dates; the page has the sections asked for
    assert "toy: displacement report, 2020-01-01 to 2020-01-10" in text
    for heading in ("Map", "Policies", "Camps", "Border crossings", "Stranded and detained",
                    "Needs (Sphere Handbook 2018)"):
        assert f">{heading}" in text
    assert "border closed: Home – Abroad" in text
    assert "Town &amp; Co" in text and "Camp &#x27;A&#x27; $5" in text
    # needs: the camp's peak of 300 people needs 4,500 L of water and 15 latrines a day
    assert re.search(r"Camp &#x27;A&#x27; \$5</td><td>camp</td><td class=\"num\">300</td>"
                     r"<td class=\"num\">300</td><td class=\"date\">2020-01-10</td>"
                     r"<td class=\"num\">4,500</td><td class=\"num\">630,000</td>"
                     r"<td class=\"num\">1,050.0</td><td class=\"num\">15</td>", text)
    assert "always_zero" in text  # in the series table, though not drawn


def test_html_report_is_deterministic(compare_root, tmp_path):
    a = write_report(compare_root, tmp_path / "a.html")[0][0].read_bytes()
    b = write_report(compare_root, tmp_path / "b.html")[0][0].read_bytes()
    assert a == b


def test_png_format_writes_the_figures(toy, tmp_path):
    _, out = toy
    written, _ = write_report(out, tmp_path / "png", fmt="png")
    names = [p.name for p in written]
    assert names == ["01-map.png", "02-policies.png", "03-camps.png", "04-totals.png",
                     "05-places.png", "06-crossings.png", "07-stranded.png", "08-series.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 5_000


def test_without_scenario_there_are_charts_but_no_map(tmp_path):
    out = tmp_path / "results"
    _results(None).save(out)
    text = write_report(out, tmp_path / "r.html")[0][0].read_text(encoding="utf-8")
    assert ">Camps<" in text and ">Map<" not in text and "<script" not in text
    assert "no map" in text


def test_policy_periods_from_closures(toy):
    folder, _ = toy
    (period,) = policy_periods(load_scenario(folder))
    assert (period.kind, period.start, period.end) == ("closure", 2, 4)
    assert period.links == frozenset({frozenset((TOWN, CAMP))})
    assert period.active(2) and period.active(3) and not period.active(4)


def test_compare_folder_shows_runs_side_by_side(compare_root, tmp_path):
    root = compare_root
    runs, kind = load_runs(root)
    assert kind == "compare" and [r.label for r in runs] == ["baseline", "more people"]
    text = write_report(root, tmp_path / "c.html")[0][0].read_text(encoding="utf-8")
    assert "<th scope=\"col\">baseline</th><th scope=\"col\">more people</th>" in text
    # peak in camps 300 and 600; water at the peak of everyone present (325 and 650 people)
    assert "<td>peak in camps</td><td class=\"num\">300</td><td class=\"num\">600</td>" in text
    assert ("<td>water at that peak, L/day</td><td class=\"num\">4,875</td>"
            "<td class=\"num\">9,750</td>") in text
    assert "compare.csv" in text and EVIL not in text
    written, _ = write_report(root, tmp_path / "cpng", fmt="png")
    assert [p.name for p in written] == ["01-totals.png", "02-camps.png"]


def test_ensemble_folder_shows_medians_and_bands(toy, tmp_path):
    ensemble = pytest.importorskip("borderflow.ensemble")
    folder, _ = toy
    root = tmp_path / "ens"
    manifest = {"format": ensemble.MANIFEST_FORMAT,
                "scenario": {"name": "toy", "path": str(folder), "fingerprint": "x"},
                "start_date": START.isoformat(), "days": DAYS,
                "locations": [EVIL, TOWN, CAMP], "camps": [CAMP], "spec": {"seed": 3},
                "members": [ensemble.Member(i, i).to_json() for i in range(3)]}
    store = ensemble.EnsembleStore.create_or_resume(root, manifest)
    for i in range(3):
        pops = _results(None, scale=i + 1).location_population
        store.write_member(ensemble.Member(i, i), pops)
    runs, kind = load_runs(root)
    assert kind == "ensemble" and runs[0].members == 3
    assert runs[0].results.location_population[-1].tolist() == [10, 40, 600]  # medians
    text = write_report(root, tmp_path / "e.html")[0][0].read_text(encoding="utf-8")
    assert "5–95 % of 3 members" in text and ">Map<" in text


@pytest.mark.parametrize("make", ["missing", "empty", "not_results"])
def test_bad_results_folder_is_a_report_error(tmp_path, make):
    path = tmp_path / "x"
    if make != "missing":
        path.mkdir()
    if make == "not_results":
        (path / "run.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ReportError):
        write_report(path, tmp_path / "r.html")


def test_cli_report_writes_the_page(compare_root, tmp_path):
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "borderflow.cli", "report", str(compare_root),
                           "-o", str(tmp_path / "r.html")],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r.html").is_file() and "report written to" in proc.stdout


@pytest.mark.parametrize("case", ["no folder", "format", "map days", "map day range",
                                  "scenario"])
def test_cli_report_bad_input_exits_2(toy, tmp_path, case):
    from typer.testing import CliRunner

    from borderflow.cli import app

    _, out = toy
    args = {
        "no folder": [tmp_path / "nowhere"],
        "format": [out, "--format", "pdf", "-o", tmp_path / "x"],
        "map days": [out, "--map-days", "one", "-o", tmp_path / "x.html"],
        "map day range": [out, "--map-days", "99", "-o", tmp_path / "x.html"],
        "scenario": [out, "--scenario", tmp_path / "nowhere", "-o", tmp_path / "x.html"],
    }[case]
    result = CliRunner().invoke(app, ["report", *map(str, args)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "error:" in result.output


# ---------------------------------------------------------------------------------------------
# the page in a browser


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


@pytest.fixture(scope="module")
def chromium() -> str:
    """The chromium command; installed with scripts/ensure_chromium.sh if missing."""
    exe = shutil.which("chromium")
    if exe is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure_chromium.sh")], check=False,
                       timeout=900, capture_output=True)
        exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("chromium is not installed and scripts/ensure_chromium.sh could not "
                    "install it (needs root and the Debian package archive)")
    return exe


def _browse(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_report_in_headless_chromium(page, tmp_path, chromium):
    import matplotlib.image as mpimg

    url = page.resolve().as_uri()

    shot = tmp_path / "shot.png"
    proc = _browse(chromium, tmp_path, "--enable-logging=stderr", "--v=0",
                   f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert shot.is_file(), proc.stderr[-2000:]
    assert "Uncaught" not in proc.stderr
    assert not re.search(r"CONSOLE\(\d+\)", proc.stderr), proc.stderr[-2000:]
    image = mpimg.imread(shot)[:, :, :3]
    pixels = (image.reshape(-1, 3) * 255).round().astype(np.uint8)
    colours = len(np.unique(pixels, axis=0))
    not_white = float(np.mean(np.any(pixels < 245, axis=1)))
    assert colours > 200, f"only {colours} distinct colours: blank page?"
    assert not_white > 0.1, f"only {not_white:.1%} of the page is not white"

    proc = _browse(chromium, tmp_path, "--dump-dom", "--virtual-time-budget=2000", url)
    dom = proc.stdout
    assert "</html>" in dom, proc.stderr[-2000:]
    assert 'id="bf-map" data-ready="1"' in dom  # the map script ran to its end
    assert html_lib.escape(EVIL, quote=False) in dom  # the name is text on the page
    assert EVIL not in dom and "<script>alert" not in dom
    assert dom.count("<script") == 2
