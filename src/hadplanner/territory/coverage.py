"""Coverage at a date: which communes an HAD authorised for chemotherapy can serve.

For each commune, on a given day:

``served``
    An HAD whose zone contains the commune is authorised for chemotherapy.
``derogation``
    HADs cover the commune but none is authorised, and a derogation candidate
    (by default an authorised HAD whose zone borders a zone containing the
    commune, the thesis's "limitrophe" rule) reaches the commune centre from its
    nearest site within the travel-time limit (default 45 min): the ARS can
    grant that HAD a derogation.
``convention``
    HADs cover the commune, none is authorised, and no candidate is within the
    limit (or there is no candidate at all): only a hand-built convention
    (haematology + PUI + GP + community nurses + a provider) remains, as for the
    thesis's second Castres patient.
``no_had``
    No zone contains the commune (its candidates, HADs of the zones that
    touch it, are still listed).

The core (:func:`classify_pairs`) works on plain arrays: a commune x HAD
membership matrix, an authorisation vector and the commune x HAD pairs that
may be candidates, each with its travel time (:class:`TravelPairs`).
:func:`classify` is the same core for a full travel-time matrix and a dense
"borders" matrix. :class:`TerritoryIndex` is the thin adapter that builds the
arrays once from a loaded territory (polygons, zones, sites).

Travel times are computed only for the pairs that can matter, so the index
grows with the candidates, not with communes x HADs (66 million pairs for all
of France with 1,900 HADs, of which about 250,000 border a commune's zone):

- ``bordering`` rule: the pairs where the HAD's zone borders a zone of the
  commune (:func:`~hadplanner.territory.adjacency.bordering_pairs`), computed
  once with the index;
- ``within_limit`` rule: the pairs within the limit, found through
  :func:`~hadplanner.travel.max_km_within`: the offline model's time increases
  with great-circle distance, so a pair farther apart than the distance it
  covers in the limit cannot be within it and is never asked (an exact
  pre-filter); for a provider without such a bound (OSRM), every pair is
  asked, as before. Computed once per limit and kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pydantic import Field

from hadplanner.errors import UnknownCommuneError
from hadplanner.models.base import Model
from hadplanner.models.territory import Territory
from hadplanner.territory.adjacency import (
    DEFAULT_TOLERANCE_DEG,
    bordering_pairs,
    commune_adjacency_edges,
    edges_to_matrix,
    zone_adjacency_edges,
    zone_graph,
)
from hadplanner.travel import (
    EARTH_RADIUS_KM,
    OfflineTravelModel,
    TravelTimeProvider,
    haversine_km,
    max_km_within,
)

if TYPE_CHECKING:
    import networkx as nx

STATUSES: tuple[str, ...] = ("served", "derogation", "convention", "no_had")
"""Status codes, in the order of their integer values."""
SERVED, DEROGATION, CONVENTION, NO_HAD = range(4)

UNCOVERED_STATUSES = ("derogation", "convention", "no_had")
"""Statuses where no HAD of the patient's own zone can give the chemotherapy."""


class Rule(StrEnum):
    """Which authorised HADs may take a patient outside their zone."""

    bordering = "bordering"
    """HADs whose zone borders a zone containing the commune (thesis: "limitrophe")."""
    within_limit = "within_limit"
    """Any authorised HAD whose nearest site is within the travel-time limit."""


class CoverageSettings(Model):
    """Settings of the coverage computation."""

    limit_min: float = Field(default=45.0, gt=0)
    """Longest acceptable trip from an HAD site to the patient for daily home visits.

    45 minutes is a planning choice, not a rule from the thesis: the two
    derogations it reports went further (HAD Montauban to a Castres-territory
    patient, about 100 min with the offline model; HAD Cahors to the Font
    Redonde territory, about 70 min to Figeac). With 45 min both communes come
    out as ``convention``; raise the limit to see what a more tolerant ARS
    practice gives.
    """
    rule: Rule = Rule.bordering


