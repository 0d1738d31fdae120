"""Coverage, candidates and adjacency on the hand-checkable synthetic grid."""

from __future__ import annotations

import coverage_grid as grid
import numpy as np
import pytest
import shapely

from hadplanner.errors import UnknownCommuneError
from hadplanner.models.territory import Point
from hadplanner.territory.adjacency import (
    commune_adjacency_edges,
    commune_graph,
    zone_adjacency_matrix,
)
from hadplanner.territory.coverage import CoverageSettings, Rule, classify, compute_coverage
from hadplanner.territory.derogations import derogation_candidates


@pytest.fixture(scope="module")
def cov(grid_index):
    return compute_coverage(grid_index, grid.DAY, CoverageSettings(limit_min=grid.LIMIT))


def test_statuses_hand_checked(cov, grid_index):
    """Every commune gets the status worked out by hand in coverage_grid.py."""
    got = dict(zip(grid_index.insee, cov.status, strict=True))
    assert got == grid.EXPECTED_STATUS


def test_population_per_department_and_zone(cov):
    """Population sums per department and status match the hand count."""
    dept = cov.population_by_department()
    # dept 09 = columns 0-2; served: columns 0-1; column 2: derogation y=0,3, convention y=1,2.
    assert dept.loc["09", "served"] == sum(grid.population(x, y) for x in (0, 1) for y in range(4))
    assert dept.loc["09", "derogation"] == grid.population(2, 0) + grid.population(2, 3)
    assert dept.loc["09", "convention"] == grid.population(2, 1) + grid.population(2, 2)
    assert dept.loc["11", "no_had"] == grid.population(5, 0)
    assert dept["total"].sum() == sum(grid.population(x, y) for x in range(6) for y in range(4))
    zones = cov.population_by_zone()
    assert zones.loc["had-d", "derogation"] == sum(grid.population(5, y) for y in (1, 2, 3))
    assert zones.loc["had-b", "served"] == grid.population(1, 3)  # shared with had-a


def test_candidates_ranked_with_nearest_site(cov, grid_index):
    """Candidates are ranked by minutes from the nearest site, annex included."""
    row = grid_index.position(grid.code(3, 3))
    cands = cov.candidates(row)
    assert [(c.had_id, c.minutes, c.site, c.within_limit) for c in cands] == [
        ("had-c", 10.0, "T43", True),
        ("had-a", 60.0, "T00", False),
    ]
    assert cov.candidates(grid_index.position(grid.code(5, 0)))[0].had_id == "had-c"


def test_derogation_candidates_by_code_and_point(grid_index):
    """The same answer for an INSEE code and for a point inside that commune."""
    by_code = derogation_candidates(grid_index, grid.code(2, 1), grid.DAY, limit_min=grid.LIMIT)
    by_point = derogation_candidates(
        grid_index, Point(lat=43.17, lon=1.23), grid.DAY, limit_min=grid.LIMIT
    )
    assert by_code.insee == by_point.insee == grid.code(2, 1)
    assert by_code.status == "convention"
    assert [c.had_id for c in by_code.candidates] == ["had-a", "had-c"]
    assert all(c.minutes == 30.0 for c in by_code.candidates)
    assert by_point.as_dict()["point"] == {"lat": 43.17, "lon": 1.23}


def test_within_limit_rule_ignores_borders(grid_index):
    """With the within_limit rule any authorised HAD in the limit is a candidate."""
    ans = derogation_candidates(
        grid_index, grid.code(5, 2), grid.DAY, rule=Rule.within_limit, limit_min=grid.LIMIT
    )
    assert [c.had_id for c in ans.candidates] == ["had-c"]
    far = derogation_candidates(
        grid_index, grid.code(2, 2), grid.DAY, rule="within_limit", limit_min=grid.LIMIT
    )
    assert far.candidates == [] and far.status == "convention"


def test_unknown_commune_and_point_outside(grid_index):
    """Unknown codes and points outside every commune are UnknownCommuneError."""
    with pytest.raises(UnknownCommuneError, match="unknown commune code '99999'"):
        derogation_candidates(grid_index, "99999", grid.DAY)
    with pytest.raises(UnknownCommuneError, match=r"point \(48\.85000, 2\.35000\) lies outside"):
        derogation_candidates(grid_index, Point(lat=48.85, lon=2.35), grid.DAY)


def test_records_shape(cov):
    """records() gives insee, status, covering, authorised and candidates per commune."""
    recs = {r["insee"]: r for r in cov.records()}
    r = recs[grid.code(2, 0)]
    assert r["status"] == "derogation" and r["covering"] == ["had-b"] and r["authorised"] == []
    assert [c["had_id"] for c in r["candidates"]] == ["had-a", "had-c"]
    assert set(r["candidates"][0]) >= {"had_id", "name", "minutes"}
    assert recs[grid.code(1, 3)]["authorised"] == ["had-a"]
    assert recs[grid.code(1, 3)]["candidates"] == []


def test_classify_core_on_plain_arrays():
    """The core needs only arrays: a 2-commune, 2-HAD case."""
    membership = np.array([[True, False], [False, True]])
    res = classify(
        membership,
        authorised=np.array([True, False]),
        minutes=np.array([[5.0, 50.0], [40.0, 5.0]]),
        bordering=np.array([[False, True], [True, False]]),
        limit_min=45,
    )
    assert res.status.tolist() == [0, 1]  # served, derogation
    assert res.candidates.tolist() == [[False, False], [True, False]]
    res = classify(
        membership,
        np.array([True, False]),
        np.array([[5.0, 50.0], [50.0, 5.0]]),
        np.array([[False, True], [True, False]]),
        limit_min=45,
    )
    assert res.status.tolist() == [0, 2]  # convention: the only candidate is too far


def test_commune_edges_grid_and_tolerance():
    """6 x 4 grid: 20 + 18 side pairs and 30 corner pairs; tolerance closes hair gaps."""
    t = grid.territory()
    gdf = grid.communes_gdf(t)
    edges = commune_adjacency_edges(gdf.geometry.to_numpy())
    assert len(edges) == 20 + 18 + 30
    gap = [shapely.box(0, 0, 1, 1), shapely.box(1.00005, 0, 2, 1)]
    assert len(commune_adjacency_edges(gap)) == 1
    assert len(commune_adjacency_edges(gap, tolerance=0)) == 0
    g = commune_graph(gdf.index, gdf.geometry.to_numpy())
    assert g.degree(grid.code(0, 0)) == 3


def test_zone_adjacency_grid(grid_index):
    """a-b, b-c, c-d border each other; a-c and b-d do not."""
    g = grid_index.zone_graph()
    assert sorted(tuple(sorted(e)) for e in g.edges()) == [
        ("had-a", "had-b"),
        ("had-b", "had-c"),
        ("had-c", "had-d"),
    ]
    # Overlap alone (no touching commune) also makes neighbours.
    m = np.array([[True, True], [False, False]])
    assert zone_adjacency_matrix(m, np.empty((0, 2), dtype=int)).tolist() == [
        [False, True],
        [True, False],
    ]
