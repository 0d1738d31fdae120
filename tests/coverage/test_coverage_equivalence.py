"""The scalable index (timed pairs only) agrees with the full-matrix reference."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import synthetic_france
from reference_coverage import Reference, reference

from hadplanner.models.territory import (
    HAD,
    AuthorisationBasis,
    ChemoAuthorisation,
    Commune,
    LegalStatus,
    Point,
    Site,
    SiteKind,
    Supply,
    Territory,
    Zone,
)
from hadplanner.territory.coverage import (
    STATUSES,
    CoverageSettings,
    TerritoryIndex,
    compute_coverage,
)
from hadplanner.territory.derogations import derogation_candidates
from hadplanner.travel import (
    OfflineTravelModel,
    TableTravelModel,
    max_km_within,
    places_of,
)

DAY = dt.date(2018, 6, 1)


class OpaqueTravel:
    """The offline model behind a provider that gives no distance bound (like OSRM)."""

    def __init__(self) -> None:
        self._model = OfflineTravelModel()

    def minutes(self, origin, dest):
        return self._model.minutes(origin, dest)

    def matrix(self, origins, dests):
        return self._model.matrix(origins, dests)


@pytest.fixture(scope="module")
def france_like():
    territory, codes, geoms = synthetic_france.build()
    return TerritoryIndex.from_territory(territory, geoms, codes)


def _reference(index: TerritoryIndex, limit: float, rule: str) -> Reference:
    return reference(
        index.territory,
        list(index.insee),
        index.commune_edges,
        index.travel,
        index.authorised(DAY),
        limit,
        rule,
    )


def _reference_candidates(index: TerritoryIndex, ref: Reference, row: int, limit: float):
    """One commune's candidates from the full matrices, as the old code listed them."""
    hs = sorted(
        np.nonzero(ref.candidates[row])[0].tolist(),
        key=lambda h: (float(ref.minutes[row, h]), index.had_ids[h]),
    )
    return [
        (
            index.had_ids[h],
            float(ref.minutes[row, h]),
            index.territory.hads[h].sites[int(ref.nearest_site[row, h])].town,
            bool(ref.minutes[row, h] <= limit),
        )
        for h in hs
    ]


def _reference_table(ref: Reference) -> pd.DataFrame:
    """The old candidate table: every pair of a commune not served, ranked by minutes."""
    rows_mask = ref.status != STATUSES.index("served")
    c, h = np.nonzero(ref.candidates & rows_mask[:, None])
    df = pd.DataFrame({"row": c, "had": h, "minutes": ref.minutes[c, h]})
    df = df.sort_values(["row", "minutes", "had"], kind="stable")
    df["rank"] = df.groupby("row").cumcount() + 1
    return df.reset_index(drop=True)


def _check(index: TerritoryIndex, limit: float, rule: str) -> None:
    """Statuses, candidates, minutes, sites, tables and one-commune answers all agree."""
    ref = _reference(index, limit, rule)
    cov = compute_coverage(index, DAY, CoverageSettings(limit_min=limit, rule=rule))
    assert np.array_equal(index.membership, ref.membership)
    assert np.array_equal(index.zone_adjacency, ref.zone_adjacency)
    assert np.array_equal(cov.arrays.status, ref.status)
    assert np.array_equal(cov.arrays.candidates, ref.candidates)
    assert np.array_equal(cov.arrays.reachable, ref.reachable)
    p = cov.arrays.pairs
    assert np.array_equal(p.minutes, ref.minutes[p.row, p.had])
    assert np.array_equal(p.site, ref.nearest_site[p.row, p.had])
    pd.testing.assert_frame_equal(cov.candidate_table(), _reference_table(ref))
    rng = np.random.default_rng(1)
    rows = set(rng.choice(len(index.insee), 25, replace=False).tolist())
    rows |= set(np.nonzero(~ref.membership.any(axis=1))[0][:5].tolist())  # communes in no zone
    for row in sorted(rows):
        expected = _reference_candidates(index, ref, row, limit)
        got = [(c.had_id, c.minutes, c.site, c.within_limit) for c in cov.candidates(row)]
        assert got == expected
        ans = derogation_candidates(index, str(index.insee[row]), DAY, rule, limit)
        assert ans.status == STATUSES[int(ref.status[row])]
        assert [(c.had_id, c.minutes, c.site, c.within_limit) for c in ans.candidates] == expected


@pytest.mark.parametrize("rule", ["bordering", "within_limit"])
@pytest.mark.parametrize("limit", [45.0, 90.0])
def test_occitanie_matches_full_matrices(occitanie_index, rule, limit):
    """Occitanie: the same statuses, candidates and minutes as the full matrices."""
    _check(occitanie_index, limit, rule)


@pytest.mark.parametrize("rule", ["bordering", "within_limit"])
@pytest.mark.parametrize("limit", [20.0, 45.0, 120.0])
def test_france_like_matches_full_matrices(france_like, rule, limit):
    """France-like grid (2,400 communes, 20 departments, 89 HADs): same as full matrices."""
    _check(france_like, limit, rule)