@dataclass(frozen=True)
class TravelPairs:
    """Commune x HAD pairs with the travel time from the HAD's nearest site.

    A sparse stand-in for a commune x HAD travel-time matrix holding only the
    pairs that can matter, sorted by commune row, then HAD.
    """

    row: np.ndarray
    """``(n,)`` int64 commune rows."""
    had: np.ndarray
    """``(n,)`` int64 HAD columns."""
    minutes: np.ndarray
    """``(n,)`` float32 minutes from the HAD's nearest site to the commune centre."""
    site: np.ndarray
    """``(n,)`` int16: that site (position in ``HAD.sites``)."""

    def __len__(self) -> int:
        return len(self.row)

    @classmethod
    def empty(cls) -> TravelPairs:
        return cls(
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty(0, np.float32),
            np.empty(0, np.int16),
        )

    def take(self, which: np.ndarray) -> TravelPairs:
        """The pairs selected by a mask or an index array (order kept)."""
        return TravelPairs(self.row[which], self.had[which], self.minutes[which], self.site[which])

    def sorted(self) -> TravelPairs:
        """The pairs sorted by commune row, then HAD."""
        return self.take(np.lexsort((self.had, self.row)))

    def span(self, row: int) -> slice:
        """Positions of the pairs of commune ``row``."""
        lo = int(np.searchsorted(self.row, row, side="left"))
        hi = int(np.searchsorted(self.row, row, side="right"))
        return slice(lo, hi)

    def find(self, row: int, had: int) -> int:
        """Position of the pair ``(row, had)``, -1 if absent."""
        sl = self.span(row)
        hit = np.nonzero(self.had[sl] == had)[0]
        return sl.start + int(hit[0]) if len(hit) else -1

    @classmethod
    def from_dense(
        cls, mask: np.ndarray, minutes: np.ndarray, site: np.ndarray | None = None
    ) -> TravelPairs:
        """The pairs where ``mask`` is True, with ``minutes`` (and ``site``) read there."""
        r, h = np.nonzero(np.asarray(mask, dtype=bool))
        s = np.zeros(len(r), np.int16) if site is None else np.asarray(site)[r, h]
        return cls(
            r.astype(np.int64),
            h.astype(np.int64),
            np.asarray(minutes)[r, h].astype(np.float32),
            s.astype(np.int16),
        )


@dataclass(frozen=True)
class CoverageArrays:
    """Result of :func:`classify_pairs`: a status per commune and the candidate pairs."""

    status: np.ndarray
    """``(n_c,)`` int8 codes into :data:`STATUSES`."""
    pairs: TravelPairs
    """Derogation candidates (authorised HADs the rule admits, outside the commune's
    zones), sorted by commune then HAD, with their travel times."""
    within: np.ndarray
    """``(len(pairs),)`` bool: that candidate is within the travel-time limit."""
    n_hads: int

    def _dense(self, mask: np.ndarray) -> np.ndarray:
        out = np.zeros((len(self.status), self.n_hads), dtype=bool)
        out[self.pairs.row[mask], self.pairs.had[mask]] = True
        return out

    @property
    def candidates(self) -> np.ndarray:
        """``(n_c, n_h)`` bool: HAD ``h`` is a derogation candidate for commune ``c``.

        A dense view built on demand (small territories, tests); use ``pairs``.
        """
        return self._dense(np.ones(len(self.pairs), dtype=bool))

    @property
    def reachable(self) -> np.ndarray:
        """``(n_c, n_h)`` bool: candidate and within the limit (dense view, see above)."""
        return self._dense(self.within)


