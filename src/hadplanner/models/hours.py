"""Weekly hours of a service: the pharmacy's production, the day hospital, the HAD nurses.

One model for every timetable (requests' settings, the centre's hours, an
HAD's visit hours): weekdays, a daily window ``[open, close]`` (local time,
closed interval), closure on public holidays, exceptional closures.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_validator

from hadplanner.models.base import Clock, Flag, Model, parse_day, show

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names of requests, index = ``date.weekday()``."""

_WEEKDAY_ALIASES = {
    **{d: d for d in WEEKDAYS},
    **dict(zip(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
               WEEKDAYS, strict=True)),
    **dict(zip(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"), WEEKDAYS, strict=True)),
}


def _weekday(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in _WEEKDAY_ALIASES:
        raise ValueError(f"unknown weekday {show(value)} (use one of {', '.join(WEEKDAYS)})")
    return _WEEKDAY_ALIASES[value.strip().lower()]


Weekday = Annotated[str, BeforeValidator(_weekday)]



def _closure(value: Any) -> tuple[dt.date, dt.date]:
    if isinstance(value, str) and ".." in value:
        a, _, b = value.partition("..")
        first, last = parse_day(a), parse_day(b)
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        first, last = parse_day(value[0]), parse_day(value[1])
    elif isinstance(value, str):
        first = last = parse_day(value)
    else:
        raise ValueError(
            f"a closure is 'YYYY-MM-DD' or 'YYYY-MM-DD..YYYY-MM-DD', got {show(value)}")
    if last < first:
        raise ValueError(f"closure range ends before it starts: {first}..{last}")
    if (last - first).days > 366:
        raise ValueError(f"closure {first}..{last} is longer than a year: a typing error?")
    return (first, last)


Closure = Annotated[tuple[dt.date, dt.date], BeforeValidator(_closure)]
"""An inclusive range of closed dates (a single date is a one-day range)."""



class WindowSettings(Model):
    """Opening hours of a service: the same hours on each listed weekday.

    Windows are closed intervals ``[open, close]`` in local time. Public
    holidays (metropolitan France) close the service when
    ``closed_on_holidays``; ``closed`` lists exceptional closures.
    """

    days: tuple[Weekday, ...] = Field(min_length=1, max_length=7)
    open: Clock
    close: Clock
    closed_on_holidays: Flag
    closed: tuple[Closure, ...] = Field(default=(), max_length=400)

    @field_validator("days")
    @classmethod
    def _distinct(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        twice = sorted({d for d in days if days.count(d) > 1})
        if twice:
            raise ValueError(f"weekday {twice[0]} is listed twice")
        return days

    @model_validator(mode="after")
    def _open_before_close(self) -> WindowSettings:
        if self.close <= self.open:
            raise ValueError(f"close {self.close:%H:%M} must be after open {self.open:%H:%M}")
        return self


