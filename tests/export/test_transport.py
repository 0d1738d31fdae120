"""The road time PUI -> home used by ``hadplanner plan`` (territory travel model)."""

from __future__ import annotations

import pytest

from hadplanner.errors import InputError
from hadplanner.models.request import parse_request
from hadplanner.pathway.transport import resolve_transport, with_transport


def _request(home=None, **settings):
    patient = {"id": "T", "weight_kg": 70, "height_cm": 170}
    if home is not None:
        patient["home"] = home
    return parse_request({"patient": patient, "change_mode": "had_nurse",
                          "cycles": [{"number": 1, "start": "2027-01-04T10:00",
                                      "regimen": "rr-cycle"}],
                          "settings": settings})


def test_commune_home_uses_the_territory_model_in_whole_minutes():
    """Castres is over an hour from the Oncopole PUI; the time is whole minutes, rounded up."""
    tr = resolve_transport(_request({"commune": "81065"}))
    assert tr.source == "territory"
    assert 1.0 < tr.hours < 2.0
    assert abs(tr.hours * 60 - round(tr.hours * 60)) < 1e-9
    near = resolve_transport(_request({"commune": "31555"}))
    assert near.hours < tr.hours


def test_setting_wins_and_no_home_gives_the_default():
    """settings.transport_h is kept as is; without a home the spec's 2.0 h applies."""
    assert resolve_transport(_request({"commune": "81065"}, transport_h=0.75)).hours == 0.75
    default = resolve_transport(_request())
    assert (default.hours, default.source) == (2.0, "default")


def test_with_transport_writes_the_setting():
    """The resolved time is written in the request so planner, practice and checker agree."""
    req = _request({"lat": 44.0176, "lon": 1.3550})
    tr = resolve_transport(req)
    assert with_transport(req, tr).settings.transport_h == tr.hours


def test_unknown_commune_is_an_input_error():
    """A home commune the territory does not know is refused with one line."""
    with pytest.raises(InputError, match="99999"):
        resolve_transport(_request({"commune": "99999"}))


def test_home_outside_the_territory_uses_the_national_commune_table():
    """A patient living in Paris (75056) gets a road time from the national table, not 2 h."""
    tr = resolve_transport(_request({"commune": "75056"}))
    assert tr.source == "territory"
    assert tr.hours > 5


@pytest.mark.parametrize("point", [{"lat": 43.2, "lon": 3.9},      # the Gulf of Lion, off Sète
                                   {"lat": 42.5, "lon": 1.5},      # Andorra
                                   {"lat": 46.0, "lon": -3.0}])    # the Bay of Biscay
def test_home_point_at_sea_or_abroad_is_refused(point):
    """A point in the sea or abroad gets no straight-line road time, even with one set."""
    with pytest.raises(InputError, match="lies in no commune of territory 'occitanie' and"):
        resolve_transport(_request(point))
    with pytest.raises(InputError, match="at sea or abroad"):
        resolve_transport(_request(point, transport_h=1.0))


def test_home_point_in_france_outside_the_territory_is_planned_with_a_note():
    """A point in Montpellier (Hérault, outside the nine departments) is on land: planned,
    and the note naming the nearest commune is carried by the transport."""
    tr = resolve_transport(_request({"lat": 43.6109, "lon": 3.8772}))
    assert tr.source == "territory" and 2 < tr.hours < 5
    assert tr.note is not None and "Montpellier (34172)" in tr.note


def test_planner_and_derogations_refuse_the_same_point():
    """The planner's home rule and the coverage's commune lookup agree on a point at sea."""
    from hadplanner.errors import UnknownCommuneError
    from hadplanner.territory.coverage import TerritoryIndex
    from hadplanner.territory.loading import load_territory

    loaded = load_territory("occitanie")
    index = TerritoryIndex.from_loaded(loaded)
    for lat, lon in ((43.2, 3.9), (43.6045, 1.444)):
        try:
            by_coverage = index.locate(lat, lon)
        except UnknownCommuneError:
            by_coverage = None
        assert loaded.commune_at(lat, lon) == by_coverage
