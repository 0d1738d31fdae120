"""A planning request (YAML or JSON): the patient, the drug, the cycles, the settings.

The file format is the one of ``../shared/spec/bag-scheduling.md`` ("Request
file"). Every number of the model is a setting with the spec's default, so a
request can describe another hospital (other production hours, a longer road
to the patient's home, a stricter stability).

Times: a cycle start is written ``2027-01-04T10:00`` (local time in
Europe/Paris) or with an explicit UTC offset. A local time that does not
exist (the hour skipped on the last Sunday of March) or that happens twice
(the repeated hour of the last Sunday of October) is rejected: the request
must then give the offset.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from hadplanner.errors import InputError
from hadplanner.models.base import Model

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names of requests, index = ``date.weekday()``."""

_WEEKDAY_ALIASES = {
    **{d: d for d in WEEKDAYS},
    **dict(zip(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
               WEEKDAYS, strict=True)),
    **dict(zip(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"), WEEKDAYS, strict=True)),
}


def _weekday(value: Any) -> str:
    key = str(value).strip().lower()
    if key not in _WEEKDAY_ALIASES:
        raise ValueError(f"unknown weekday {value!r} (use one of {', '.join(WEEKDAYS)})")
    return _WEEKDAY_ALIASES[key]


Weekday = Annotated[str, BeforeValidator(_weekday)]


def _clock(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 16:00 as the sexagesimal integer 960: undo it.
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 24 * 60:
            raise ValueError(f"not a time of day: {value}")
        return dt.time(value // 60, value % 60)
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not a time of day 'HH:MM': {value!r}") from None
    return value


Clock = Annotated[dt.time, BeforeValidator(_clock)]


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date 'YYYY-MM-DD': {text.strip()!r}") from None


def _closure(value: Any) -> tuple[dt.date, dt.date]:
    if isinstance(value, dt.datetime):
        raise ValueError(f"a closure is a date or a date range, not a time: {value}")
    if isinstance(value, dt.date):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        first, last = (v if isinstance(v, dt.date) else _parse_date(str(v)) for v in value)
    elif isinstance(value, str):
        if ".." in value:
            a, _, b = value.partition("..")
            first, last = _parse_date(a), _parse_date(b)
        else:
            first = last = _parse_date(value)
    else:
        raise ValueError(f"a closure is 'YYYY-MM-DD' or 'YYYY-MM-DD..YYYY-MM-DD', got {value!r}")
    if last < first:
        raise ValueError(f"closure range ends before it starts: {first}..{last}")
    return (first, last)


Closure = Annotated[tuple[dt.date, dt.date], BeforeValidator(_closure)]
"""An inclusive range of closed dates (a single date is a one-day range)."""


def local_instant(value: Any) -> dt.datetime:
    """An aware Europe/Paris datetime from local ``2027-01-04T10:00`` or ISO with offset.

    Raises
    ------
    ValueError
        Malformed, or a local time skipped or repeated by a daylight-saving change.
    """
    if isinstance(value, str):
        if len(value.strip()) <= 10:  # fromisoformat would read a bare date as midnight
            raise ValueError(f"a start needs a time of day, got {value.strip()!r}")
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not a date-time 'YYYY-MM-DDTHH:MM': {value!r}") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        raise ValueError(f"a start needs a time of day, got the date {value}")
    if not isinstance(value, dt.datetime):
        raise ValueError(f"not a date-time: {value!r}")
    if value.tzinfo is not None:
        return value.astimezone(PARIS)
    early = value.replace(tzinfo=PARIS, fold=0)
    late = value.replace(tzinfo=PARIS, fold=1)
    back = early.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None)
    if back != value:
        raise ValueError(
            f"{value.isoformat(timespec='minutes')} does not exist in Europe/Paris "
            "(clocks jump forward that night): give another time or an explicit offset"
        )
    if early.utcoffset() != late.utcoffset():
        raise ValueError(
            f"{value.isoformat(timespec='minutes')} happens twice in Europe/Paris "
            "(clocks go back that night): add the offset, +02:00 or +01:00"
        )
    return early


LocalInstant = Annotated[dt.datetime, BeforeValidator(local_instant)]


class Home(Model):
    """Where the patient lives: an INSEE commune code, or a point."""

    commune: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("commune", mode="before")
    @classmethod
    def _code_as_text(cls, value: Any) -> Any:
        # An unquoted 31555 in YAML is an int; INSEE codes are text (2A004, 09122).
        return f"{value:05d}" if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_form(self) -> Home:
        has_point = self.lat is not None or self.lon is not None
        if self.commune is None and not has_point:
            raise ValueError("give either commune or lat and lon")
        if has_point and (self.lat is None or self.lon is None):
            raise ValueError("a point needs both lat and lon")
        if self.commune is not None and has_point:
            raise ValueError("give either commune or lat/lon, not both")
        return self


class Patient(Model):
    id: str = Field(min_length=1)
    weight_kg: float = Field(gt=0, le=400)
    height_cm: float = Field(gt=0, le=260)
    home: Home | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class WindowSettings(Model):
    """Opening hours of a service: the same hours on each listed weekday.

    Windows are closed intervals ``[open, close]`` in local time. Public
    holidays (metropolitan France) close the service when
    ``closed_on_holidays``; ``closed`` lists exceptional closures.
    """

    days: tuple[Weekday, ...]
    open: Clock
    close: Clock
    closed_on_holidays: bool
    closed: tuple[Closure, ...] = ()

    @model_validator(mode="after")
    def _open_before_close(self) -> WindowSettings:
        if self.close <= self.open:
            raise ValueError(f"close {self.close:%H:%M} must be after open {self.open:%H:%M}")
        return self


_WINDOW_DEFAULTS: dict[str, dict[str, Any]] = {
    # thesis III.B.1: changes "pendant les horaires de production de la PUI"
    "production": {"days": WEEKDAYS[:5], "open": "09:00", "close": "16:00",
                   "closed_on_holidays": True},
    "day_hospital": {"days": WEEKDAYS[:5], "open": "08:00", "close": "18:00",
                     "closed_on_holidays": True},
    # HAD works 24/7; bag-change visits are planned in daytime
    "had_nurse": {"days": WEEKDAYS, "open": "08:00", "close": "20:00",
                  "closed_on_holidays": False},
}


def _window_with_defaults(name: str):
    def merge(value: Any) -> Any:
        # A request that only lists closures keeps the service's usual hours.
        if value is None:
            return dict(_WINDOW_DEFAULTS[name])
        if isinstance(value, dict):
            return {**_WINDOW_DEFAULTS[name], **value}
        return value

    return BeforeValidator(merge)


def _default_window(name: str) -> WindowSettings:
    return WindowSettings.model_validate(_WINDOW_DEFAULTS[name])


class Settings(Model):
    """Every number of the model, with the spec's defaults (thesis / SmPC)."""

    stability_h: float = Field(default=96.0, gt=0)
    max_bag_h: float = Field(default=96.0, gt=0)
    min_bag_h: float = Field(default=24.0, ge=0)
    """Shortest bag (thesis: bags "for 1 to 4 days"; label: 24-96 h); 0 allows any."""
    overfill_h: float = Field(default=4.0, ge=0)
    overfill_max_bag_h: float = Field(default=72.0, ge=0)
    vial_ug: float = Field(default=38.5, gt=0)
    vial_eur: float = Field(default=2628.0, ge=0)
    transport_h: float | None = Field(default=None, ge=0)
    """PUI -> home road time for HAD changes; None: from the territory, else the default."""
    default_transport_h: float = Field(default=2.0, ge=0)
    """Road time used when neither ``transport_h`` nor a located home gives one."""
    transport_hospital_h: float = Field(default=0.5, ge=0)
    production: Annotated[WindowSettings, _window_with_defaults("production")] = Field(
        default_factory=lambda: _default_window("production"))
    day_hospital: Annotated[WindowSettings, _window_with_defaults("day_hospital")] = Field(
        default_factory=lambda: _default_window("day_hospital"))
    had_nurse: Annotated[WindowSettings, _window_with_defaults("had_nurse")] = Field(
        default_factory=lambda: _default_window("had_nurse"))
    grid_minutes: int = Field(default=15, ge=1, le=60)
    """Change instants lie on this grid from T0 (the spec: 30 min or finer)."""
    prep_slot_min: int = Field(default=15, ge=1, le=60)
    """Preparations end on this slot grid, counted from each production window's opening."""
    edge_margin_minutes: int = Field(default=30, ge=0)
    """A preparation within this margin of a production window's opening or closing
    is "at the edge" (last objective)."""
    cycle_days: int = Field(default=28, ge=1)
    off_days: int = Field(default=14, ge=0)
    max_cycles: int = Field(default=5, ge=1)

    @field_validator("grid_minutes")
    @classmethod
    def _grid_divides_a_day(cls, value: int) -> int:
        # Dose changes and discharge fall on whole days from T0: they must be grid points.
        if 1440 % value:
            raise ValueError(f"grid_minutes must divide 1440 (a day), got {value}")
        return value

    @field_validator("prep_slot_min")
    @classmethod
    def _slot_divides_an_hour(cls, value: int) -> int:
        # Slots then fall on the same minutes of every hour (09:00, 09:15, ...): a
        # timetable the pharmacy can read. Not tied to the window's length, which a
        # request may change: the last slot is the last one before closing.
        if 60 % value:
            raise ValueError(f"prep_slot_min must divide 60 (an hour), got {value}")
        return value

    @model_validator(mode="after")
    def _bag_bounds(self) -> Settings:
        if self.min_bag_h > self.max_bag_h:
            raise ValueError(f"min_bag_h {self.min_bag_h} exceeds max_bag_h {self.max_bag_h}")
        return self


class CycleRequest(Model):
    number: int = Field(ge=1)
    start: LocalInstant
    """T0: the first bag is hung by the ward at this instant (aware, Europe/Paris)."""
    regimen: str


class Request(Model):
    """A patient's treatment to plan: one or more cycles of one drug."""

    patient: Patient
    drug: str = "blinatumomab"
    change_mode: Literal["had_nurse", "day_hospital"] = "had_nurse"
    cycles: tuple[CycleRequest, ...] = Field(min_length=1)
    settings: Settings = Field(default_factory=Settings)

    @field_validator("settings", mode="before")
    @classmethod
    def _none_is_default(cls, value: Any) -> Any:
        return {} if value is None else value

    @model_validator(mode="after")
    def _cycles_consistent(self) -> Request:
        s = self.settings
        if len(self.cycles) > s.max_cycles:
            raise ValueError(f"{len(self.cycles)} cycles requested, at most {s.max_cycles}")
        from hadplanner.models.drug import load_drug  # the catalogue is data, read once

        try:
            drug = load_drug(self.drug)
        except InputError as exc:
            raise ValueError(str(exc)) from None
        for c in self.cycles:
            if c.regimen not in drug.regimens:
                known = ", ".join(sorted(drug.regimens))
                raise ValueError(
                    f"cycle {c.number}: unknown regimen {c.regimen!r} (known: {known})")
            if c.number > s.max_cycles:
                raise ValueError(f"cycle {c.number}: at most {s.max_cycles} cycles")
        gap = dt.timedelta(hours=24 * (s.cycle_days + s.off_days))
        for a, b in zip(self.cycles, self.cycles[1:], strict=False):
            if b.number <= a.number:
                raise ValueError(f"cycle {b.number} is listed after cycle {a.number}")
            # The days off are calendar days: a cycle started at the same wall-clock
            # time 42 days later is accepted even when a DST change made cycle 1
            # end an hour later on the wall clock (672 real hours); the earlier of
            # the real-hour and the wall-clock bound applies.
            real = (a.start.astimezone(UTC) + gap).astimezone(PARIS)
            local = a.start.astimezone(PARIS)
            wall = (local.replace(tzinfo=None) + gap).replace(tzinfo=PARIS)
            earliest = min(real, wall)
            if b.start < earliest:
                what = ("overlaps" if b.start < (a.start.astimezone(UTC) + gap
                        - dt.timedelta(hours=24 * s.off_days)) else "is closer than")
                raise ValueError(
                    f"cycle {b.number} (start {b.start.isoformat(timespec='minutes')}) {what} "
                    f"cycle {a.number} plus its {s.off_days} days off: it may start at "
                    f"{earliest.isoformat(timespec='minutes')} at the earliest")
        return self

    @property
    def transport_given(self) -> bool:
        """True when the request sets the PUI -> home road time itself."""
        return self.settings.transport_h is not None


def _format_error(source: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"] if not str(x).startswith("function-"))
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return f"{source}: {loc}: {msg}" if loc else f"{source}: {msg}"


def parse_request(data: Any, source: str = "request") -> Request:
    """A :class:`Request` from already-parsed data; errors become one :class:`InputError` line."""
    try:
        return Request.model_validate(data)
    except ValidationError as exc:
        raise InputError(_format_error(source, exc)) from None


def load_request(path: str | Path) -> Request:
    """Read a request file (``.yaml``/``.yml`` or ``.json``).

    Raises
    ------
    InputError
        One line ``file: field.path: message`` for the first problem found.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{p}: {where}not valid YAML") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a mapping with patient, cycles, settings")
    return parse_request(data, str(p))
