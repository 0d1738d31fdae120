"""Coverage on tests/data/tiny, checked by hand against its README."""

from __future__ import annotations

import datetime as dt

import pytest

from hadplanner.territory.coverage import CoverageSettings, TerritoryIndex, compute_coverage
from hadplanner.territory.derogations import derogation_candidates
from hadplanner.travel import OfflineTravelModel

DAY = dt.date(2018, 6, 1)


@pytest.fixture(scope="module")
def tiny_index(tiny_loaded):
    return TerritoryIndex.from_loaded(tiny_loaded)


def test_statuses_2018(tiny_index):
    """Only had-ouest is authorised: Aval and Dune served, the rest by derogation."""
    cov = compute_coverage(tiny_index, DAY)
    got = dict(zip(tiny_index.insee, cov.status, strict=True))
    assert got == {
        "09901": "served",
        "09904": "served",
        "09902": "derogation",
        "09905": "derogation",
        "09903": "derogation",
        "09906": "derogation",
    }
    assert cov.population_by_status() == {
        "served": 1400,
        "derogation": 3850,
        "convention": 0,
        "no_had": 0,
    }


def test_statuses_2017_when_centre_authorised(tiny_index):
    """On 2017-03-01 had-centre is authorised too: Bois and Étang served."""
    cov = compute_coverage(tiny_index, dt.date(2017, 3, 1))
    assert cov.population_by_status()["served"] == 1650
    assert cov.status_of("09902") == "served"


def test_limit_30_minutes_hand_computed(tiny_index):
    """With 30 min: Bois (about 23 min from Aval) stays derogation; Étang, Combe, Fossé
    (about 30.05, 33 and 38 min) need a convention."""
    m = OfflineTravelModel()
    # Aval -> Bois: 8.1 km great-circle, 10.6 road-km: 17.1 + 0.6 + 5 minutes.
    assert m.minutes_for_km(8.12) == pytest.approx(22.7, abs=0.1)
    cov = compute_coverage(tiny_index, DAY, CoverageSettings(limit_min=30))
    got = dict(zip(tiny_index.insee, cov.status, strict=True))
    assert got["09902"] == "derogation"
    assert {got[c] for c in ("09905", "09903", "09906")} == {"convention"}


def test_candidates_tiny(tiny_index):
    """Combe's only candidate is had-ouest (its zone borders est's through Aval-Bois)."""
    ans = derogation_candidates(tiny_index, "09903", DAY)
    assert [c.had_id for c in ans.candidates] == ["had-ouest"]
    assert ans.candidates[0].site == "Aval"
    assert ans.candidates[0].minutes == pytest.approx(33.2, abs=0.3)
    assert ans.covering == ["had-est"]
