"""Summary, adjacency and map on the tiny territory, where every number is checked by hand."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hadplanner.export.territory_map import write_territory_map
from hadplanner.territory.contiguity import (
    commune_adjacency,
    is_contiguous,
    share_border,
)
from hadplanner.territory.summary import render_text, summarise, write_territory_report

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def test_tiny_adjacency_is_the_grid(tiny):
    """Squares sharing a side are neighbours (7 pairs); corner-touching ones are not."""
    g = commune_adjacency(tiny.communes_gdf)
    edges = {frozenset(e) for e in g.edges}
    assert edges == {
        frozenset(p)
        for p in [("09901", "09902"), ("09902", "09903"), ("09904", "09905"),
                  ("09905", "09906"), ("09901", "09904"), ("09902", "09905"),
                  ("09903", "09906")]
    }  # fmt: skip
    assert g.edges["09901", "09902"]["km"] == pytest.approx(8.1, abs=0.1)  # 0.1 deg at 43.15 N


def test_tiny_contiguity_and_borders(tiny):
    """Zones are contiguous; Est borders Ouest via Bois-Aval; a shared commune is no border."""
    g = commune_adjacency(tiny.communes_gdf)
    assert not is_contiguous(g, {"09901", "09906"})
    assert all(is_contiguous(g, z.communes) for z in tiny.territory.zones)
    ouest, centre, est = (tiny.zone_communes(h) for h in ("had-ouest", "had-centre", "had-est"))
    assert share_border(g, est, ouest)
    assert share_border(g, centre, ouest)
    assert share_border(g, centre, est)  # Étang-Fossé, Bois shared aside


@pytest.mark.parametrize(
    ("day", "authorised", "population"),
    [
        (dt.date(2016, 12, 31), {"had-ouest"}, 1400),  # before Centre's authorisation
        (dt.date(2017, 3, 1), {"had-ouest", "had-centre"}, 1650),  # Aval+Bois+Dune+Étang
        (dt.date(2017, 6, 30), {"had-ouest", "had-centre"}, 1650),  # last day is valid
        (dt.date(2018, 6, 1), {"had-ouest"}, 1400),  # Aval+Dune
    ],
)
def test_tiny_summary_by_date(tiny, day, authorised, population):
    """Authorised HADs and covered population follow validity dates, bounds included."""
    s = summarise(tiny, day)
    assert {h.id for h in s.hads if h.authorised} == authorised
    assert s.totals.authorised_population == population
    assert s.totals.population == 5250 and s.totals.communes == 6
    assert s.totals.unzoned_communes == 0


def test_tiny_summary_rows_and_shared_area(tiny):
    """Zone sizes and the one shared commune (Bois) are the README's."""
    s = summarise(tiny, dt.date(2018, 6, 1))
    rows = {h.id: (h.communes, h.population, h.main_site) for h in s.hads}
    assert rows == {
        "had-ouest": (2, 1400, "Aval"),
        "had-centre": (2, 250, "Étang"),
        "had-est": (3, 3800, "Combe"),
    }
    (shared,) = s.shared_areas
    assert shared.had_ids == ("had-centre", "had-est") and shared.population == 200


def test_render_text_french_and_english(tiny):
    """The table is French by default and English with lang='en'."""
    s = summarise(tiny, dt.date(2018, 6, 1))
    fr, en = render_text(s), render_text(s, "en")
    assert "Territoire tiny au 2018-06-01" in fr and "Site principal" in fr and "oui" in fr
    assert "Territory tiny on 2018-06-01" in en and "Main site" in en and "yes" in en
    assert "1\u202f400" in fr and "1,400" in en


ENGLISH_WORDS = ("Zones:", "RECONSTRUCTED", "thesis", "official", "Shared", "Departments",
                 "covered", "in no zone", "authorised", "inhabitants", "drawn by", " yes ", " no ")
FRENCH_WORDS = ("Zones :", "RECONSTITUÉES", "thèse", "Départements", "couverte", "hab.",
                "partagées", "autorisées", " oui ", " non ", "« ")


def test_french_summary_ends_in_french(occitanie):
    """In French every line of the reference territory's summary is French, the last one too."""
    text = render_text(summarise(occitanie, dt.date(2018, 6, 1)), "fr")
    lines = text.splitlines()
    assert lines[-1] == ("Zones : RECONSTITUÉES d'après la thèse, ce ne sont PAS les zones "
                         "officielles de l'ARS (voir README.md).")
    assert "Communes hors de toute zone : 0" in lines
    assert "Départements — population dans la zone d'une HAD autorisée en chimiothérapie :" in lines
    for line in lines:
        assert not any(w in f" {line} " for w in ENGLISH_WORDS), line


def test_english_summary_is_english(occitanie):
    """In English every line is English, the manifest's zones note printed as it is."""
    text = render_text(summarise(occitanie, dt.date(2018, 6, 1)), "en")
    lines = text.splitlines()
    assert lines[-1].startswith("Zones: RECONSTRUCTED from thesis 004")
    for line in lines:
        assert not any(w in f" {line} " for w in FRENCH_WORDS), line


def test_french_summary_quotes_a_free_text_zones_note(tiny):
    """A zones note other than a reconstruction is quoted as data, in a French line."""
    lines = render_text(summarise(tiny, dt.date(2018, 6, 1))).splitlines()
    assert lines[-1] == "Zones : source indiquée par le territoire : « test data, drawn by hand »."
    assert "HAD Centre et HAD Est (09) : 1 commune, 200 hab." in [ln.strip() for ln in lines]


def test_map_has_a_layer_per_zone_and_sites(tiny, tmp_path):
    """The HTML map holds one named layer per zone, the sites' popups and a French legend."""
    path = write_territory_map(tiny, tmp_path, day=dt.date(2018, 6, 1))
    assert path.name == "territoire_tiny.html"
    html = path.read_text(encoding="utf-8")
    for name in ("Zone : HAD Ouest", "Zone : HAD Centre", "Zone : HAD Est", "Sites des HAD"):
        assert name in html
    assert "Légende" in html and "autorisée en chimiothérapie" in html
    assert "Chimiothérapie au 2018-06-01" in html
    assert "Sans HAD autorisée en chimiothérapie" in html


def test_cli_show_json_and_map(tmp_path):
    """`territory show --json` prints the summary as data; `territory map` writes out/ HTML."""
    show = subprocess.run(
        [sys.executable, "-m", "hadplanner", "territory", "show", str(TINY), "--json",
         "--date", "2017-03-01"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert show.returncode == 0, show.stderr
    data = json.loads(show.stdout)
    assert data["totals"]["authorised_hads"] == 2 and data["date"] == "2017-03-01"
    out = tmp_path / "out"
    made = subprocess.run(
        [sys.executable, "-m", "hadplanner", "territory", "map", str(TINY), "--out", str(out),
         "--lang", "en"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    html = (out / "territoire_tiny.html").read_text(encoding="utf-8")
    assert "Zone: HAD Ouest" in html and "Legend" in html


def test_write_territory_report(tmp_path):
    """The territory part of `hadplanner run`: text table, JSON and map under out/."""
    paths = write_territory_report(tmp_path, TINY, day=dt.date(2018, 6, 1))
    assert [p.name for p in paths] == [
        "territoire_tiny.txt",
        "territoire_tiny.json",
        "territoire_tiny.html",
    ]
    assert "HAD Ouest" in paths[0].read_text(encoding="utf-8")
    assert json.loads(paths[1].read_text(encoding="utf-8"))["totals"]["population"] == 5250
