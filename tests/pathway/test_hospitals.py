"""The hospitals with an emergency department: the shipped list, the nearest one, bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import shapely
from shapely.ops import nearest_points

from hadplanner.errors import InputError
from hadplanner.models.territory import Point
from hadplanner.pathway.hospitals import hospitals_path, nearest_emergency, read_hospitals
from hadplanner.travel import haversine_km

from .conftest import NINE_DEPARTMENTS

NEAR_KM = 3.0
"""A site lies in its commune, or this close to it (a geocoded point off a border)."""


def test_shipped_list_loads(hospital_list):
    """The shipped list reads, with its source, its date and at least one hospital per town."""
    assert hospital_list.hospitals
    assert "DREES" in hospital_list.source and "FINESS" in hospital_list.source
    assert hospital_list.date.year == 2013
    assert all(h.source for h in hospital_list.hospitals)


def test_every_insee_is_a_commune_and_the_point_is_in_or_near_it(hospital_list, occitanie):
    """Every hospital's commune is in the territory and its point lies in or near that commune."""
    gdf = occitanie.communes_gdf
    for h in hospital_list.hospitals:
        assert h.insee in occitanie.territory.communes, h.id
        polygon = gdf.loc[h.insee].geometry
        p = shapely.Point(h.location.lon, h.location.lat)
        if polygon.covers(p):
            continue
        q = nearest_points(polygon, p)[0]
        km = float(haversine_km(h.location.lat, h.location.lon, q.y, q.x))
        assert km <= NEAR_KM, f"{h.id}: {km:.1f} km from commune {h.insee}"
        assert "outside" in h.source or "centre" in h.source, f"{h.id}: not explained"


def test_each_department_has_an_emergency_hospital(hospital_list):
    """Each of the nine departments has at least one general emergency department."""
    have = {h.department for h in hospital_list.hospitals if h.emergency and not h.paediatric_only}
    assert set(NINE_DEPARTMENTS) <= have, set(NINE_DEPARTMENTS) - have


def test_main_hospitals_are_listed(hospital_list):
    """The main public hospitals of the brief are in the list, in their towns."""
    by_insee = {h.insee for h in hospital_list.hospitals if h.emergency}
    towns = {"31555": "Toulouse", "81004": "Albi", "81065": "Castres", "82121": "Montauban",
             "46042": "Cahors", "46102": "Figeac", "12202": "Rodez", "12145": "Millau",
             "32013": "Auch", "65440": "Tarbes", "65286": "Lourdes", "31483": "Saint-Gaudens",
             "11069": "Carcassonne", "11262": "Narbonne", "11076": "Castelnaudary",
             "12300": "Villefranche-de-Rouergue", "12089": "Decazeville", "82112": "Moissac",
             "09264": "Saint-Jean-de-Verges (CHIVA)"}
    missing = {code: town for code, town in towns.items() if code not in by_insee}
    assert not missing


def _brute_force(hospitals, point):
    best = None
    for h in hospitals:
        if not h.emergency or h.paediatric_only:
            continue
        km = float(haversine_km(point.lat, point.lon, h.location.lat, h.location.lon))
        if best is None or km < best[1]:
            best = (h, km)
    return best


@pytest.mark.parametrize("insee", ["81065", "31555", "09122", "12145", "65286", "32013"])
def test_nearest_emergency_is_the_closest_one(hospital_list, occitanie, insee):
    """nearest_emergency gives the closest general emergency department and its distance."""
    home = occitanie.territory.communes[insee].centre
    h, km = nearest_emergency(hospital_list.hospitals, home)
    expected, expected_km = _brute_force(hospital_list.hospitals, home)
    assert h.id == expected.id
    assert km == pytest.approx(expected_km)


def test_castres_goes_to_a_castres_hospital(hospital_list, occitanie):
    """A home in Castres goes to an emergency department in Castres, no farther than the CHIC."""
    home = occitanie.territory.communes["81065"].centre
    h, km = nearest_emergency(hospital_list.hospitals, home)
    assert h.insee == "81065"
    chic = [x for x in hospital_list.hospitals if x.insee == "81065" and x.finess
            and "castres-mazamet" in x.id]
    assert chic, "the CHIC Castres-Mazamet is in the list"
    chic_km = float(haversine_km(home.lat, home.lon, chic[0].location.lat, chic[0].location.lon))
    assert km <= chic_km < 10


def test_toulouse_goes_to_a_toulouse_hospital(hospital_list, occitanie):
    """A home at Toulouse's town hall goes to a general emergency department in Toulouse."""
    home = occitanie.territory.communes["31555"].centre
    h, km = nearest_emergency(hospital_list.hospitals, home)
    assert h.insee == "31555" and not h.paediatric_only
    assert km < 5