def test_france_like_is_a_real_test(france_like):
    """The synthetic instance has every status, shared areas and orphan communes."""
    cov = compute_coverage(france_like, DAY)
    assert all(n > 0 for n in cov.communes_by_status().values())
    assert (france_like.membership.sum(axis=1) >= 2).sum() > 50
    assert len(france_like.had_ids) > 80


def test_only_bordering_pairs_are_timed(france_like):
    """The index times exactly the bordering pairs outside the commune's zones."""
    ref = _reference(france_like, 45.0, "bordering")
    expected = ref.bordering & ~ref.membership
    timed = np.zeros_like(expected)
    timed[france_like.border_pairs.row, france_like.border_pairs.had] = True
    assert np.array_equal(timed, expected)
    assert len(france_like.border_pairs) == expected.sum() < expected.size / 5
    # Pairs within a limit are timed once per limit, then kept.
    assert france_like.pairs_within(45.0) is france_like.pairs_within(45.0)


def test_provider_without_distance_bound_asks_every_pair(france_like):
    """A provider with no distance bound (OSRM-like) gives the same answers."""
    opaque = TerritoryIndex.from_territory(
        france_like.territory, None, list(france_like.insee), OpaqueTravel(),
        commune_edges=france_like.commune_edges,
    )
    assert max_km_within(opaque.travel, 45) is None
    _check(opaque, 45.0, "within_limit")


def test_table_with_far_short_trip_is_found(france_like):
    """A table entry putting a far HAD within the limit widens the pre-filter."""
    t = france_like.territory
    had = t.hads[0]
    far_row = int(np.argmax(np.hypot(france_like.lat - had.sites[0].location.lat,
                                     france_like.lon - had.sites[0].location.lon)))
    far = str(france_like.insee[far_row])
    table = TableTravelModel({(had.sites[0].insee, far): 10.0}, places_of(t),
                             fallback=OfflineTravelModel())
    assert max_km_within(table, 45) > 100
    index = TerritoryIndex.from_territory(t, None, list(france_like.insee), table,
                                          commune_edges=france_like.commune_edges)
    _check(index, 45.0, "within_limit")
    pairs = index.pairs_within(45.0)
    assert pairs.find(far_row, 0) >= 0 or france_like.membership[far_row, 0]


def _islands(lons: list[float], lat: float) -> tuple[Territory, list[str]]:
    """Four communes along a parallel, one HAD at the first and one (authorised) at the last."""
    codes = [f"0100{i}" for i in range(len(lons))]
    communes = {
        c: Commune(insee=c, name=c, department="01", population=100,
                   centre=Point(lat=lat, lon=lon))
        for c, lon in zip(codes, lons, strict=True)
    }
    auth = (ChemoAuthorisation(basis=AuthorisationBasis.attached, holder="CH"),)

    def had(i: int, authorised: bool) -> HAD:
        return HAD(id=f"h{i}", name=f"H{i}", legal_status=LegalStatus.public_hospital,
                   departments=("01",), supply=Supply.own_pui,
                   sites=(Site(kind=SiteKind.main, town=codes[i], insee=codes[i],
                               location=communes[codes[i]].centre),),
                   authorisations=auth if authorised else ())

    hads = (had(0, False), had(len(codes) - 1, True))
    zones = (Zone(had_id="h0", communes=frozenset(codes[:-1])),
             Zone(had_id=f"h{len(codes) - 1}", communes=frozenset(codes[-1:])))
    t = Territory(name="edge", departments=("01",), communes=communes, hads=hads, zones=zones)
    return t, codes


@pytest.mark.parametrize(
    ("lons", "lat"),
    [
        ([179.80, 179.95, -179.95, -179.85], 10.0),  # across the antimeridian
        ([0.0, 60.0, 120.0, 180.0], 89.9),  # round the pole
        ([2.0, 2.1, 2.2, 2.3], 46.0),  # ordinary
    ],
)
def test_prefilter_across_antimeridian_and_near_pole(lons, lat):
    """The distance pre-filter finds pairs across the antimeridian and round a pole."""
    t, codes = _islands(lons, lat)
    index = TerritoryIndex.from_territory(t, None, codes, commune_edges=np.empty((0, 2)))
    for limit in (20.0, 45.0, 240.0):
        ref = _reference(index, limit, "within_limit")
        cov = compute_coverage(index, DAY, CoverageSettings(limit_min=limit, rule="within_limit"))
        assert np.array_equal(cov.arrays.candidates, ref.candidates)
        assert np.array_equal(cov.arrays.status, ref.status)
    assert compute_coverage(
        index, DAY, CoverageSettings(limit_min=45.0, rule="within_limit")
    ).arrays.candidates[:, 1].sum() >= 1


@pytest.mark.parametrize("limit", [0.0, 4.9, 5.0, 10.0, 22.0, 45.0, 90.0, 240.0])
def test_km_within_inverts_the_offline_model(limit):
    """km_within is the largest distance within the limit: a hair farther is over it."""
    m = OfflineTravelModel()
    km = m.km_within(limit)
    if limit < m.settings.overhead_min:
        assert km == 0.0
        return
    assert float(m.minutes_for_km(km)) == pytest.approx(limit, abs=1e-9)
    assert float(m.minutes_for_km(km + 1e-3)) > limit
    assert max_km_within(m, limit) >= km
