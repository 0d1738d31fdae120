"""Import of official data: zones as CSV or polygons, HADs as CSV or YAML, over a territory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hadplanner.errors import TerritoryError
from hadplanner.territory.importing import (
    read_hads,
    read_hads_csv,
    with_overrides,
    zones_from_polygons,
)

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def _box(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def _polygons(path, features):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"had_id": h}, "geometry": {"type": "Polygon",
             "coordinates": ring}}
            for h, ring in features
        ],
    }  # fmt: skip
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def ars_polygons(tmp_path):
    """had-ouest: west 0.16 deg (Aval, Dune whole; Bois, Étang 60 %); had-est: east column."""
    return _polygons(
        tmp_path / "zones_ars.geojson",
        [("had-ouest", _box(1.0, 43.0, 1.16, 43.2)), ("had-est", _box(1.2, 43.0, 1.3, 43.2))],
    )


@pytest.mark.parametrize(
    ("min_share", "ouest"),
    [
        (0.5, {"09901", "09904", "09902", "09905"}),  # 60 % of Bois and Étang inside: in
        (0.7, {"09901", "09904"}),  # 60 % < 70 %: out
        (1.0, {"09901", "09904"}),  # whole communes only
    ],
)
def test_zones_from_polygons_by_area_share(tiny, ars_polygons, min_share, ouest):
    """A commune joins a polygon zone when at least min_share of its area lies inside."""
    zones = {z.had_id: z.communes for z in zones_from_polygons(ars_polygons, tiny.communes_gdf,
                                                                 min_share=min_share)}
    assert zones["had-ouest"] == ouest
    assert zones["had-est"] == {"09903", "09906"}


def test_zones_from_geopackage_in_lambert93(tiny, tmp_path):
    """Polygons in another CRS (a GeoPackage in Lambert-93) give the same communes."""
    import geopandas as gpd
    import shapely

    gdf = gpd.GeoDataFrame(
        {"had_id": ["had-est"]}, geometry=[shapely.box(1.2, 43.0, 1.3, 43.2)], crs=4326
    ).to_crs(2154)
    path = tmp_path / "zones.gpkg"
    gdf.to_file(path, engine="pyogrio")
    (zone,) = zones_from_polygons(path, tiny.communes_gdf)
    assert zone.had_id == "had-est" and zone.communes == {"09903", "09906"}


def test_zone_polygon_errors(tiny, tmp_path):
    """A bow-tie zone polygon or a polygon over no commune is named with its feature."""
    tie = [[[1.2, 43.0], [1.3, 43.2], [1.3, 43.0], [1.2, 43.2], [1.2, 43.0]]]
    bow = _polygons(tmp_path / "bow.geojson", [("had-est", tie)])
    where = r"bow\.geojson: feature 1 \(had_id='had-est'\): invalid geometry"
    with pytest.raises(TerritoryError, match=where):
        zones_from_polygons(bow, tiny.communes_gdf)
    (zone,) = zones_from_polygons(bow, tiny.communes_gdf, min_share=0.2, repair=True)
    assert zone.communes == {"09903", "09906"}  # the repaired bow tie holds half of each
    far = _polygons(tmp_path / "far.geojson", [("had-est", _box(5.0, 45.0, 5.1, 45.1))])
    with pytest.raises(TerritoryError, match="covers no commune"):
        zones_from_polygons(far, tiny.communes_gdf)


def test_with_overrides_replaces_zones(tiny, ars_polygons):
    """Official zones replace the territory's; HADs and communes stay; shares are recounted."""
    t = with_overrides(tiny, zones=ars_polygons).territory
    assert {z.had_id for z in t.zones} == {"had-ouest", "had-est"}
    assert t.zone_of("had-centre") is None
    assert len(t.hads) == 3 and len(t.communes) == 6
    assert tiny.territory.zone_of("had-centre") is not None  # the cached original is untouched


def test_hads_from_csv(tiny, tmp_path):
    """A HAD CSV gives validated HADs; coordinates default to the commune centre."""
    path = tmp_path / "hads.csv"
    path.write_text(
        "id,name,legal_status,departments,supply,main_town,main_insee,annexes,"
        "chemo_basis,chemo_holder,chemo_valid_from,chemo_valid_until,patients_treated\n"
        "had-ouest,HAD Ouest,public_hospital,09,own_pui,Aval,09901,Bois:09902,"
        "attached,CH Ouest,2016-01-01,,3\n"
        "had-centre,HAD Centre,private_non_profit,09,community_pharmacy,Étang,09905,,,,,,0\n"
        "had-est,HAD Est,private_for_profit,09,community_pharmacy,Combe,09903,,,,,,0\n",
        encoding="utf-8",
    )
    hads = read_hads_csv(path, tiny.communes_gdf)
    ouest = hads[0]
    assert [s.town for s in ouest.sites] == ["Aval", "Bois"]
    assert (ouest.sites[1].location.lat, ouest.sites[1].location.lon) == (43.15, 1.15)
    assert ouest.authorisations[0].valid_from.isoformat() == "2016-01-01"
    assert ouest.patients_treated == 3 and not hads[1].authorisations
    t = with_overrides(tiny, hads=path).territory
    assert t.had("had-ouest").patients_treated == 3


def test_hads_from_yaml_is_the_territory_format(tiny):
    """read_hads on a hads.yaml gives the territory's own HADs."""
    assert read_hads(TINY / "hads.yaml") == tiny.territory.hads


def test_cli_show_with_official_polygons(ars_polygons):
    """`territory show --zones polygons.geojson --json` counts the imported zones."""
    out = subprocess.run(
        [sys.executable, "-m", "hadplanner", "territory", "show", str(TINY), "--zones",
         str(ars_polygons), "--json", "--date", "2018-06-01"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    rows = {h["id"]: h for h in data["hads"]}
    assert rows["had-ouest"]["communes"] == 4 and rows["had-ouest"]["population"] == 1650
    assert rows["had-centre"]["communes"] == 0
    assert data["zones_source"].endswith("zones_ars.geojson")


def test_occitanie_zones_roundtrip_through_polygons(occitanie, tmp_path):
    """Dissolving the zones to polygons and importing them back gives the same commune lists."""
    import geopandas as gpd
    import shapely

    gdf = occitanie.communes_gdf
    zones = occitanie.territory.zones
    shapes = [
        shapely.make_valid(shapely.union_all(gdf.geometry.loc[sorted(z.communes)].to_numpy()))
        for z in zones
    ]
    path = tmp_path / "zones.gpkg"
    gpd.GeoDataFrame({"had_id": [z.had_id for z in zones]}, geometry=shapes, crs=4326).to_file(
        path, engine="pyogrio"
    )
    back = {z.had_id: z.communes for z in zones_from_polygons(path, gdf)}
    assert back == {z.had_id: z.communes for z in zones}
