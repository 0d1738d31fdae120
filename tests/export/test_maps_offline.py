"""The offline map pieces, without a browser: labels, zone notice, geometry, tiny maps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import shapely

from hadplanner.errors import InputError
from hadplanner.export._labels import MAP_LABELS, map_labels
from hadplanner.export.coverage_map import write_coverage_map
from hadplanner.export.static.offline import dissolve, leaflet_assets, lighten, zones_notice
from hadplanner.export.territory_map import write_territory_map
from hadplanner.territory.coverage import TerritoryIndex, compute_coverage
from hadplanner.territory.loading import load_territory

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def _keys(d: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in d.items():
        out.add(prefix + str(k))
        if isinstance(v, dict):
            out |= _keys(v, f"{prefix}{k}.")
    return out


def test_map_labels_have_the_same_keys_in_both_languages():
    assert _keys(MAP_LABELS["fr"]) == _keys(MAP_LABELS["en"])
    assert map_labels("en")["inhabitants"] == "inhabitants"
    with pytest.raises(InputError):
        map_labels("de")


def test_zones_notice_says_reconstructed_zones_are_not_official():
    occitanie = load_territory("occitanie").manifest.zones_source
    assert "Zones reconstituées, non officielles" in zones_notice([occitanie])
    assert "Reconstructed zones, not official" in zones_notice([occitanie], "en")
    assert "Source des zones : test data" in zones_notice(["test data"])
    assert zones_notice(["", " "]) == ""


def test_leaflet_is_inlined_without_outside_references():
    js, css = leaflet_assets()
    assert js.startswith("/* @preserve\n * Leaflet 1.9.4")
    assert "sourceMappingURL" not in js
    assert "url(images/layers" not in css and "data:image/png;base64," in css


def test_display_geometry_keeps_neighbours_touching():
    """Two squares sharing a wavy edge: simplified together, still no gap between them."""
    xs = np.linspace(0, 1, 41)
    edge = [(1 + 0.0002 * np.sin(9 * x), x) for x in xs]  # shared edge, x ~ 1
    left = shapely.Polygon([(0, 0), *edge, (0, 1)])
    right = shapely.Polygon([(2, 0), (2, 1), *edge[::-1]])
    a, b = lighten(np.array([left, right], dtype=object), 0.001)
    assert shapely.get_num_coordinates(a) < shapely.get_num_coordinates(left)
    assert shapely.intersection(a, b).length == pytest.approx(1, abs=1e-3)
    merged = dissolve(np.array([a, b], dtype=object))
    assert merged.is_valid and merged.area == pytest.approx(2, rel=1e-3)


def test_tiny_maps_are_self_contained_and_name_their_zone_source(tmp_path):
    """On the hand-made territory: no CDN, the zones' source (not the 'reconstructed' notice)."""
    tiny = load_territory(TINY)
    day = dt.date(2018, 6, 1)
    cov = compute_coverage(TerritoryIndex.from_loaded(tiny), day)
    for lang in ("fr", "en"):
        paths = [
            write_coverage_map(cov, tmp_path / lang / "coverage_map.html", lang),
            write_territory_map(tiny, tmp_path / lang, day=day, lang=lang),
        ]
        assert sorted(p.name for p in (tmp_path / lang).iterdir()) == sorted(
            p.name for p in paths
        )  # nothing written beside the maps
        for path in paths:
            text = path.read_text(encoding="utf-8")
            assert "<script src=" not in text and "cdn." not in text
            assert "test data, drawn by hand" in text
            assert "reconstitu" not in text and "Reconstructed zones" not in text
            legend = text[text.index('<div id="hadp-legend"') : text.index("</body>")]
            assert "HAD Ouest" in text and "had-ouest" not in legend
