"""The territory's light loader (no polygons) behind ``hadplanner plan``'s road time.

It must give what the full loader gives for every commune and for the
centre, refuse a broken file with one line, and leave geopandas unloaded
unless a home is given as a point (which needs the polygons).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hadplanner.errors import TerritoryError
from hadplanner.territory.loading import (
    clear_cache,
    load_places,
    load_territory,
    read_commune_places,
)

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["occitanie", str(TINY)])
def test_places_are_the_full_loaders_communes_and_centre(name: str) -> None:
    """Every commune (name, department, population, centre) and the centre, as loaded in full."""
    clear_cache()  # the places read from the file, not taken from an earlier full load
    places = load_places(name)
    full = load_territory(name).territory
    assert sorted(places.communes) == sorted(full.communes)
    for code, commune in full.communes.items():
        assert places.communes[code] == commune
    assert places.centre == full.centre
    assert places.name == full.name


def _write(tmp_path: Path, features: list) -> Path:
    path = tmp_path / "communes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _feature(**props) -> dict:
    base = {"insee": "31555", "name": "Toulouse", "department": "31", "population": 1,
            "lat": 43.6, "lon": 1.44}
    return {"type": "Feature", "properties": {**base, **props}, "geometry": None}


def test_broken_commune_files_are_refused_with_one_line(tmp_path: Path) -> None:
    """Not JSON, a missing property, a bad or repeated code, text for a number: one line."""
    bad = tmp_path / "communes.geojson"
    bad.write_text("{not json")
    with pytest.raises(TerritoryError, match="cannot read as a geographic file"):
        read_commune_places(bad)
    with pytest.raises(TerritoryError, match="feature 2: missing property 'lat'"):
        read_commune_places(_write(tmp_path, [_feature(), _feature(insee="31556", lat=None)]))
    with pytest.raises(TerritoryError, match="feature 1: not an INSEE commune code: '3155'"):
        read_commune_places(_write(tmp_path, [_feature(insee="3155")]))
    with pytest.raises(TerritoryError, match="duplicate INSEE code 31555 .features 1, 2."):
        read_commune_places(_write(tmp_path, [_feature(), _feature()]))
    with pytest.raises(TerritoryError, match="commune 31555: population must be a number in "
                                             "the file, got 'mille'"):
        read_commune_places(_write(tmp_path, [_feature(population="mille")]))


def test_a_commune_is_validated_when_looked_up(tmp_path: Path) -> None:
    """A latitude out of range is refused, naming the file and the commune, when it is used."""
    table = read_commune_places(_write(tmp_path, [_feature(), _feature(insee="31556", lat=123)]))
    assert table["31555"].centre.lat == 43.6
    with pytest.raises(TerritoryError, match="commune 31556"):
        table["31556"]
    assert table.get("99999") is None


def test_edited_files_are_read_again_after_clear_cache(tmp_path: Path) -> None:
    """clear_cache forgets the light loader's copy too."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    before = load_places(folder)
    path = folder / "communes.geojson"
    data = json.loads(path.read_text())
    data["features"][0]["properties"]["name"] = "Renamed"
    path.write_text(json.dumps(data))
    assert load_places(folder) is before
    clear_cache()
    code = data["features"][0]["properties"]["insee"]
    assert load_places(folder).communes[code].name == "Renamed"


_PROBE = """
import sys
from hadplanner.models.request import parse_request
from hadplanner.pathway.transport import resolve_transport
from hadplanner.export.ics import calendar_places
req = parse_request({{"patient": {{"id": "T", "weight_kg": 70, "height_cm": 170,
                                  "home": {home}}},
                      "change_mode": "had_nurse",
                      "cycles": [{{"number": 1, "start": "2027-01-04T10:00",
                                   "regimen": "rr-cycle"}}]}})
resolve_transport(req)
calendar_places(req)
print("geopandas" in sys.modules, "shapely" in sys.modules)
"""


@pytest.mark.parametrize(("home", "polygons"), [('{"commune": "81065"}', False),
                                                ('{"lat": 43.6, "lon": 1.44}', True)])
def test_only_a_home_given_as_a_point_loads_the_polygons(home: str, polygons: bool) -> None:
    """A home commune gets its road time and calendar places without geopandas or shapely."""
    out = subprocess.run([sys.executable, "-c", _PROBE.format(home=home)], check=True,
                         capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert out.stdout.split() == [str(polygons), str(polygons)]


def test_a_territory_loaded_in_full_is_not_read_again(tmp_path: Path) -> None:
    """After load_territory, load_places gives the full loader's own communes and centre."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    clear_cache()
    full = load_territory(folder)
    places = load_places(folder)
    assert places.communes is full.territory.communes
    assert places.centre == full.territory.centre
