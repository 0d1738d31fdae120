"""What-if: apply a scenario to a territory and measure the coverage it changes.

The thesis (part 3, IV.V.C) announces two changes: the HAD of the Croix Rouge
in the Gers taken over by the Clinique Pasteur, which would then give
chemotherapy at home, and the HAD of the CHIC de Moissac becoming
"établissement associé" of the CH de Montauban. ``territories/occitanie/
scenarios/`` ships both; :func:`whatif` tells which communes and how many
inhabitants change status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from hadplanner.errors import InputError, ScenarioError
from hadplanner.models.scenario import (
    Associate,
    Authorise,
    NewZone,
    Revoke,
    Scenario,
    Takeover,
    ZoneAdd,
    ZoneRemove,
)
from hadplanner.models.territory import (
    HAD,
    AuthorisationBasis,
    ChemoAuthorisation,
    SiteKind,
    Territory,
    Zone,
)
from hadplanner.territory.coverage import (
    STATUSES,
    UNCOVERED_STATUSES,
    Coverage,
    CoverageSettings,
    TerritoryIndex,
    compute_coverage,
)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario YAML file.

    Raises
    ------
    ScenarioError
        Unreadable file, bad YAML, or a field that does not validate (one line,
        naming the file and the field path).
    """
    from hadplanner.io.reading import load_document
    from hadplanner.io.validation import validate

    try:
        doc = load_document(path, "scenario")
    except ScenarioError:
        raise
    except InputError as exc:
        raise ScenarioError(str(exc)) from None
    if not isinstance(doc.data, dict):
        raise ScenarioError(f"{doc.path}: expected a mapping with name and changes")
    return validate(Scenario, doc.data, doc.where, error=ScenarioError)


def _day_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def apply_scenario(territory: Territory, scenario: Scenario, source: str = "") -> Territory:
    """The territory after the scenario's changes, applied in order.

    Parameters
    ----------
    territory
        The territory as it is.
    scenario
        The changes.
    source
        Where the scenario came from (its file), named in error messages.

    Raises
    ------
    ScenarioError
        A change naming an unknown HAD or commune, or leaving a zone empty.
    """
    where = source or scenario.name
    hads: dict[str, HAD] = {h.id: h for h in territory.hads}
    zones: dict[str, frozenset[str]] = {z.had_id: z.communes for z in territory.zones}
    zone_src: dict[str, str] = {z.had_id: z.source for z in territory.zones}

    def had(had_id: str, n: int) -> HAD:
        if had_id not in hads:
            known = ", ".join(sorted(hads))
            raise ScenarioError(f"{where}: change {n + 1}: unknown HAD {had_id!r} (known: {known})")
        return hads[had_id]

    def communes(codes: tuple[str, ...], n: int) -> frozenset[str]:
        unknown = [c for c in codes if c not in territory.communes]
        if unknown:
            raise ScenarioError(f"{where}: change {n + 1}: unknown commune {unknown[0]}")
        return frozenset(codes)

    def holder_of(h: HAD, day: dt.date | None) -> str:
        valid = [a for a in h.authorisations if day is None or a.valid_on(day)]
        return (valid or list(h.authorisations))[0].holder if h.authorisations else h.name

    note = f"scenario {scenario.name!r}"
    for n, ch in enumerate(scenario.changes):
        if isinstance(ch, Takeover):
            taken, taker = had(ch.had, n), had(ch.by, n)
            if ch.mode == "absorb":
                annexes = tuple(s.model_copy(update={"kind": SiteKind.annex}) for s in taken.sites)
                depts = tuple(dict.fromkeys(taker.departments + taken.departments))
                hads[taker.id] = taker.model_copy(
                    update={"sites": taker.sites + annexes, "departments": depts}
                )
                merged = zones.get(taker.id, frozenset()) | zones.pop(taken.id, frozenset())
                if merged:
                    zones[taker.id] = merged
                    zone_src[taker.id] = note
                del hads[taken.id]
            else:
                auth = ChemoAuthorisation(
                    basis=AuthorisationBasis.attached,
                    holder=holder_of(taker, ch.since),
                    valid_from=ch.since,
                    source=note,
                )
                hads[taken.id] = taken.model_copy(
                    update={"authorisations": taken.authorisations + (auth,)}
                )
        elif isinstance(ch, Associate):
            h = had(ch.had, n)
            if ch.partner is not None:
                had(ch.partner, n)
            auth = ChemoAuthorisation(
                basis=AuthorisationBasis.associated,
                holder=ch.holder,
                valid_from=ch.since,
                source=note,
            )
            hads[h.id] = h.model_copy(update={"authorisations": h.authorisations + (auth,)})
        elif isinstance(ch, Authorise):
            h = had(ch.had, n)
            try:
                auth = ChemoAuthorisation(
                    basis=ch.basis,
                    holder=ch.holder,
                    valid_from=ch.since,
                    valid_until=ch.until,
                    source=note,
                )
            except ValidationError as exc:
                msg = exc.errors()[0]["msg"]
                raise ScenarioError(f"{where}: change {n + 1}: {msg}") from None
            hads[h.id] = h.model_copy(update={"authorisations": h.authorisations + (auth,)})
        elif isinstance(ch, Revoke):
            h = had(ch.had, n)
            kept = []
            if ch.since is not None:
                for a in h.authorisations:
                    if a.valid_from is not None and a.valid_from >= ch.since:
                        continue
                    if a.valid_until is None or a.valid_until >= ch.since:
                        a = a.model_copy(update={"valid_until": _day_before(ch.since)})
                    kept.append(a)
            hads[h.id] = h.model_copy(update={"authorisations": tuple(kept)})
        elif isinstance(ch, ZoneAdd | ZoneRemove | NewZone):
            h = had(ch.had, n)
            codes = communes(ch.communes, n)
            old = zones.get(h.id, frozenset())
            if isinstance(ch, ZoneAdd):
                new = old | codes
            elif isinstance(ch, ZoneRemove):
                new = old - codes
            else:
                new = codes
            if not new:
                raise ScenarioError(f"{where}: change {n + 1}: leaves HAD {h.id!r} with no commune")
            zones[h.id] = new
            zone_src[h.id] = note
    return territory.model_copy(
        update={
            "hads": tuple(hads.values()),
            "zones": tuple(
                Zone(had_id=h, communes=c, source=zone_src.get(h, "")) for h, c in zones.items()
            ),
            "source": f"{territory.source} + {note}".strip(" +"),
        }
    )


