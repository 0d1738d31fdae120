"""Derogation candidates for one patient: which authorised HAD could take them.

The thesis (part 2; IV.V.C): when the HAD of the patient's territory cannot
give the chemotherapy, the ARS may grant a derogation to the HAD of a
*bordering* ("limitrophe") territory; when distance rules that out, only a
hand-built convention remains. Candidates are ranked by travel time from their
nearest site (main or annex) to the patient (the commune centre).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from hadplanner.models.territory import Point
from hadplanner.territory.coverage import (
    STATUSES,
    Candidate,
    CoverageSettings,
    Rule,
    TerritoryIndex,
    TravelPairs,
    _candidates,
    classify_pairs,
)
from hadplanner.travel import TravelTimeProvider


@dataclass(frozen=True)
class DerogationAnswer:
    """The answer for one commune on one day."""

    insee: str
    name: str
    department: str
    population: int
    status: str
    covering: list[str]
    """HADs whose zone contains the commune."""
    authorised: list[str]
    """Those of them authorised on the day (non-empty: no derogation is needed)."""
    candidates: list[Candidate]
    """Authorised HADs that could take the patient, nearest first."""
    rule: str
    limit_min: float
    located_from: Point | None = None
    """The point given, when the commune was found from coordinates."""

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "insee": self.insee,
            "name": self.name,
            "department": self.department,
            "population": self.population,
            "status": self.status,
            "covering": self.covering,
            "authorised": self.authorised,
            "candidates": [c.as_dict() for c in self.candidates],
            "rule": self.rule,
            "limit_min": self.limit_min,
        }
        if self.located_from is not None:
            d["point"] = {"lat": self.located_from.lat, "lon": self.located_from.lon}
        return d


def _index_of(loaded: Any, travel: TravelTimeProvider | None) -> TerritoryIndex:
    if isinstance(loaded, TerritoryIndex):
        return loaded
    return TerritoryIndex.from_loaded(loaded, travel)


def derogation_candidates(
    loaded: Any,
    where: str | Point,
    day: dt.date,
    rule: Rule | str = Rule.bordering,
    limit_min: float = 45.0,
    travel: TravelTimeProvider | None = None,
) -> DerogationAnswer:
    """Authorised HADs that could take a patient of commune (or point) ``where`` on ``day``.

    Parameters
    ----------
    loaded
        A ``LoadedTerritory`` or an already built :class:`TerritoryIndex` (faster
        for many questions).
    where
        An INSEE commune code, or a point located in the commune polygons.
    day
        Authorisations are those valid on this day.
    rule
        ``bordering``: HADs whose zone borders a zone containing the commune
        (the thesis's "limitrophe" rule), listed whatever their travel time;
        ``within_limit``: any authorised HAD within ``limit_min``.
    limit_min
        Travel-time limit deciding between ``derogation`` and ``convention``.
    travel
        Travel model when building the index (offline model by default).

    Raises
    ------
    UnknownCommuneError
        Unknown INSEE code, or a point outside every commune.

    Notes
    -----
    Candidates are listed even for a ``served`` commune (the HADs a second
    opinion could go to); its status says no derogation is needed.
    """
    index = _index_of(loaded, travel)
    point = where if isinstance(where, Point) else None
    insee = index.locate(point.lat, point.lon) if point is not None else str(where).strip()
    row = index.position(insee)
    settings = CoverageSettings(limit_min=limit_min, rule=Rule(rule))
    authorised = index.authorised(day)
    # Only this commune's pairs: the same ones compute_coverage would use for it.
    pairs = index.candidate_pairs(settings.rule, settings.limit_min, rows=[row])
    pairs = TravelPairs(np.zeros(len(pairs), np.int64), pairs.had, pairs.minutes, pairs.site)
    arrays = classify_pairs(
        index.membership[row : row + 1],
        authorised,
        pairs,
        limit_min=settings.limit_min,
        rule=settings.rule,
    )
    member = index.membership[row]
    return DerogationAnswer(
        insee=insee,
        name=str(index.names[row]),
        department=str(index.departments[row]),
        population=int(index.population[row]),
        status=STATUSES[int(arrays.status[0])],
        covering=[index.had_ids[h] for h in range(len(member)) if member[h]],
        authorised=[index.had_ids[h] for h in range(len(member)) if member[h] and authorised[h]],
        candidates=_candidates(index, arrays, slice(0, len(arrays.pairs)), row),
        rule=settings.rule.value,
        limit_min=limit_min,
        located_from=point,
    )
