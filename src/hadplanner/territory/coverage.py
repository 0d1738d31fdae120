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

The core (:func:`classify`) works on plain arrays: a commune x HAD membership
matrix, an authorisation vector, a commune x HAD travel-time matrix and a
commune x HAD "borders" matrix. :class:`TerritoryIndex` is the thin adapter
that builds those arrays once from a loaded territory (polygons, zones, sites).
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
    bordering_matrix,
    commune_adjacency_edges,
    zone_adjacency_matrix,
    zone_graph,
)
from hadplanner.travel import OfflineTravelModel, TravelTimeProvider

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
class CoverageArrays:
    """Result of :func:`classify`, one row per commune, one column per HAD."""

    status: np.ndarray
    """``(n_c,)`` int8 codes into :data:`STATUSES`."""
    candidates: np.ndarray
    """``(n_c, n_h)`` bool: HAD ``h`` is a derogation candidate for commune ``c``."""
    reachable: np.ndarray
    """``(n_c, n_h)`` bool: candidate and within the travel-time limit."""


def classify(
    membership: np.ndarray,
    authorised: np.ndarray,
    minutes: np.ndarray,
    bordering: np.ndarray | None = None,
    *,
    limit_min: float = 45.0,
    rule: Rule | str = Rule.bordering,
) -> CoverageArrays:
    """Status and derogation candidates of every commune.

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
        (see :func:`~hadplanner.territory.adjacency.bordering_matrix`);
        required with the ``bordering`` rule.
    limit_min
        Travel-time limit for daily visits.
    rule
        ``bordering`` or ``within_limit``.
    """
    rule = Rule(rule)
    membership = np.asarray(membership, dtype=bool)
    authorised = np.asarray(authorised, dtype=bool)
    if membership.shape != minutes.shape or membership.shape[1] != authorised.shape[0]:
        raise ValueError(
            f"shapes disagree: membership {membership.shape}, minutes {minutes.shape}, "
            f"authorised {authorised.shape}"
        )
    within = minutes <= limit_min
    if rule is Rule.bordering:
        if bordering is None:
            raise ValueError("the bordering rule needs the bordering matrix")
        candidates = bordering & authorised[None, :] & ~membership
    else:
        candidates = within & authorised[None, :] & ~membership
    reachable = candidates & within
    status = np.full(membership.shape[0], CONVENTION, dtype=np.int8)
    status[reachable.any(axis=1)] = DEROGATION
    status[(membership & authorised[None, :]).any(axis=1)] = SERVED
    status[~membership.any(axis=1)] = NO_HAD
    return CoverageArrays(status=status, candidates=candidates, reachable=reachable)


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
    zone_adjacency: np.ndarray = field(init=False)
    bordering: np.ndarray = field(init=False)
    minutes: np.ndarray = field(init=False)
    nearest_site: np.ndarray = field(init=False)
    _position: dict[str, int] = field(init=False, repr=False)
    _tree: shapely.STRtree | None = field(default=None, init=False, repr=False)

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
        self.membership = np.zeros((n_c, n_h), dtype=bool)
        for zone in t.zones:
            h = self.had_ids.index(zone.had_id)
            self.membership[[self._position[c] for c in zone.communes], h] = True
        self.zone_adjacency = zone_adjacency_matrix(self.membership, self.commune_edges)
        self.bordering = bordering_matrix(self.membership, self.zone_adjacency, self.commune_edges)
        # Nearest site of each HAD, one HAD at a time: a handful of sites against
        # every commune keeps the temporary arrays small even for all of France.
        self.minutes = np.empty((n_c, n_h), dtype=np.float32)
        self.nearest_site = np.zeros((n_c, n_h), dtype=np.int16)
        centres = np.column_stack([self.lat, self.lon])
        for h, had in enumerate(t.hads):
            sites = np.array([(s.location.lat, s.location.lon) for s in had.sites])
            m = np.asarray(self.travel.matrix(sites, centres))
            self.nearest_site[:, h] = m.argmin(axis=0)
            self.minutes[:, h] = m.min(axis=0)

    # -- look-ups --------------------------------------------------------------------

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
        return zone_graph(self.had_ids, self.zone_adjacency, self.had_names)

    def site_town(self, had: int, commune: int) -> str:
        """Town of HAD ``had``'s site nearest to ``commune``."""
        return self.territory.hads[had].sites[int(self.nearest_site[commune, had])].town


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
        idx = self.index
        hs = sorted(
            np.nonzero(self.arrays.candidates[row])[0].tolist(),
            key=lambda h: (float(idx.minutes[row, h]), idx.had_ids[h]),
        )
        return [
            Candidate(
                had_id=idx.had_ids[h],
                name=idx.had_names[h],
                minutes=float(idx.minutes[row, h]),
                site=idx.site_town(h, row),
                within_limit=bool(idx.minutes[row, h] <= self.settings.limit_min),
            )
            for h in hs
        ]

    def candidate_table(self, statuses: Sequence[str] = UNCOVERED_STATUSES) -> pd.DataFrame:
        """All candidates of communes in ``statuses``, vectorised: one row per pair, ranked."""
        codes = [STATUSES.index(s) for s in statuses]
        rows_mask = np.isin(self.arrays.status, codes)
        c, h = np.nonzero(self.arrays.candidates & rows_mask[:, None])
        mins = self.index.minutes[c, h]
        df = pd.DataFrame({"row": c, "had": h, "minutes": mins})
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
        onehot = np.zeros((len(self.index.insee), len(STATUSES)))
        onehot[np.arange(len(onehot)), self.arrays.status] = self.index.population
        table = self.index.membership.T.astype(float) @ onehot
        df = pd.DataFrame(
            table.astype(np.int64),
            index=pd.Index(self.index.had_ids, name="had_id"),
            columns=list(STATUSES),
        )
        df.insert(0, "authorised", self.authorised)
        df.insert(0, "name", self.index.had_names)
        df["total"] = df[list(STATUSES)].sum(axis=1)
        return df

    def uncovered_population(self) -> int:
        """Population of communes that are not ``served``."""
        pop = self.population_by_status()
        return sum(pop[s] for s in UNCOVERED_STATUSES)


def compute_coverage(
    index: TerritoryIndex, day: dt.date, settings: CoverageSettings | None = None
) -> Coverage:
    """Coverage of an indexed territory on ``day``."""
    settings = settings or CoverageSettings()
    authorised = index.authorised(day)
    arrays = classify(
        index.membership,
        authorised,
        index.minutes,
        index.bordering,
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