@dataclass
class WhatIf:
    """Coverage before and after a scenario, on one day."""

    scenario: Scenario
    before: Coverage
    after: Coverage

    def changed(self) -> pd.DataFrame:
        """Communes whose status changes: insee, name, department, population, before, after."""
        b = self.before.status
        a = self.after.status
        rows = np.nonzero(b != a)[0]
        idx = self.before.index
        return pd.DataFrame(
            {
                "insee": idx.insee[rows].astype(str),
                "name": idx.names[rows].astype(str),
                "department": idx.departments[rows].astype(str),
                "population": idx.population[rows],
                "before": b[rows].astype(str),
                "after": a[rows].astype(str),
            }
        )

    def transitions(self) -> pd.DataFrame:
        """Population and communes per (before, after) status pair that changes."""
        df = self.changed()
        if df.empty:
            return pd.DataFrame(columns=["before", "after", "communes", "population"])
        return (
            df.groupby(["before", "after"])
            .agg(communes=("insee", "size"), population=("population", "sum"))
            .reset_index()
        )

    @property
    def uncovered_before(self) -> int:
        return self.before.uncovered_population()

    @property
    def uncovered_after(self) -> int:
        return self.after.uncovered_population()

    @property
    def gain(self) -> int:
        """Population that no longer needs a derogation or a convention (can be negative)."""
        return self.uncovered_before - self.uncovered_after

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "date": self.before.day.isoformat(),
            "population_before": self.before.population_by_status(),
            "population_after": self.after.population_by_status(),
            "uncovered_before": self.uncovered_before,
            "uncovered_after": self.uncovered_after,
            "gain": self.gain,
            "uncovered_statuses": list(UNCOVERED_STATUSES),
            "transitions": self.transitions().to_dict(orient="records"),
            "changed": self.changed().to_dict(orient="records"),
        }


def whatif(
    index: TerritoryIndex,
    scenario: Scenario | str | Path,
    day: dt.date,
    settings: CoverageSettings | None = None,
    source: str = "",
) -> WhatIf:
    """Coverage of the territory before and after ``scenario`` on ``day``.

    Parameters
    ----------
    index
        The indexed territory (:meth:`TerritoryIndex.from_loaded`); the changed
        territory reuses its geometry.
    scenario
        A scenario, or the path of its YAML file.
    source
        Where a given scenario came from, for messages.
    """
    if not isinstance(scenario, Scenario):
        source = str(scenario)
        scenario = load_scenario(scenario)
    changed = apply_scenario(index.territory, scenario, source)
    before = compute_coverage(index, day, settings)
    after = compute_coverage(index.with_territory(changed), day, settings)
    return WhatIf(scenario=scenario, before=before, after=after)


__all__ = [
    "STATUSES",
    "WhatIf",
    "apply_scenario",
    "load_scenario",
    "whatif",
]
