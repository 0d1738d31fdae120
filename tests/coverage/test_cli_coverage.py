"""The coverage commands: output, JSON and one-line errors (grid and tiny territories)."""

from __future__ import annotations

import json

import coverage_grid as grid
import pytest
from coverage_grid import TINY
from typer.testing import CliRunner

import hadplanner.cli.coverage as cli_coverage
from hadplanner.cli import app

runner = CliRunner()


@pytest.fixture()
def on_grid(monkeypatch):
    """Commands load the synthetic grid instead of a territory folder."""
    monkeypatch.setattr(cli_coverage, "_load", lambda _t: grid.loaded())


def test_coverage_summary_french(on_grid):
    """The summary prints population per department and status, in French."""
    res = runner.invoke(app, ["coverage", "--date", "2018-06-01"])
    assert res.exit_code == 0, res.output
    assert "Dérogation" in res.output and "Sans HAD" in res.output
    assert "HAD autorisées (2) : had-a, had-c" in res.output


def test_coverage_json_one_object_per_commune(on_grid):
    """--json: one object per commune with the documented keys."""
    res = runner.invoke(app, ["coverage", "--date", "2018-06-01", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert len(data) == 24
    assert {"insee", "status", "covering", "authorised", "candidates"} <= set(data[0])
    some = next(r for r in data if r["candidates"])
    assert {"had_id", "name", "minutes"} <= set(some["candidates"][0])


def test_coverage_writes_files_only_with_out(on_grid, tmp_path):
    """--out writes map, CSV, GeoJSON, GeoPackage; without it nothing is written."""
    res = runner.invoke(
        app, ["coverage", "--date", "2018-06-01", "--out", str(tmp_path / "o"), "--lang", "en"]
    )
    assert res.exit_code == 0, res.output
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert {
        "coverage_map.html",
        "coverage_communes.csv",
        "coverage.gpkg",
        "coverage_communes.geojson",
        "coverage_departments.csv",
    } <= names
    assert "Derogation possible" in (tmp_path / "o" / "coverage_map.html").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["derogations", "--commune", "99999"], "unknown commune code '99999'"),
        (["derogations", "--lat", "48.85", "--lon", "2.35"], "lies outside every commune"),
        (["derogations"], "give --commune CODE, or both --lat and --lon"),
        (["coverage", "--date", "01/06/2018"], "--date: must be a date YYYY-MM-DD"),
        (["coverage", "--rule", "nearest"], "--rule must be"),
        (["whatif", "no-such-scenario"], "no scenario file"),
        (["authorise-best", "--k", "-1"], "--k must be between 1 and"),
    ],
)
def test_one_line_errors(on_grid, args, message):
    """Bad input: exit 1 and one line, no traceback."""
    res = runner.invoke(app, args)
    assert res.exit_code == 1
    assert message in res.output
    assert "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_derogations_text_and_json(on_grid):
    """derogations lists candidates with minutes; --json has them as data."""
    res = runner.invoke(
        app, ["derogations", "--commune", grid.code(3, 3), "--date", "2018-06-01", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["status"] in ("derogation", "convention")
    assert data["candidates"][0]["had_id"] == "had-c"


def test_whatif_unknown_had_names_file(on_grid, tmp_path):
    """A scenario naming an unknown HAD: one line with the HAD and the file."""
    p = tmp_path / "s.yaml"
    p.write_text("name: s\nchanges:\n  - kind: associate\n    had: had-x\n    holder: CH\n")
    res = runner.invoke(app, ["whatif", str(p), "--date", "2018-06-01"])
    assert res.exit_code == 1
    assert "unknown HAD 'had-x'" in res.output and "s.yaml" in res.output


def test_authorise_best_json(on_grid):
    """authorise-best --json gives the choice, its status and the sequence."""
    res = runner.invoke(app, ["authorise-best", "--k", "1", "--date", "2018-06-01", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["best"]["had_ids"] == ["had-b"] and data["best"]["status"] == "OPTIMAL"
    assert data["best"]["proven"] is True and data["best"]["gap"] == 0 and data["proven"]
    assert [s["k"] for s in data["sequence"]] == [1, 2]


def test_authorise_best_text_says_proven(on_grid):
    """The text output says each choice is proven optimal."""
    res = runner.invoke(app, ["authorise-best", "--k", "1", "--date", "2018-06-01",
                              "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "22 000 inhabitants gained, proven optimal" in res.output
    assert "NOT PROVEN" not in res.output


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "NOT PROVEN: at most 1 000 more people possible (bound 23 000, gap 4.35 %)"),
        ("fr", "NON PROUVÉ : au plus 1 000 hab. de plus possibles (borne 23 000, écart 4.35 %)"),
    ],
)
def test_authorise_best_text_says_not_proven(on_grid, monkeypatch, lang, expected):
    """A choice stopped by the time limit is printed NOT PROVEN with its bound and gap."""
    from hadplanner.territory import best_authorisations as ba

    step = ba.BestStep(k=1, had_ids=("had-b",), names=("HAD-B",), population_gained=22_000,
                       increment=22_000, status="FEASIBLE", wall_time_s=10.0, bound=23_000)
    monkeypatch.setattr(ba, "best_authorisations",
                        lambda *a, **k: ba.BestAuthorisations(best=step, sequence=[step]))
    res = runner.invoke(app, ["authorise-best", "--k", "1", "--date", "2018-06-01",
                              "--lang", lang])
    assert res.exit_code == 0, res.output
    assert res.output.count(expected) == 2  # the choice for k, and its line in the sequence


def test_tiny_territory_by_path():
    """The commands take a territory folder: tiny has no convention at 45 min."""
    res = runner.invoke(
        app, ["coverage", "--territory", str(TINY), "--date", "2018-06-01", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = {r["insee"]: r["status"] for r in json.loads(res.output)}
    assert data["09901"] == "served" and data["09906"] == "derogation"


def test_travel_table_overrides_offline_model(tmp_path):
    """--travel-table: a 60-minute trip Aval -> Combe turns Combe into a convention."""
    table = tmp_path / "times.csv"
    table.write_text("origin_insee,dest_insee,minutes\n09901,09903,60\n")
    res = runner.invoke(
        app,
        [
            "derogations",
            "--territory",
            str(TINY),
            "--commune",
            "09903",
            "--date",
            "2018-06-01",
            "--json",
            "--travel-table",
            str(table),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["status"] == "convention"
    assert data["candidates"][0]["minutes"] == 60.0


def test_summary_by_zone(on_grid):
    """--by zone prints one row per HAD; the total is the territory's."""
    res = runner.invoke(app, ["coverage", "--date", "2018-06-01", "--by", "zone", "--lang", "en"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert any(line.startswith("had-d ") for line in lines)
    total = next(line for line in lines if line.startswith("Total"))
    assert total.split()[-2:] == ["66", "000"]
