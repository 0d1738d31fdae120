"""The reference territory reproduces what the thesis says (tables 26-27, IV.C)."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from hadplanner.territory.contiguity import is_contiguous, share_border

ROOT = Path(__file__).resolve().parents[2]
NINE_DEPARTMENTS = ("09", "11", "12", "31", "32", "46", "65", "81", "82")
MID_2018 = dt.date(2018, 6, 1)

AUTHORISED_2018 = {
    "had-val-ariege",
    "had-comminges",
    "had-pasteur",
    "had-srd",
    "had-bigorre",
    "had-cahors",
    "had-albi",
    "had-montauban",
}


def _zone(t, had_id):
    return t.territory.zone_of(had_id).communes


def _dept(t, code):
    return t.territory.communes[code].department


def test_nine_departments_about_3400_communes(occitanie):
    """Communes of exactly the nine departments, ~3,400 communes and ~3.4 M inhabitants."""
    gdf = occitanie.communes_gdf
    assert set(gdf["department"]) == set(NINE_DEPARTMENTS)
    assert 3300 < len(gdf) < 3500
    assert 3_300_000 < gdf["population"].sum() < 3_500_000
    assert gdf.crs.to_epsg() == 4326


def test_every_commune_is_in_a_zone(occitanie):
    """Every commune of the nine departments lies in at least one zone."""
    zoned = set().union(*(z.communes for z in occitanie.territory.zones))
    missing = set(occitanie.communes_gdf.index) - zoned
    assert not missing, sorted(missing)[:5]


def test_fourteen_hads_with_their_main_towns(occitanie):
    """The 14 HADs of table 26 with their main-site towns."""
    towns = {h.id: h.main_site.town for h in occitanie.territory.hads}
    assert towns == {
        "had-val-ariege": "Foix",
        "had-quatre-vents": "Carcassonne",
        "udsma": "Rodez",
        "had-croix-rouge-gers": "Auch",
        "had-comminges": "Saint-Gaudens",
        "had-pasteur": "Toulouse",
        "had-srd": "Toulouse",
        "had-bigorre": "Tarbes",
        "had-cahors": "Cahors",
        "had-font-redonde": "Figeac",
        "had-albi": "Albi",
        "had-pays-ovalie": "Castres",
        "had-montauban": "Montauban",
        "had-moissac": "Moissac",
    }


def test_patients_treated_as_table_27(occitanie):
    """Patients treated per HAD are table 27's (15 in all)."""
    treated = {h.id: h.patients_treated for h in occitanie.territory.hads}
    assert sum(treated.values()) == 15
    assert treated["had-montauban"] == 4 and treated["had-pasteur"] == 3 and treated["udsma"] == 1


@pytest.mark.parametrize(
    ("pair", "department", "anchor"),
    [
        (("had-srd", "had-pasteur"), "31", "31555"),  # Toulouse agglomeration: Toulouse
        (("had-srd", "had-pays-ovalie"), "31", "31451"),  # east Haute-Garonne: Revel
        (("had-cahors", "had-font-redonde"), "46", "46309"),  # north Lot: Souillac
        (("had-font-redonde", "udsma"), "12", "12119"),  # north Aveyron: Laguiole
    ],
)
def test_four_shared_areas(occitanie, pair, department, anchor):
    """Each shared area holds communes of both zones, in its department, with its anchor town."""
    both = _zone(occitanie, pair[0]) & _zone(occitanie, pair[1])
    assert len(both) >= 10
    assert {_dept(occitanie, c) for c in both} == {department}
    assert anchor in both


def test_one_had_per_commune_outside_the_shared_areas(occitanie):
    """Communes in two zones are in one of the four shared pairs; none in three."""
    allowed = {
        frozenset(p)
        for p in [
            ("had-srd", "had-pasteur"),
            ("had-srd", "had-pays-ovalie"),
            ("had-cahors", "had-font-redonde"),
            ("had-font-redonde", "udsma"),
        ]
    }
    holders: dict[str, set[str]] = {}
    for z in occitanie.territory.zones:
        for c in z.communes:
            holders.setdefault(c, set()).add(z.had_id)
    multi = {frozenset(h) for h in holders.values() if len(h) > 1}
    assert multi == allowed


def test_each_had_only_and_always_in_its_departments(occitanie):
    """A zone covers exactly the departments its HAD lists (table 26)."""
    for had in occitanie.territory.hads:
        depts = {_dept(occitanie, c) for c in _zone(occitanie, had.id)}
        assert depts == set(had.departments), had.id


