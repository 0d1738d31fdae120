"""The base of every hadplanner model, and the value types every input uses.

Models are strict about what they are given: unknown fields are errors, and
the value types below take a number only from a number (never from ``true``,
``"72"`` or ``inf``), a flag only from ``true``/``false``, a date only from
``YYYY-MM-DD``. Bounds carry their reason, which the error message repeats.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer


class Model(BaseModel):
    """A value of the domain: unknown fields are rejected, instances are immutable."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


def show(value: Any) -> str:
    """A value as the user wrote it, for messages (``true``, ``'72'``, ``inf``)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _real(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {show(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {show(value)}")
    if isinstance(value, int) and abs(value) > 1e15:
        raise ValueError(f"number too large: {value}")
    return float(value)


def _whole(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, got {show(value)}")
    if abs(value) > 10**15:
        raise ValueError(f"number too large: {value}")
    return value


def _flag(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {show(value)}")
    return value


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {show(value)}")
    return value


Real = Annotated[float, BeforeValidator(_real)]
"""A finite number written as a number (an int or a float; not a flag, not text)."""

Whole = Annotated[int, BeforeValidator(_whole)]
"""A whole number written as one (not ``28.0``, not ``"28"``, not ``true``)."""

Flag = Annotated[bool, BeforeValidator(_flag)]
"""``true`` or ``false`` (not ``yes``, not ``1``)."""

Text = Annotated[str, BeforeValidator(_text)]
"""Text written as text (a number is not silently turned into a name)."""


FIRST_YEAR, LAST_YEAR = 1950, 2099
"""Dates hadplanner accepts: the holiday calendar, the daylight-saving rules and
the territories' authorisations are known for this span; a year such as 9999
is a typing error, and would overflow date arithmetic."""

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: Any) -> dt.date:
    """A date from ``YYYY-MM-DD`` text (or a date), within :data:`FIRST_YEAR`..:data:`LAST_YEAR`.

    Raises
    ------
    ValueError
        Anything else, with the value.
    """
    if isinstance(value, dt.datetime):
        raise ValueError(f"must be a date YYYY-MM-DD without a time, got {value.isoformat()}")
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and _ISO_DAY.match(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"no such date: {value.strip()!r}") from None
    else:
        raise ValueError(f"must be a date YYYY-MM-DD, got {show(value)}")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"year {day.year} is outside {FIRST_YEAR}-{LAST_YEAR}: a typing error?")
    return day


Day = Annotated[dt.date, BeforeValidator(parse_day)]
"""A calendar date written ``YYYY-MM-DD``."""

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _clock(value: Any) -> dt.time:
    # The strict reader keeps an unquoted 16:00 as text (YAML 1.1 would make it 960).
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str) or not _CLOCK.match(value.strip()):
        raise ValueError(f"must be a time of day 'HH:MM' (00:00 to 23:59), got {show(value)}")
    h, m = value.strip().split(":")
    return dt.time(int(h), int(m))


Clock = Annotated[dt.time, BeforeValidator(_clock),
                  PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str)]
"""A time of day written ``HH:MM``."""


def bounded(low: float | None, high: float | None, unit: str, why: str) -> AfterValidator:
    """A bound with its reason: ``must be between 2.5 and 250 kg (why), got 1``.

    Parameters
    ----------
    low, high
        Inclusive bounds (None: no bound on that side).
    unit
        Shown after the numbers ("kg", "h").
    why
        The reason, for the message and the reader of the model.
    """

    def check(value: float) -> float:
        if (low is not None and value < low) or (high is not None and value > high):
            u = f" {unit}" if unit else ""
            if low is not None and high is not None:
                rng = f"between {low:g} and {high:g}{u}"
            elif low is not None:
                rng = f"at least {low:g}{u}"
            else:
                rng = f"at most {high:g}{u}"
            raise ValueError(f"must be {rng} ({why}), got {value:g}")
        return value

    return AfterValidator(check)
