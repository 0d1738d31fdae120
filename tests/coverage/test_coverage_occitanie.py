"""The reference territory at 2018-06-01 agrees with the thesis (shared/domain.md)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from hadplanner.cli import app
from hadplanner.export.coverage import write_coverage_outputs
from hadplanner.paths import territory_dir
from hadplanner.territory.best_authorisations import best_authorisations
from hadplanner.territory.coverage import compute_coverage
from hadplanner.territory.derogations import derogation_candidates
from hadplanner.territory.whatif import whatif

DAY = dt.date(2018, 6, 1)
SCENARIOS = territory_dir("occitanie") / "scenarios"


@pytest.fixture(scope="module")
def cov(occitanie_index):
    return compute_coverage(occitanie_index, DAY)


def test_eight_authorised_hads(cov):
    """Thesis: 8 HADs could give chemotherapy at home (UDSMA lost it in 2017)."""
    ids = {h for h, a in zip(cov.index.had_ids, cov.authorised, strict=True) if a}
    assert len(ids) == 8
    assert "udsma" not in ids and "had-montauban" in ids and "had-cahors" in ids


def test_gaps_only_in_thesis_departments(cov):
    """Communes needing derogation or convention lie in 11, 12, 32, 46, 81, 82 only."""
    table = cov.population_by_department()
    gap = table["derogation"] + table["convention"] + table["no_had"]
    assert set(gap[gap > 0].index) == {"11", "12", "32", "46", "81", "82"}
    # Aveyron and north Aude: no authorised HAD at all; Haute-Garonne fully served.
    assert table.loc["12", "served"] == 0 and table.loc["11", "served"] == 0
    assert table.loc["31", "served"] == table.loc["31", "total"]
    assert cov.population_by_status()["no_had"] == 0


def test_castres_candidates_include_montauban_and_albi(occitanie_index):
    """Castres (Pays d'Ovalie zone): HAD Montauban and HAD Albi are candidates."""
    ans = derogation_candidates(occitanie_index, "81065", DAY)
    assert ans.covering == ["had-pays-ovalie"] and ans.authorised == []
    ids = [c.had_id for c in ans.candidates]
    assert {"had-montauban", "had-albi"} <= set(ids)
    assert ids[0] == "had-albi"  # nearest
    assert ans.status in ("derogation", "convention")


def test_figeac_candidates_include_cahors(occitanie_index):
    """Figeac (Font Redonde zone): HAD Cahors is the nearest candidate."""
    ans = derogation_candidates(occitanie_index, "46102", DAY)
    assert "had-font-redonde" in ans.covering
    assert ans.candidates[0].had_id == "had-cahors"


def test_point_lookup_finds_castres(occitanie_index):
    """A point in Castres is located in commune 81065."""
    assert occitanie_index.locate(43.6060, 2.2410) == "81065"


@pytest.mark.parametrize("name", ["croix-rouge-pasteur", "moissac-montauban", "thesis-announced"])
def test_thesis_scenarios_shrink_uncovered(occitanie_index, name):
    """Both announced changes serve people who were not served, and harm none."""
    res = whatif(occitanie_index, SCENARIOS / f"{name}.yaml", DAY)
    assert res.gain > 0
    assert "served" not in set(res.changed()["before"])


def test_best_k_is_optimal(cov):
    """Best-k on Occitanie is proven optimal for every k."""
    res = best_authorisations(cov, 3)
    assert all(s.optimal for s in res.sequence)
    assert res.sequence[-1].population_gained == res.uncovered_population  # no no_had
    gains = [s.population_gained for s in res.sequence]
    assert gains == sorted(gains)


def test_outputs_written(occitanie_loaded, tmp_path):
    """write_coverage_outputs writes the map (a few MB at most) and the tables."""
    files = write_coverage_outputs(occitanie_loaded, DAY, tmp_path, "fr")
    names = {p.name for p in files}
    assert {
        "coverage_map.html",
        "coverage.gpkg",
        "coverage_communes.csv",
        "coverage_summary.json",
    } <= names
    assert (tmp_path / "coverage_map.html").stat().st_size < 8_000_000
    summary = json.loads((tmp_path / "coverage_summary.json").read_text())
    assert len(summary["authorised_hads"]) == 8


def test_cli_coverage_json_occitanie():
    """hadplanner coverage --json on occitanie: one object per commune."""
    res = CliRunner().invoke(app, ["coverage", "--date", "2018-06-01", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    castres = next(r for r in data if r["insee"] == "81065")
    assert {c["had_id"] for c in castres["candidates"]} >= {"had-montauban", "had-albi"}


def test_both_changes_add_up(occitanie_index):
    """The two announced changes touch different zones: their gains add up."""
    gains = {
        name: whatif(occitanie_index, SCENARIOS / f"{name}.yaml", DAY).gain
        for name in ("croix-rouge-pasteur", "moissac-montauban", "thesis-announced")
    }
    assert gains["thesis-announced"] == gains["croix-rouge-pasteur"] + gains["moissac-montauban"]
