"""Travel times by road, behind one interface.

Every algorithm that needs a travel time (coverage, derogation candidates,
transport of bags from the PUI to a patient) asks a :class:`TravelTimeProvider`.
Three are shipped:

- :class:`OfflineTravelModel` (the default): great-circle distance times a road
  detour factor, driven at a speed that depends on the distance, plus a fixed
  access overhead. It needs no data and no network, and is monotone and
  symmetric by construction.
- :class:`TableTravelModel`: times read from a CSV file (``origin,dest,minutes``
  keyed by INSEE commune code), e.g. exported from a routing engine or measured
  by the HAD teams.
- :class:`OsrmTravelModel`: asks an OSRM server. It needs a running server
  (``osrm-routed``) and is never used by the tests nor by default.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import Field, model_validator

from hadplanner.errors import InputError
from hadplanner.models.base import Model
from hadplanner.models.territory import Point, Territory

MAX_MINUTES = 24 * 60
"""Longest travel time a table may hold: a day's drive (more is a unit error)."""

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), the usual choice for haversine distances."""

PointsLike = Sequence[Point] | np.ndarray
"""Points as a sequence of :class:`Point` or an ``(n, 2)`` array of ``(lat, lon)``."""


@runtime_checkable
class TravelTimeProvider(Protocol):
    """Road travel time between WGS84 points, in minutes."""

    def minutes(self, origin: Point, dest: Point) -> float:
        """Travel time from ``origin`` to ``dest``."""
        ...

    def matrix(self, origins: PointsLike, dests: PointsLike) -> np.ndarray:
        """Travel times, shape ``(len(origins), len(dests))``."""
        ...


def as_latlon(points: PointsLike) -> np.ndarray:
    """Points as a float ``(n, 2)`` array of ``(lat, lon)`` degrees."""
    if isinstance(points, np.ndarray):
        arr = np.asarray(points, dtype=float)
        if arr.ndim == 1 and arr.size == 2:
            arr = arr.reshape(1, 2)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"expected an (n, 2) array of (lat, lon), got shape {arr.shape}")
        return arr
    return np.array([(p.lat, p.lon) for p in points], dtype=float).reshape(-1, 2)


def haversine_km(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in km (broadcasts like numpy)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class SpeedBand(Model):
    """Road kilometres driven at one speed: those up to ``up_to_km`` (None: the rest)."""

    up_to_km: float | None = Field(default=None, gt=0)
    speed_kmh: float = Field(gt=0)


class OfflineTravelSettings(Model):
    """Coefficients of :class:`OfflineTravelModel`.

    Defaults and why:

    - ``detour_factor`` 1.3: the road distance between two places is on average
      about 1.2 to 1.4 times the great-circle distance in Western Europe
      (circuity factors of Ballou, Rahardja & Sakai, *Transportation Research
      Part A* 36, 2002, ~1.3 for European countries; Boscoe, Henry & Zdeb,
      *The Professional Geographer* 64, 2012, give ~1.4 in the US where the
      grid is sparser in rural areas). 1.3 is the figure commonly used for
      French roads; rural Pyrenean and Massif Central valleys are worse, which
      is why the factor is a setting.
    - speed bands, applied like tax brackets (the first 10 road-km at 35 km/h,
      the next 20 at 60, the rest at 80): a nurse's trip starts in town streets
      and villages (speed limits 30-50 km/h, stops), continues on departmental
      roads (80 km/h limit since 2018, 90 before, minus bends and crossings) and
      long trips use expressways and motorways. Brackets, rather than one speed
      chosen by the total distance, keep the time continuous and increasing
      with distance: with a single speed per band a 10.1 km trip at 60 km/h
      would be shorter than a 9.9 km one at 35 km/h.
    - ``overhead_min`` 5: leaving the base, parking and reaching the door; it
      also makes a visit in the same commune cost something.

    With these, the default 45-minute limit for daily visits is reached at
    about 26 km as the crow flies (34 road-km); 40 km as the crow flies (52
    road-km, an average of 59 km/h) take about 58 minutes. A user with real
    times plugs a :class:`TableTravelModel` or :class:`OsrmTravelModel` instead.
    """

    detour_factor: float = Field(default=1.3, ge=1.0)
    bands: tuple[SpeedBand, ...] = (
        SpeedBand(up_to_km=10, speed_kmh=35),
        SpeedBand(up_to_km=30, speed_kmh=60),
        SpeedBand(up_to_km=None, speed_kmh=80),
    )
    overhead_min: float = Field(default=5.0, ge=0)

    @model_validator(mode="after")
    def _bands_increase(self) -> OfflineTravelSettings:
        limits = [b.up_to_km for b in self.bands]
        if not limits or limits[-1] is not None:
            raise ValueError("the last speed band must be open-ended (up_to_km: null)")
        finite = [x for x in limits[:-1]]
        if any(x is None for x in finite) or finite != sorted(finite):  # type: ignore[type-var]
            raise ValueError("speed bands must have increasing up_to_km, only the last open")
        return self


class OfflineTravelModel:
    """Great-circle distance × detour factor, at a speed by distance band, plus overhead.

    Parameters
    ----------
    settings
        The coefficients; the defaults are justified in :class:`OfflineTravelSettings`.
    """

    def __init__(self, settings: OfflineTravelSettings | None = None) -> None:
        self.settings = settings or OfflineTravelSettings()

    def minutes_for_km(self, great_circle_km: np.ndarray | float) -> np.ndarray:
        """Travel minutes for great-circle distances (vectorised)."""
        s = self.settings
        road = np.asarray(great_circle_km, dtype=float) * s.detour_factor
        total = np.zeros_like(road)
        lower = 0.0
        for band in s.bands:
            upper = math.inf if band.up_to_km is None else band.up_to_km
            in_band = np.clip(road - lower, 0.0, upper - lower)
            total += in_band / band.speed_kmh * 60.0
            lower = upper
        return total + s.overhead_min

    def km_within(self, minutes: float) -> float:
        """Largest great-circle distance driven within ``minutes`` (inverse of
        :meth:`minutes_for_km`; 0 when even the overhead does not fit).

        The model is increasing in distance, so every pair within ``minutes``
        is at most this far apart: an exact pre-filter for a time limit.
        """
        s = self.settings
        budget = float(minutes) - s.overhead_min
        if budget < 0:
            return 0.0
        lower = 0.0
        for band in s.bands:
            upper = math.inf if band.up_to_km is None else band.up_to_km
            band_min = (upper - lower) / band.speed_kmh * 60.0
            if budget <= band_min:
                return (lower + budget / 60.0 * band.speed_kmh) / s.detour_factor
            budget -= band_min
            lower = upper
        return math.inf  # pragma: no cover - the last band is open-ended

    def minutes(self, origin: Point, dest: Point) -> float:
        """Travel time from ``origin`` to ``dest``."""
        d = haversine_km(origin.lat, origin.lon, dest.lat, dest.lon)
        return float(self.minutes_for_km(d))

    def matrix(self, origins: PointsLike, dests: PointsLike) -> np.ndarray:
        """Travel times, shape ``(len(origins), len(dests))``."""
        o, d = as_latlon(origins), as_latlon(dests)
        km = haversine_km(o[:, None, 0], o[:, None, 1], d[None, :, 0], d[None, :, 1])
        return self.minutes_for_km(km)


class TableTravelModel:
    """Travel times from a table keyed by place (INSEE code), with an optional fallback.

    Points are matched to places by their coordinates (rounded to about 1 m);
    a pair missing from the table is asked to ``fallback``, or is an error.
    The table is taken as symmetric when only one direction is given.

    Parameters
    ----------
    table
        ``{(origin_key, dest_key): minutes}``.
    places
        ``{key: Point}``: where each key is (commune centres, HAD sites).
    fallback
        Asked for pairs the table lacks; None: such a pair is an :class:`InputError`.
    """

    def __init__(
        self,
        table: dict[tuple[str, str], float],
        places: dict[str, Point] | dict[str, list[Point]],
        fallback: TravelTimeProvider | None = None,
    ) -> None:
        self.table = dict(table)
        self.fallback = fallback
        self._key_at: dict[tuple[float, float], str] = {}
        for key, pts in places.items():
            for p in pts if isinstance(pts, list) else [pts]:
                self._key_at[self._round(p.lat, p.lon)] = key

    @staticmethod
    def _round(lat: float, lon: float) -> tuple[float, float]:
        return (round(lat, 5), round(lon, 5))

    @classmethod
    def from_csv(
        cls,
        path: str | Path,
        places: dict[str, Point] | dict[str, list[Point]],
        fallback: TravelTimeProvider | None = None,
    ) -> TableTravelModel:
        """Read ``origin_insee,dest_insee,minutes`` (header required) from ``path``.

        Every row is checked: both codes must be places of ``places`` (commune
        centres or HAD sites of the territory), minutes a finite number in
        ``[0, MAX_MINUTES]``, and a pair given twice must not disagree.

        Raises
        ------
        InputError
            ``file:line: what`` for the first bad row.
        """
        from hadplanner.io.reading import read_table

        table = read_table(
            path, "travel-table", ("origin_insee", "dest_insee", "minutes"), optional=(),
            aliases={"origin": "origin_insee", "origin_site": "origin_insee",
                     "dest": "dest_insee", "dest_site": "dest_insee"},
        )
        out: dict[tuple[str, str], float] = {}
        first: dict[tuple[str, str], int] = {}
        for row in table.rows:
            where = table.where(row)
            origin, dest = row.get("origin_insee"), row.get("dest_insee")
            for col, code in (("origin_insee", origin), ("dest_insee", dest)):
                if not code:
                    raise InputError(f"{where}: {col}: empty, expected an INSEE code")
                if code not in places:
                    hint = (f" (leading zero lost? write 0{code})"
                            if code.isdigit() and len(code) == 4 else "")
                    raise InputError(
                        f"{where}: {col}: {code!r} is not a commune of the territory{hint}")
            minutes = table.real(row, "minutes")
            assert minutes is not None  # required
            if not 0 <= minutes <= MAX_MINUTES:
                raise InputError(
                    f"{where}: minutes must be between 0 and {MAX_MINUTES} (a day's drive), "
                    f"got {minutes:g}")
            key = (origin, dest)
            if key in out and abs(out[key] - minutes) > 1e-9:
                raise InputError(
                    f"{where}: {origin} -> {dest} is given {minutes:g} min here and "
                    f"{out[key]:g} min at line {first[key]}: keep one")
            first.setdefault(key, row.line)
            out[key] = minutes
        if not out:
            raise InputError(f"{table.path}: no rows after the header")
        return cls(out, places, fallback)

    @classmethod
    def for_territory(
        cls,
        path: str | Path,
        territory: Territory,
        fallback: TravelTimeProvider | None = None,
    ) -> TableTravelModel:
        """A table keyed by INSEE code for ``territory``.

        Each commune's centre, and each HAD site, is known by the INSEE code of
        its commune: a row ``32013,32107,41`` gives 41 minutes from the Auch site
        (or Auch's centre) to the centre of commune 32107.
        """
        return cls.from_csv(path, places_of(territory), fallback)

    def key_of(self, p: Point) -> str | None:
        """The place at ``p``, or None."""
        return self._key_at.get(self._round(p.lat, p.lon))

    def minutes(self, origin: Point, dest: Point) -> float:
        """Travel time from ``origin`` to ``dest``: from the table, else the fallback."""
        ko, kd = self.key_of(origin), self.key_of(dest)
        if ko is not None and kd is not None:
            if (ko, kd) in self.table:
                return self.table[(ko, kd)]
            if (kd, ko) in self.table:
                return self.table[(kd, ko)]
        if self.fallback is not None:
            return self.fallback.minutes(origin, dest)
        raise InputError(
            f"no travel time in the table from {ko or (origin.lat, origin.lon)} "
            f"to {kd or (dest.lat, dest.lon)}"
        )

    def matrix(self, origins: PointsLike, dests: PointsLike) -> np.ndarray:
        """Travel times, shape ``(len(origins), len(dests))``."""
        o, d = as_latlon(origins), as_latlon(dests)
        out = np.empty((len(o), len(d)))
        fb = self.fallback.matrix(o, d) if self.fallback is not None else None
        for i, (olat, olon) in enumerate(o):
            ko = self._key_at.get(self._round(olat, olon))
            for j, (dlat, dlon) in enumerate(d):
                kd = self._key_at.get(self._round(dlat, dlon))
                v = self.table.get((ko, kd)) if ko and kd else None  # type: ignore[arg-type]
                if v is None and ko and kd:
                    v = self.table.get((kd, ko))
                if v is None:
                    if fb is None:
                        raise InputError(
                            f"no travel time in the table from {ko or (olat, olon)} "
                            f"to {kd or (dlat, dlon)}"
                        )
                    v = fb[i, j]
                out[i, j] = v
        return out


class OsrmTravelModel:
    """Travel times from an OSRM server (``osrm-routed``), e.g. ``http://localhost:5000``.

    It needs a server built on an OpenStreetMap extract of the region; hadplanner
    does not start one and never calls it unless a user chooses this model. The
    tests only construct it.

    Parameters
    ----------
    base_url
        The server's URL, without trailing slash.
    profile
        OSRM profile, ``driving`` for a car.
    timeout_s
        Per-request timeout.
    opener
        Function taking a URL and returning the decoded JSON answer; by default
        urllib. Lets a user add authentication or a cache.
    """

    def __init__(
        self,
        base_url: str,
        profile: str = "driving",
        timeout_s: float = 30.0,
        opener: Callable[[str], dict] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"OSRM base URL must start with http:// or https://: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout_s = timeout_s
        self._open = opener or self._urlopen

    def _urlopen(self, url: str) -> dict:
        import urllib.request  # only this model goes on the network (ssl, http: ~10 ms)

        with urllib.request.urlopen(url, timeout=self.timeout_s) as resp:  # noqa: S310
            return json.loads(resp.read().decode("utf-8"))

    def minutes(self, origin: Point, dest: Point) -> float:
        """Travel time from ``origin`` to ``dest`` (one ``/route`` request)."""
        url = (
            f"{self.base_url}/route/v1/{self.profile}/"
            f"{origin.lon},{origin.lat};{dest.lon},{dest.lat}?overview=false"
        )
        answer = self._open(url)
        if answer.get("code") != "Ok":
            raise InputError(f"OSRM could not route: {answer.get('message', answer.get('code'))}")
        return float(answer["routes"][0]["duration"]) / 60.0

    def matrix(self, origins: PointsLike, dests: PointsLike) -> np.ndarray:
        """Travel times (one ``/table`` request)."""
        o, d = as_latlon(origins), as_latlon(dests)
        coords = ";".join(f"{lon},{lat}" for lat, lon in np.vstack([o, d]))
        src = ";".join(str(i) for i in range(len(o)))
        dst = ";".join(str(len(o) + j) for j in range(len(d)))
        url = (
            f"{self.base_url}/table/v1/{self.profile}/{coords}"
            f"?sources={src}&destinations={dst}&annotations=duration"
        )
        answer = self._open(url)
        if answer.get("code") != "Ok":
            raise InputError(f"OSRM table failed: {answer.get('message', answer.get('code'))}")
        durations = np.array(answer["durations"], dtype=float)
        return durations / 60.0


def max_km_within(provider: TravelTimeProvider, minutes: float) -> float | None:
    """A great-circle distance no trip of at most ``minutes`` exceeds, or None if unknown.

    A pre-filter for "every place within a time limit": pairs farther apart
    than this cannot be within the limit, so only the nearer pairs need a
    travel time. Exact (never drops a pair that is within the limit):

    - :class:`OfflineTravelModel`: its time increases with distance, so the
      inverse of its formula (:meth:`OfflineTravelModel.km_within`);
    - :class:`TableTravelModel`: the farthest pair of places the table puts
      within ``minutes``, or its fallback's distance if farther; None when the
      fallback has no such distance;
    - any other provider (OSRM, user code): None, every pair must be asked.

    A few metres are added for rounding (table places are matched to about 1 m).
    """
    if isinstance(provider, OfflineTravelModel):
        return provider.km_within(minutes) * (1 + 1e-9) + 1e-6
    if isinstance(provider, TableTravelModel):
        far = 0.0
        if provider.fallback is not None:
            fb = max_km_within(provider.fallback, minutes)
            if fb is None:
                return None
            far = fb
        # Each place: its first point and how far its other points lie from it;
        # by the triangle inequality a pair is at most first-to-first + both radii.
        points: dict[str, list[tuple[float, float]]] = {}
        for latlon, key in provider._key_at.items():
            points.setdefault(key, []).append(latlon)
        first = {k: v[0] for k, v in points.items()}
        radius = {
            k: float(haversine_km(v[0][0], v[0][1], *np.array(v[1:]).T).max())
            if len(v) > 1 else 0.0
            for k, v in points.items()
        }
        near = [(o, d) for (o, d), m in provider.table.items()
                if m <= minutes and o in first and d in first]
        if near:
            o = np.array([first[a] for a, _ in near])
            d = np.array([first[b] for _, b in near])
            km = haversine_km(o[:, 0], o[:, 1], d[:, 0], d[:, 1])
            km += np.array([radius[a] + radius[b] for a, b in near])
            far = max(far, float(km.max()))
        return far + 0.01
    return None


def places_of(territory: Territory) -> dict[str, list[Point]]:
    """Points known by INSEE code: commune centres and the HAD sites in each commune."""
    places: dict[str, list[Point]] = {c: [m.centre] for c, m in territory.communes.items()}
    for had in territory.hads:
        for site in had.sites:
            places.setdefault(site.insee, []).append(site.location)
    return places


DEFAULT_TRAVEL_MODEL = OfflineTravelModel()


def transport_hours(pui: Point, home: Point, provider: TravelTimeProvider | None = None) -> float:
    """Hours to carry a bag from the PUI to the patient's home.

    Parameters
    ----------
    pui
        The preparing pharmacy (e.g. IUCT-Oncopole).
    home
        The patient's home (or its commune's centre).
    provider
        Travel model; the offline default when None.
    """
    return (provider or DEFAULT_TRAVEL_MODEL).minutes(pui, home) / 60.0