def test_paediatric_department_only_for_children(hospital_list):
    """A paediatric-only department is a candidate only when asked for a child."""
    kids = next(h for h in hospital_list.hospitals if h.paediatric_only)
    adult, _ = nearest_emergency(hospital_list.hospitals, kids.location)
    child, km = nearest_emergency(hospital_list.hospitals, kids.location, paediatric=True)
    assert adult.id != kids.id
    assert child.id == kids.id and km == pytest.approx(0.0, abs=1e-6)


def test_no_emergency_hospital_is_an_error(hospital_list):
    """A list without any emergency department gives a clear error."""
    none = [h.model_copy(update={"emergency": False, "paediatric_only": False})
            for h in hospital_list.hospitals[:3]]
    with pytest.raises(ValueError, match="no hospital with an emergency department"):
        nearest_emergency(none, Point(lat=43.6, lon=1.44))


GOOD = """\
source: test
date: '2020-01-01'
hospitals:
- id: ch-a
  name: CH A
  town: Albi
  insee: '81004'
  location: {lat: 43.93, lon: 2.14}
  emergency: true
  finess: '810000505'
  source: test
- id: ch-b
  name: CH B
  town: Castres
  insee: '81065'
  location: {lat: 43.57, lon: 2.26}
  emergency: true
  finess: '810000521'
  source: test
"""

BAD = [
    # (what, edit of GOOD, words the one-line message must hold)
    ("missing field", ("  town: Castres\n", ""), [":12:", "hospitals[1].town", "missing"]),
    ("duplicate id", ("- id: ch-b", "- id: ch-a"),
     [":12:", "hospitals[1].id", "'ch-a'", "h.yaml:4)"]),
    ("duplicate FINESS", ("'810000521'", "'810000505'"),
     [":18:", "hospitals[1].finess", "h.yaml:10)"]),
    ("lat/lon swapped", ("{lat: 43.57, lon: 2.26}", "{lat: 2.26, lon: 43.57}"),
     [":16:", "hospitals[1].location", "outside France"]),
    ("bad FINESS", ("'810000521'", "'81000052'"), [":18:", "hospitals[1].finess"]),
    ("FINESS of another department", ("'810000521'", "'310000521'"),
     [":18:", "hospitals[1].finess", "department 31", "81065"]),
    ("bad INSEE", ("'81065'", "'8106'"), [":15:", "hospitals[1].insee", "INSEE"]),
    ("emergency as text", ("  emergency: true\n  finess: '810000521'",
                           "  emergency: yes\n  finess: '810000521'"),
     [":17:", "hospitals[1].emergency", "true or false"]),
    ("no date", ("date: '2020-01-01'\n", ""), ["date", "missing"]),
]


def _write(tmp_path: Path, text: str, name: str = "h.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_good_file_reads(tmp_path):
    """The small file the malformed ones derive from reads."""
    hs = read_hospitals(_write(tmp_path, GOOD), known_insee={"81004", "81065"})
    assert [h.id for h in hs] == ["ch-a", "ch-b"]


@pytest.mark.parametrize("what, edit, words", BAD, ids=[b[0] for b in BAD])
def test_malformed_file_gives_one_line(tmp_path, what, edit, words):
    """Each malformed list gives one line naming the file, the line and the field."""
    old, new = edit
    assert old in GOOD
    p = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError) as err:
        read_hospitals(p)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(p))
    for w in words:
        assert w in message, (w, message)


def test_unknown_insee_against_known_codes(tmp_path):
    """An INSEE code that is not a commune of the territory is named with its line."""
    p = _write(tmp_path, GOOD)
    with pytest.raises(InputError, match=re.escape(f"{p}:15: hospitals[1].insee: unknown INSEE "
                                                   "code 81065")):
        read_hospitals(p, known_insee={"81004"})


def test_windows_1252_file_is_refused(tmp_path):
    """A list saved as Windows-1252 is refused with the encoding named, in one line."""
    p = tmp_path / "h.yaml"
    p.write_bytes(GOOD.replace("CH B", "Hôpital B").encode("cp1252"))
    with pytest.raises(InputError) as err:
        read_hospitals(p)
    message = str(err.value)
    assert "\n" not in message and f"{p}:13:" in message and "Windows-1252" in message


def test_shipped_path_is_in_the_territory_folder():
    """The shipped list is the territory's hospitals.yaml."""
    assert hospitals_path("occitanie").name == "hospitals.yaml"
    assert hospitals_path("occitanie").is_file()
