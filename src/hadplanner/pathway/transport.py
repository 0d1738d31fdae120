"""The road time from the PUI to a patient's home, for HAD bag changes.

One place decides it, for the planner, the practice and the checker alike:

1. ``settings.transport_h`` when the request gives it;
2. else, when the request gives a home, the territory's travel model
   (:func:`hadplanner.travel.transport_hours`) from the territory's prescribing
   centre (its PUI) to the home: a point, or the centre of the home commune
   (from the territory, else from ``data/communes_france.csv`` for a patient
   living outside it), rounded *up* to whole minutes (a road time is planned to
   the minute, and rounding up keeps every bag's transport margin safe);
3. else the spec's default (``settings.default_transport_h``, 2.0 h).

A home commune code that no table knows is an error, never a guess.

Commune centres and the centre's location come from the territory's light
loader (:func:`hadplanner.territory.loading.load_places`: no polygons, no
geopandas); only a home given as a point loads the polygons, to check that
it lies in a commune of the territory.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from hadplanner.errors import InputError
from hadplanner.models.request import Request
from hadplanner.models.territory import Point
from hadplanner.paths import data_dir


@dataclass(frozen=True)
class Transport:
    """The PUI -> home road time used for HAD changes, and where it comes from."""

    hours: float
    source: str
    """``setting``, ``territory`` or ``default``."""
    note: str | None = None
    """Something the user must know about the home (said in every output)."""


@dataclass(frozen=True)
class FrenchCommune:
    """A commune of the national table: its name and centre."""

    name: str
    centre: Point


@functools.lru_cache(maxsize=1)
def france_communes() -> dict[str, FrenchCommune]:
    """Every French commune's name and centre (``data/communes_france.csv``), by INSEE code."""
    from hadplanner.io.reading import read_table

    table = read_table(data_dir() / "communes_france.csv", "communes-france",
                       ("insee", "name", "lat", "lon"), optional=None)
    return {r.get("insee"): FrenchCommune(r.get("name"), Point.model_validate(
        {"lat": table.real(r, "lat"), "lon": table.real(r, "lon")})) for r in table.rows}


def commune_name(insee: str, territory: str = "occitanie") -> str | None:
    """The name of a commune: from the territory, else from the national table."""
    from hadplanner.territory.loading import load_places

    known = load_places(territory).communes.get(insee)
    if known is not None:
        return known.name
    national = france_communes().get(insee)
    return national.name if national is not None else None


def commune_centre(insee: str, territory: str = "occitanie") -> Point:
    """The centre of a commune: from the territory, else from the national table.

    Raises
    ------
    InputError
        No table knows the code.
    """
    from hadplanner.territory.loading import load_places

    known = load_places(territory).communes.get(insee)
    if known is not None:
        return known.centre
    national = france_communes().get(insee)
    if national is None:
        raise InputError(
            f"patient.home.commune: unknown INSEE commune code {insee} "
            f"(neither in territory {territory!r} nor among French communes)"
        )
    return national.centre


NEAR_COMMUNE_KM = 10.0
"""A home point outside the territory's communes is accepted when a French commune
centre lies within this distance (on land, in France: communes are a few km
across); farther, the point is at sea or abroad and is refused."""


def home_point(lat: float, lon: float, territory: str = "occitanie") -> tuple[Point, str | None]:
    """A home given by coordinates, checked to lie on land in France; and a note, if any.

    Inside a commune of the territory: the point, no note. Outside the
    territory's polygons but within :data:`NEAR_COMMUNE_KM` of a French commune's
    centre: the point, and a note naming that commune (said in every output).
    Otherwise (at sea, abroad) it is refused: a straight-line road time to such a
    point would be a guess, and the coverage commands refuse the same point.

    Raises
    ------
    InputError
        The point lies in no commune of the territory and near no French commune.
    """
    import numpy as np

    from hadplanner.territory.loading import load_territory
    from hadplanner.travel import haversine_km

    if load_territory(territory).commune_at(lat, lon) is not None:
        return Point(lat=lat, lon=lon), None
    table = france_communes()
    codes = list(table)
    lats = np.array([table[c].centre.lat for c in codes])
    lons = np.array([table[c].centre.lon for c in codes])
    km = haversine_km(lat, lon, lats, lons)
    nearest = int(np.argmin(km))
    if km[nearest] > NEAR_COMMUNE_KM:
        raise InputError(
            f"patient.home: point ({lat:.5f}, {lon:.5f}) lies in no commune of territory "
            f"{territory!r} and {km[nearest]:.0f} km from the nearest French commune centre "
            f"(at sea or abroad): give the home's INSEE commune code instead")
    name = table[codes[nearest]].name
    return Point(lat=lat, lon=lon), (
        f"home point ({lat:.5f}, {lon:.5f}) is outside territory {territory!r}, "
        f"{km[nearest]:.1f} km from the centre of {name} ({codes[nearest]}): road time from "
        "the point")


@functools.lru_cache(maxsize=512)
def _hours_to(home: Point, territory: str) -> float:
    from hadplanner.territory.loading import load_places
    from hadplanner.travel import transport_hours

    centre = load_places(territory).centre
    if centre is None:
        raise InputError(
            f"territory {territory!r} has no prescribing centre: give settings.transport_h"
        )
    minutes = math.ceil(float(transport_hours(centre.location, home)) * 60 - 1e-9)
    return minutes / 60


def resolve_transport(request: Request, territory: str = "occitanie") -> Transport:
    """The road time of a request: its setting, else the travel model, else the default.

    The home is checked whichever applies: an unknown commune code or a point
    outside the territory's communes is an error even when the road time is set.
    """
    s = request.settings
    home = request.patient.home
    point: Point | None = None
    note: str | None = None
    if home is not None and home.commune is not None:
        point = commune_centre(home.commune, territory)
    elif home is not None and home.lat is not None and home.lon is not None:
        point, note = home_point(home.lat, home.lon, territory)
    if s.transport_h is not None:
        return Transport(s.transport_h, "setting", note)
    if point is None:
        return Transport(s.default_transport_h, "default")
    return Transport(_hours_to(point, territory), "territory", note)


def with_transport(request: Request, transport: Transport) -> Request:
    """The request with its road time written in ``settings.transport_h``.

    Writing it in the request lets the planner, the practice and the checker
    use one and the same number.
    """
    if request.settings.transport_h is not None:
        return request
    settings = request.settings.model_copy(update={"transport_h": transport.hours})
    return request.model_copy(update={"settings": settings})