def test_eight_hads_authorised_mid_2018(occitanie):
    """Exactly the 8 HADs of table 27 are authorised for chemotherapy on 2018-06-01."""
    ids = {h.id for h in occitanie.territory.hads if h.authorised_on(MID_2018)}
    assert ids == AUTHORISED_2018


def test_udsma_authorised_early_2017_not_2018(occitanie):
    """UDSMA still had its authorisation in January 2017, no longer in 2018."""
    udsma = occitanie.territory.had("udsma")
    assert udsma.authorised_on(dt.date(2017, 1, 15))
    assert not udsma.authorised_on(MID_2018)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("had-montauban", "had-pays-ovalie"),  # derogation Montauban <- Castres territory
        ("had-cahors", "had-font-redonde"),  # derogation Cahors <- Font Redonde territory
        ("had-albi", "had-pays-ovalie"),  # the Tarn is split between them
    ],
)
def test_derogation_zones_share_a_border(occitanie, occitanie_graph, a, b):
    """Zones between which the ARS granted derogations are side by side ("limitrophes")."""
    assert share_border(occitanie_graph, _zone(occitanie, a), _zone(occitanie, b))


def test_zones_are_contiguous(occitanie, occitanie_graph):
    """Every zone is one piece (the Hautes-Pyrénées enclaves aside)."""
    for zone in occitanie.territory.zones:
        assert is_contiguous(occitanie_graph, zone.communes), zone.had_id


def _covered_share(t, day, department, where=lambda c: True):
    covered = set().union(
        *(z.communes for z in t.territory.zones if t.territory.had(z.had_id).authorised_on(day))
    )
    gdf = t.communes_gdf
    codes = [c for c in gdf.index[gdf["department"] == department] if where(gdf.loc[c])]
    return sum(c in covered for c in codes) / len(codes)


@pytest.mark.parametrize(
    ("place", "department", "where", "at_most"),
    [
        ("Aveyron", "12", lambda r: True, 0.0),
        ("Gers, but SRD's fringe near Toulouse", "32", lambda r: True, 0.05),
        ("north Aude", "11", lambda r: r["lat"] > 43.2, 0.0),
        ("south Tarn", "81", lambda r: r["lat"] < 43.65, 0.0),
        ("west Tarn-et-Garonne", "82", lambda r: r["lon"] < 1.1, 0.0),
    ],
)
def test_2018_gaps_of_the_ars_map(occitanie, place, department, where, at_most):
    """Where the thesis's ARS map shows no HAD able to take a patient, none is authorised (2018)."""
    assert _covered_share(occitanie, MID_2018, department, where) <= at_most, place


def test_2018_part_of_lot_uncovered_rest_covered(occitanie):
    """Part of the Lot (Figeac's side) has no authorised HAD; Toulouse's department is covered."""
    lot = _covered_share(occitanie, MID_2018, "46")
    assert 0.2 < lot < 0.95
    assert _covered_share(occitanie, MID_2018, "31") == 1.0
    assert _covered_share(occitanie, MID_2018, "65") == 1.0


def test_annex_sites_are_marked_reconstructed(occitanie):
    """The five HADs with annexes have one, and every annex says it is not in the thesis."""
    with_annex = {
        h.id for h in occitanie.territory.hads if any(s.kind.value == "annex" for s in h.sites)
    }
    assert with_annex == {
        "had-srd",
        "had-bigorre",
        "had-pasteur",
        "had-font-redonde",
        "had-val-ariege",
    }
    for h in occitanie.territory.hads:
        for s in h.sites:
            if s.kind.value == "annex":
                assert "reconstructed, not in thesis" in s.source
                assert s.insee in _zone(occitanie, h.id), (h.id, s.town)


def test_sites_sit_at_their_commune_centre(occitanie):
    """Site coordinates are the commune centre of communes.geojson; the town is the commune's."""
    for h in occitanie.territory.hads:
        for s in h.sites:
            c = occitanie.territory.communes[s.insee]
            assert (s.location.lat, s.location.lon) == (c.centre.lat, c.centre.lon)
            assert s.town == c.name


def test_zones_csv_is_what_the_script_draws(tmp_path):
    """scripts/build_zones.py reruns, passes its checks and rebuilds the committed zones.csv."""
    out = tmp_path / "zones.csv"
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_zones.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert "checks: all passed" in run.stdout

    def rows(p):
        with open(p, newline="", encoding="utf-8") as f:
            return sorted(map(tuple, csv.reader(f)))

    assert rows(out) == rows(ROOT / "territories" / "occitanie" / "zones.csv")