def classify_pairs(
    membership: np.ndarray,
    authorised: np.ndarray,
    pairs: TravelPairs,
    *,
    limit_min: float = 45.0,
    rule: Rule | str = Rule.bordering,
) -> CoverageArrays:
    """Status and derogation candidates of every commune, from the pairs that may matter.

    Parameters
    ----------
    membership
        ``(n_c, n_h)`` bool: the zone of HAD ``h`` contains commune ``c``.
    authorised
        ``(n_h,)`` bool: HAD ``h`` is authorised for chemotherapy on the day.
    pairs
        Commune x HAD pairs with their travel times, sorted by commune then
        HAD. With ``bordering``: the pairs where ``h``'s zone borders a zone
        containing ``c``. With ``within_limit``: at least every pair within
        ``limit_min`` (farther ones are dropped here).
    limit_min
        Travel-time limit for daily visits.
    rule
        ``bordering`` or ``within_limit``.
    """
    rule = Rule(rule)
    membership = np.asarray(membership, dtype=bool)
    authorised = np.asarray(authorised, dtype=bool)
    if membership.shape[1] != authorised.shape[0]:
        raise ValueError(
            f"shapes disagree: membership {membership.shape}, authorised {authorised.shape}"
        )
    within = pairs.minutes <= limit_min
    keep = authorised[pairs.had] & ~membership[pairs.row, pairs.had]
    if rule is Rule.within_limit:
        keep &= within
    cand, within = pairs.take(keep), within[keep]
    status = np.full(membership.shape[0], CONVENTION, dtype=np.int8)
    status[cand.row[within]] = DEROGATION
    status[(membership & authorised[None, :]).any(axis=1)] = SERVED
    status[~membership.any(axis=1)] = NO_HAD
    return CoverageArrays(status=status, pairs=cand, within=within, n_hads=len(authorised))


def classify(
    membership: np.ndarray,
    authorised: np.ndarray,
    minutes: np.ndarray,
    bordering: np.ndarray | None = None,
    *,
    limit_min: float = 45.0,
    rule: Rule | str = Rule.bordering,
) -> CoverageArrays:
    """Status and derogation candidates of every commune, from full matrices.

    Parameters
    ----------
    membership
        ``(n_c, n_h)`` bool: the zone of HAD ``h`` contains commune ``c``.
    authorised
        ``(n_h,)`` bool: HAD ``h`` is authorised for chemotherapy on the day.
    minutes
        ``(n_c, n_h)``: travel time from the nearest site of ``h`` to ``c``.
    bordering
        ``(n_c, n_h)`` bool: ``h``'s zone borders a zone containing ``c``
        (:func:`~hadplanner.territory.adjacency.bordering_pairs` as a matrix);
        required with the ``bordering`` rule.
    limit_min
        Travel-time limit for daily visits.
    rule
        ``bordering`` or ``within_limit``.
    """
    rule = Rule(rule)
    membership = np.asarray(membership, dtype=bool)
    minutes = np.asarray(minutes)
    if membership.shape != minutes.shape or membership.shape[1] != len(authorised):
        raise ValueError(
            f"shapes disagree: membership {membership.shape}, minutes {minutes.shape}, "
            f"authorised {np.shape(authorised)}"
        )
    if rule is Rule.bordering:
        if bordering is None:
            raise ValueError("the bordering rule needs the bordering matrix")
        mask = np.asarray(bordering, dtype=bool)
    else:
        mask = minutes <= limit_min
    pairs = TravelPairs.from_dense(mask & ~membership, minutes)
    return classify_pairs(membership, authorised, pairs, limit_min=limit_min, rule=rule)


@dataclass(frozen=True)
class Candidate:
    """An authorised HAD that could take a patient of a commune by derogation."""

    had_id: str
    name: str
    minutes: float
    """From its nearest site to the commune centre."""
    site: str
    """Town of that nearest site."""
    within_limit: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "had_id": self.had_id,
            "name": self.name,
            "minutes": round(self.minutes, 1),
            "site": self.site,
            "within_limit": self.within_limit,
        }


