"""Vials counted per reconstitution lot, bag by bag: the PUI's real count.

A lot is the vials reconstituted together for one bag that the lots already
open could not fill. Its drug serves every later bag *finished* within the
reconstituted vial's stability (24 h at 2-8 C by default) of its
reconstitution, which happens ``reconstitution_lead_min`` before the end of
compounding of the bag that opened it. Bags are served in the order they
finish, each from the oldest lot still good first ("reliquats" before new
vials); a new lot opens only when the good lots hold too little. This greedy
order opens the fewest vials for given preparation instants: every lot lasts
equally long, so using the one that expires first never loses (exchange
argument), and opening later never shortens a lot's reach.

Drug is counted in micrograms to 1e-6 (integers), each bag rounded up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from hadplanner.models.request import PARIS

_MICRO = 1_000_000


def micro(ug: float) -> int:
    """Micrograms to whole millionths, rounded up (a bag never gets less than its dose)."""
    return -int(-round(ug * _MICRO, 3) // 1)


@dataclass(frozen=True)
class Draw:
    """Drug a bag takes from a lot."""

    lot: str
    ug: float
    reused: bool
    """From a lot opened for an earlier bag (a "reliquat"), not for this one."""


@dataclass
class Lot:
    """Vials reconstituted together, and what became of their drug."""

    id: str
    reconstituted_at: dt.datetime
    expires_at: dt.datetime
    vials: int
    opened_for: Hashable
    served: list[tuple[Hashable, float]] = field(default_factory=list)
    left_micro: int = 0

    @property
    def waste_ug(self) -> float:
        """Drug left when the lot expired (or after the last bag): wasted."""
        return self.left_micro / _MICRO


@dataclass(frozen=True)
class Preparation:
    """A bag as the lots see it: when it is finished and how much drug it holds."""

    key: Hashable
    prepared_at: dt.datetime
    dose_ug: float


def count_lots(preps: Sequence[Preparation], *, vial_ug: float, stability_h: float = 24.0,
               lead_min: int = 30) -> tuple[list[Lot], dict[Hashable, list[Draw]]]:
    """The lots the bags open, and each bag's draws, in the order the bags finish.

    Parameters
    ----------
    preps
        The bags (any order; ties on the instant are taken by key order).
    vial_ug
        A vial's content.
    stability_h, lead_min
        The reconstituted vial's stability, and how long before the end of
        compounding a lot is reconstituted.
    """
    v = micro(vial_ug)
    lead = dt.timedelta(minutes=lead_min)
    life = dt.timedelta(hours=stability_h)
    order = sorted(preps, key=lambda p: (p.prepared_at.timestamp(), str(p.key)))
    lots: list[Lot] = []
    open_: list[Lot] = []
    draws: dict[Hashable, list[Draw]] = {}
    per_day: dict[dt.date, int] = {}
    for p in order:
        t = p.prepared_at
        open_ = [lot for lot in open_ if lot.expires_at >= t and lot.left_micro > 0]
        need = micro(p.dose_ug)
        mine: list[Draw] = []
        for lot in open_:
            if need == 0:
                break
            take = min(need, lot.left_micro)
            lot.left_micro -= take
            need -= take
            lot.served.append((p.key, take / _MICRO))
            mine.append(Draw(lot.id, take / _MICRO, True))
        if need > 0:
            n = -(-need // v)
            day = t.astimezone(PARIS).date()
            per_day[day] = per_day.get(day, 0) + 1
            lot = Lot(f"L{day:%Y%m%d}-{per_day[day]}", (t - lead).astimezone(PARIS),
                      (t - lead + life).astimezone(PARIS), n, p.key,
                      left_micro=n * v - need)
            lot.served.append((p.key, need / _MICRO))
            mine.append(Draw(lot.id, need / _MICRO, False))
            lots.append(lot)
            open_.append(lot)
        draws[p.key] = mine
    return lots, draws


def vials_of(lots: Sequence[Lot]) -> int:
    """Vials opened by the lots."""
    return sum(lot.vials for lot in lots)
