"""Helpers for the re-planning tests: example plans, and the frozen-past rule checked apart."""

from __future__ import annotations

import datetime as dt
import functools

from hadplanner.models.plan import Bag, Plan
from hadplanner.models.request import PARIS, UTC, Request, load_request
from hadplanner.paths import examples_dir
from hadplanner.schedule.planner import plan_request


@functools.lru_cache(maxsize=16)
def example(stem: str) -> tuple[Request, Plan]:
    """(request, checked plan) of an example request, planned once."""
    path = next(p for p in examples_dir().glob("*.yaml") if p.stem.startswith(stem))
    request = load_request(path)
    return request, plan_request(request)


def at(text: str) -> dt.datetime:
    """A local Paris instant from ``2027-01-15T14:07``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(UTC).astimezone(PARIS)


def _fields(bag: Bag) -> dict:
    return bag.model_dump(exclude={"end", "duration_h", "planned_end"})


def past_problems(old: Plan, new: Plan, when: dt.datetime) -> list[str]:
    """What the new plan changed of the bags the old one hung before ``when`` (empty: none).

    A bag hung before ``when`` must be in the new plan under the same cycle number and
    index with every field equal, except that its end may come earlier, not before
    ``when``, the end it was made for kept in ``planned_end``.
    """
    news = {(c.number, b.index): b for c in new.cycles for b in c.bags}
    out = []
    for c in old.cycles:
        for b in c.bags:
            if b.start >= when:
                continue
            n = news.get((c.number, b.index))
            if n is None:
                out.append(f"cycle {c.number} bag {b.index} is gone")
            elif _fields(n) != _fields(b):
                out.append(f"cycle {c.number} bag {b.index} changed")
            elif n.end != b.end and not (when <= n.end < b.end
                                         and n.planned_end == (b.planned_end or b.end)):
                out.append(f"cycle {c.number} bag {b.index} ends {n.end}, was {b.end}")
    return out