@dataclass
class TerritoryIndex:
    """A territory as arrays, built once: communes, geometry, zones, sites, travel times.

    Build it with :meth:`from_loaded`; :meth:`with_territory` gives the index of
    a changed territory (what-if) reusing the geometry and commune adjacency.
    Travel times are kept for the bordering pairs (``border_pairs``) and, per
    limit, for the pairs within it (:meth:`pairs_within`); no commune x HAD
    matrix of travel times is built.
    """

    territory: Territory
    insee: np.ndarray
    names: np.ndarray
    departments: np.ndarray
    population: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    geometry: np.ndarray | None
    commune_edges: np.ndarray
    travel: TravelTimeProvider
    had_ids: list[str] = field(init=False)
    had_names: list[str] = field(init=False)
    membership: np.ndarray = field(init=False)
    """``(n_c, n_h)`` bool: commune ``c`` is in the zone of HAD ``h``."""
    member_rows: np.ndarray = field(init=False)
    """The same as pairs, sorted by commune then HAD: communes..."""
    member_hads: np.ndarray = field(init=False)
    """... and HADs."""
    zone_edges: np.ndarray = field(init=False)
    """``(n_zone_edges, 2)``: HADs whose zones border each other or overlap."""
    border_pairs: TravelPairs = field(init=False)
    """Pairs where the HAD's zone borders a zone of the commune (not its own), timed."""
    _position: dict[str, int] = field(init=False, repr=False)
    _tree: shapely.STRtree | None = field(default=None, init=False, repr=False)
    _site_ptr: np.ndarray = field(init=False, repr=False)
    _site_latlon: np.ndarray = field(init=False, repr=False)
    _within: dict[float, TravelPairs] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._position = {code: i for i, code in enumerate(self.insee)}
        self._build_had_arrays()

    # -- construction ----------------------------------------------------------------

    @classmethod
    def from_loaded(
        cls,
        loaded: Any,
        travel: TravelTimeProvider | None = None,
        tolerance: float = DEFAULT_TOLERANCE_DEG,
    ) -> TerritoryIndex:
        """Adapter from a ``LoadedTerritory`` (``.territory`` and ``.communes_gdf``).

        The GeoDataFrame is brought to EPSG:4326 if it has another CRS; its
        polygons give commune adjacency, the territory gives zones and sites.
        """
        territory: Territory = loaded.territory
        gdf = loaded.communes_gdf
        if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
            gdf = gdf.to_crs(4326)
        codes = [c for c in gdf.index.astype(str) if c in territory.communes]
        missing = territory.communes.keys() - set(codes)
        if missing:
            raise UnknownCommuneError(
                f"commune {sorted(missing)[0]} of the territory has no polygon"
            )
        geoms = gdf.geometry.loc[codes].to_numpy()
        return cls.from_territory(territory, geoms, codes, travel, tolerance)

    @classmethod
    def from_territory(
        cls,
        territory: Territory,
        geometries: Sequence[shapely.Geometry] | np.ndarray | None,
        codes: Sequence[str] | None = None,
        travel: TravelTimeProvider | None = None,
        tolerance: float = DEFAULT_TOLERANCE_DEG,
        commune_edges: np.ndarray | None = None,
    ) -> TerritoryIndex:
        """Build from a territory and one polygon per commune (in ``codes`` order).

        Without geometry, ``commune_edges`` must be given (positions in ``codes``).
        """
        codes = list(codes) if codes is not None else list(territory.communes)
        communes = [territory.communes[c] for c in codes]
        geoms = None if geometries is None else np.asarray(geometries, dtype=object)
        if commune_edges is None:
            if geoms is None:
                raise ValueError("give the communes' polygons or their adjacency edges")
            commune_edges = commune_adjacency_edges(geoms, tolerance)
        return cls(
            territory=territory,
            insee=np.array(codes, dtype=object),
            names=np.array([c.name for c in communes], dtype=object),
            departments=np.array([c.department for c in communes], dtype=object),
            population=np.array([c.population for c in communes], dtype=np.int64),
            lat=np.array([c.centre.lat for c in communes], dtype=float),
            lon=np.array([c.centre.lon for c in communes], dtype=float),
            geometry=geoms,
            commune_edges=np.asarray(commune_edges, dtype=np.int64).reshape(-1, 2),
            travel=travel or OfflineTravelModel(),
        )

    def with_territory(self, territory: Territory) -> TerritoryIndex:
        """The index of ``territory`` (same communes, other HADs/zones), reusing geometry."""
        if set(territory.communes) != set(self._position):
            raise ValueError("with_territory needs the same communes")
        new = TerritoryIndex(
            territory=territory,
            insee=self.insee,
            names=self.names,
            departments=self.departments,
            population=self.population,
            lat=self.lat,
            lon=self.lon,
            geometry=self.geometry,
            commune_edges=self.commune_edges,
            travel=self.travel,
        )
        new._tree = self._tree
        return new

    def _build_had_arrays(self) -> None:
        t = self.territory
        self.had_ids = [h.id for h in t.hads]
        self.had_names = [h.name for h in t.hads]
        n_c, n_h = len(self.insee), len(t.hads)
        column = {h: i for i, h in enumerate(self.had_ids)}
        keys = np.unique(np.array(
            [self._position[c] * n_h + column[z.had_id] for z in t.zones for c in z.communes],
            dtype=np.int64,
        ))
        self.member_rows, self.member_hads = keys // max(n_h, 1), keys % max(n_h, 1)
        self.membership = np.zeros((n_c, n_h), dtype=bool)
        self.membership[self.member_rows, self.member_hads] = True
        sites = [np.array([(s.location.lat, s.location.lon) for s in h.sites]) for h in t.hads]
        self._site_ptr = np.concatenate([[0], np.cumsum([len(s) for s in sites])]).astype(np.int64)
        self._site_latlon = np.concatenate(sites) if sites else np.zeros((0, 2))
        self.zone_edges = zone_adjacency_edges(
            self.member_rows, self.member_hads, self.commune_edges
        )
        r, h = bordering_pairs(
            self.member_rows, self.member_hads, self.zone_edges, self.commune_edges, n_c, n_h
        )
        minutes, site = self.travel_times(r, h)
        self.border_pairs = TravelPairs(r, h, minutes, site)
        self._within = {}

    # -- travel times ------------------------------------------------------------------

    def travel_times(self, rows: np.ndarray, hads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minutes (float32) from each HAD's nearest site to each commune, and that site.

        One call of the travel model per HAD, for the communes paired with it
        only: the cost grows with the pairs asked, not with communes x HADs.
        """
        rows = np.asarray(rows, dtype=np.int64)
        hads = np.asarray(hads, dtype=np.int64)
        minutes = np.empty(len(rows), dtype=np.float32)
        site = np.empty(len(rows), dtype=np.int16)
        if len(rows) == 0:
            return minutes, site
        centres = np.column_stack([self.lat, self.lon])
        order = np.argsort(hads, kind="stable")
        bounds = np.searchsorted(hads[order], np.arange(len(self.had_ids) + 1))
        for h in np.unique(hads):
            which = order[bounds[h] : bounds[h + 1]]
            sites = self._site_latlon[self._site_ptr[h] : self._site_ptr[h + 1]]
            m = np.asarray(self.travel.matrix(sites, centres[rows[which]]))
            site[which] = m.argmin(axis=0)
            minutes[which] = m.min(axis=0)
        return minutes, site

    def _near(self, rows: np.ndarray, km: float) -> tuple[np.ndarray, np.ndarray]:
        """(commune, site) pairs at most ``km`` apart (great circle), communes among ``rows``.

        Each site's search box is exact on the sphere (latitude +- the angle,
        longitude +- asin(sin(angle) / cos(latitude)), the whole circle near a
        pole or across the antimeridian), then the distance is checked.
        """
        pts = shapely.points(self.lon[rows], self.lat[rows])
        tree = shapely.STRtree(pts)
        slat, slon = self._site_latlon[:, 0], self._site_latlon[:, 1]
        angle = km / EARTH_RADIUS_KM
        dlat = np.degrees(angle) * (1 + 1e-9) + 1e-9
        cos_lat = np.cos(np.radians(slat))
        ratio = np.sin(min(angle, np.pi / 2)) / np.maximum(cos_lat, 1e-300)
        dlon = np.where(
            (angle < np.pi / 2) & (ratio < 1),
            np.degrees(np.arcsin(np.minimum(ratio, 1.0))) * (1 + 1e-9) + 1e-9,
            360.0,
        )
        west, east = slon - dlon, slon + dlon
        wrap = (west < -180) | (east > 180)
        west, east = np.where(wrap, -180.0, west), np.where(wrap, 180.0, east)
        boxes = shapely.box(west, slat - dlat, east, slat + dlat)
        s, c = tree.query(boxes)
        d = haversine_km(slat[s], slon[s], self.lat[rows][c], self.lon[rows][c])
        ok = d <= km
        return rows[c[ok]], s[ok]

    def pairs_within(
        self, limit_min: float, rows: Sequence[int] | np.ndarray | None = None
    ) -> TravelPairs:
        """Pairs (commune not in the HAD's zone) within ``limit_min``, timed, sorted.

        With a distance bound from :func:`~hadplanner.travel.max_km_within`,
        only the pairs that close are timed (exact: the bound never drops a
        pair within the limit); without one, every pair is. The answer for all
        communes (``rows`` None) is kept per limit.
        """
        key = float(limit_min)
        if rows is None and key in self._within:
            return self._within[key]
        n_h = len(self.had_ids)
        subset = np.arange(len(self.insee)) if rows is None else np.asarray(rows, np.int64)
        km = max_km_within(self.travel, key)
        if km is None:
            # No distance bound: every pair is asked, one HAD at a time.
            centres = np.column_stack([self.lat, self.lon])[subset]
            found = [TravelPairs.empty()]
            for had in range(n_h):
                sites = self._site_latlon[self._site_ptr[had] : self._site_ptr[had + 1]]
                m = np.asarray(self.travel.matrix(sites, centres))
                mins = m.min(axis=0).astype(np.float32)
                ok = (mins <= key) & ~self.membership[subset, had]
                found.append(TravelPairs(
                    subset[ok],
                    np.full(int(ok.sum()), had, np.int64),
                    mins[ok],
                    m.argmin(axis=0)[ok].astype(np.int16),
                ))
            pairs = TravelPairs(
                *(np.concatenate([getattr(p, f) for p in found])
                  for f in ("row", "had", "minutes", "site"))
            ).sorted()
        else:
            near_c, near_s = self._near(subset, km)
            site_had = np.repeat(np.arange(n_h), np.diff(self._site_ptr))
            keys = np.unique(near_c * n_h + site_had[near_s])
            r, h = keys // max(n_h, 1), keys % max(n_h, 1)
            outside = ~self.membership[r, h]
            r, h = r[outside], h[outside]
            minutes, site = self.travel_times(r, h)
            ok = minutes <= key
            pairs = TravelPairs(r[ok], h[ok], minutes[ok], site[ok])
        if rows is None:
            self._within[key] = pairs
        return pairs

    def candidate_pairs(
        self,
        rule: Rule | str,
        limit_min: float,
        rows: Sequence[int] | np.ndarray | None = None,
    ) -> TravelPairs:
        """The pairs ``rule`` may admit as candidates (before authorisations), timed.

        ``rows``: only those communes (in the order given; pairs sorted by row).
        """
        if Rule(rule) is Rule.bordering:
            pairs = self.border_pairs
            if rows is None:
                return pairs
            idx = np.concatenate(
                [np.zeros(0, np.int64)]
                + [np.arange(sl.start, sl.stop) for sl in map(pairs.span, rows)]
            ).astype(np.int64)
            return pairs.take(idx).sorted()
        return self.pairs_within(limit_min, rows)

    # -- look-ups --------------------------------------------------------------------

    @property
    def zone_adjacency(self) -> np.ndarray:
        """HAD x HAD bool matrix of :attr:`zone_edges` (a dense view, built on demand)."""
        return edges_to_matrix(self.zone_edges, len(self.had_ids))

    def position(self, insee: str) -> int:
        """Row of commune ``insee``.

        Raises
        ------
        UnknownCommuneError
            When the territory has no such commune.
        """
        try:
            return self._position[str(insee).strip()]
        except KeyError:
            raise UnknownCommuneError(
                f"unknown commune code {insee!r} in territory {self.territory.name!r}"
            ) from None

    def locate_many(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Row of the commune containing each point, -1 outside every commune."""
        if self.geometry is None:
            raise ValueError("this index has no commune polygons to locate points in")
        if self._tree is None:
            self._tree = shapely.STRtree(self.geometry)
        from hadplanner.territory.loading import locate_points

        return locate_points(self.geometry, self._tree, lat, lon)

    def locate(self, lat: float, lon: float) -> str:
        """INSEE code of the commune containing the point.

        Raises
        ------
        UnknownCommuneError
            When the point lies outside every commune of the territory.
        """
        row = int(self.locate_many(np.array([lat]), np.array([lon]))[0])
        if row < 0:
            raise UnknownCommuneError(
                f"point ({lat:.5f}, {lon:.5f}) lies outside every commune of "
                f"territory {self.territory.name!r}"
            )
        return str(self.insee[row])

    def authorised(self, day: dt.date) -> np.ndarray:
        """``(n_h,)`` bool: HADs authorised for chemotherapy on ``day``."""
        return np.array([h.authorised_on(day) for h in self.territory.hads], dtype=bool)

    def zone_graph(self) -> nx.Graph:
        """Zone adjacency as a networkx graph (nodes: HAD ids)."""
        return zone_graph(self.had_ids, self.zone_edges, self.had_names)

    def site_town(self, had: int, commune: int, site: int | None = None) -> str:
        """Town of HAD ``had``'s site nearest to ``commune`` (``site``: already known)."""
        if site is None:
            at = self.border_pairs.find(commune, had)
            if at >= 0:
                site = int(self.border_pairs.site[at])
            else:
                site = int(self.travel_times(np.array([commune]), np.array([had]))[1][0])
        return self.territory.hads[had].sites[site].town


@dataclass
class Coverage:
    """Coverage of a territory on one day (see the module docstring for the statuses)."""

    index: TerritoryIndex
    day: dt.date
    settings: CoverageSettings
    authorised: np.ndarray
    arrays: CoverageArrays

    @property
    def status(self) -> np.ndarray:
        """``(n_c,)`` status names."""
        return np.array(STATUSES, dtype=object)[self.arrays.status]

    def status_of(self, insee: str) -> str:
        return STATUSES[int(self.arrays.status[self.index.position(insee)])]

    def covering(self, row: int) -> list[str]:
        """HAD ids whose zone contains commune ``row``."""
        return [self.index.had_ids[h] for h in np.nonzero(self.index.membership[row])[0]]

    def authorised_covering(self, row: int) -> list[str]:
        """Authorised HAD ids whose zone contains commune ``row``."""
        hs = np.nonzero(self.index.membership[row] & self.authorised)[0]
        return [self.index.had_ids[h] for h in hs]

    def candidates(self, row: int) -> list[Candidate]:
        """Derogation candidates of commune ``row``, nearest first."""
        return _candidates(self.index, self.arrays, self.arrays.pairs.span(row), row)

    def candidate_table(self, statuses: Sequence[str] = UNCOVERED_STATUSES) -> pd.DataFrame:
        """All candidates of communes in ``statuses``, vectorised: one row per pair, ranked."""
        codes = [STATUSES.index(s) for s in statuses]
        p = self.arrays.pairs
        keep = np.isin(self.arrays.status, codes)[p.row]
        df = pd.DataFrame({"row": p.row[keep], "had": p.had[keep], "minutes": p.minutes[keep]})
        df = df.sort_values(["row", "minutes", "had"], kind="stable")
        df["rank"] = df.groupby("row").cumcount() + 1
        return df.reset_index(drop=True)

    def records(self) -> list[dict[str, Any]]:
        """One dict per commune: insee, name, department, population, status, covering,
        authorised, candidates (``[{had_id, name, minutes, site, within_limit}]``).

        Candidates are listed for communes not ``served`` (for a served commune
        its own HAD takes the patient, so the list is empty).
        """
        out = []
        idx = self.index
        for row, code in enumerate(idx.insee):
            st = STATUSES[int(self.arrays.status[row])]
            out.append(
                {
                    "insee": str(code),
                    "name": str(idx.names[row]),
                    "department": str(idx.departments[row]),
                    "population": int(idx.population[row]),
                    "status": st,
                    "covering": self.covering(row),
                    "authorised": self.authorised_covering(row),
                    "candidates": []
                    if st == "served"
                    else [c.as_dict() for c in self.candidates(row)],
                }
            )
        return out

    def population_by_status(self) -> dict[str, int]:
        """Total population per status (every status present, possibly 0)."""
        sums = np.bincount(
            self.arrays.status, weights=self.index.population, minlength=len(STATUSES)
        )
        return {s: int(v) for s, v in zip(STATUSES, sums, strict=True)}

    def communes_by_status(self) -> dict[str, int]:
        counts = np.bincount(self.arrays.status, minlength=len(STATUSES))
        return {s: int(v) for s, v in zip(STATUSES, counts, strict=True)}

    def population_by_department(self) -> pd.DataFrame:
        """Population per department (rows) and status (columns), with a total column."""
        df = pd.DataFrame(
            {
                "department": self.index.departments,
                "status": pd.Categorical(self.status, categories=list(STATUSES)),
                "population": self.index.population,
            }
        )
        table = df.pivot_table(
            index="department",
            columns="status",
            values="population",
            aggfunc="sum",
            fill_value=0,
            observed=False,
        )
        table = table.reindex(columns=list(STATUSES), fill_value=0).astype(np.int64)
        table["total"] = table.sum(axis=1)
        table.columns.name = None
        return table.sort_index()

    def population_by_zone(self) -> pd.DataFrame:
        """Population of each HAD's zone (rows: HAD ids) per status of its communes."""
        idx = self.index
        table = np.zeros((len(idx.had_ids), len(STATUSES)), dtype=np.int64)
        rows = idx.member_rows
        np.add.at(table, (idx.member_hads, self.arrays.status[rows]), idx.population[rows])
        df = pd.DataFrame(
            table,
            index=pd.Index(idx.had_ids, name="had_id"),
            columns=list(STATUSES),
        )
        df.insert(0, "authorised", self.authorised)
        df.insert(0, "name", idx.had_names)
        df["total"] = df[list(STATUSES)].sum(axis=1)
        return df

    def uncovered_population(self) -> int:
        """Population of communes that are not ``served``."""
        pop = self.population_by_status()
        return sum(pop[s] for s in UNCOVERED_STATUSES)


def _candidates(index: TerritoryIndex, arrays: CoverageArrays, span: slice, row: int
                ) -> list[Candidate]:
    """The candidates ``arrays.pairs[span]`` of commune ``row``, nearest first."""
    p = arrays.pairs
    found = [
        Candidate(
            had_id=index.had_ids[int(h)],
            name=index.had_names[int(h)],
            minutes=float(m),
            site=index.site_town(int(h), row, int(s)),
            within_limit=bool(w),
        )
        for h, m, s, w in zip(
            p.had[span], p.minutes[span], p.site[span], arrays.within[span], strict=True
        )
    ]
    return sorted(found, key=lambda c: (c.minutes, c.had_id))


def compute_coverage(
    index: TerritoryIndex, day: dt.date, settings: CoverageSettings | None = None
) -> Coverage:
    """Coverage of an indexed territory on ``day``."""
    settings = settings or CoverageSettings()
    authorised = index.authorised(day)
    arrays = classify_pairs(
        index.membership,
        authorised,
        index.candidate_pairs(settings.rule, settings.limit_min),
        limit_min=settings.limit_min,
        rule=settings.rule,
    )
    return Coverage(index=index, day=day, settings=settings, authorised=authorised, arrays=arrays)


def coverage(
    loaded: Any,
    day: dt.date,
    settings: CoverageSettings | None = None,
    travel: TravelTimeProvider | None = None,
) -> Coverage:
    """Coverage of a loaded territory on ``day`` (builds the index; keep it to reuse)."""
    return compute_coverage(TerritoryIndex.from_loaded(loaded, travel), day, settings)
