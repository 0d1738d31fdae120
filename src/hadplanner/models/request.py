"""A planning request (YAML or JSON): the patient, the drug, the cycles, the settings.

The file format is the one of ``../shared/spec/bag-scheduling.md`` ("Request
file"). Every number of the model is a setting with the spec's default, so a
request can describe another hospital (other production hours, a longer road
to the patient's home, a stricter stability).

Every value is checked before anything is planned (issue 7): numbers are
numbers (never ``true``, ``"72"``, ``inf``), each has bounds a clinician would
accept, stated below with their reason, and a setting that would cut a
regimen's inpatient period or dose step out of the cycle is refused. A
misread request must never become a plan with another dose.

Times: a cycle start is written ``2027-01-04T10:00`` (local time in
Europe/Paris) or with an explicit UTC offset. A local time that does not
exist (the hour skipped on the last Sunday of March) or that happens twice
(the repeated hour of the last Sunday of October) is rejected: the request
must then give the offset.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, field_validator, model_validator

from hadplanner.errors import InputError
from hadplanner.models.base import (
    FIRST_YEAR,
    LAST_YEAR,
    Day,
    Model,
    Real,
    Text,
    Whole,
    bounded,
    show,
)
from hadplanner.models.hours import (  # noqa: E402 (re-exported: one place for hours)
    WEEKDAYS,
    WindowSettings,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC

def local_instant(value: Any) -> dt.datetime:
    """An aware Europe/Paris datetime from local ``2027-01-04T10:00`` or ISO with offset.

    Raises
    ------
    ValueError
        Malformed, out of the years hadplanner knows, or a local time skipped or
        repeated by a daylight-saving change.
    """
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 10:  # fromisoformat would read a bare date as midnight
            raise ValueError(f"a start needs a time of day, got {text!r}")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"not a date-time 'YYYY-MM-DDTHH:MM' (or no such day): {text!r}") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        raise ValueError(f"a start needs a time of day, got the date {value}")
    if not isinstance(value, dt.datetime):
        raise ValueError(f"must be a date-time 'YYYY-MM-DDTHH:MM', got {show(value)}")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(
            f"year {value.year} is outside {FIRST_YEAR}-{LAST_YEAR}: a typing error?")
    if value.second or value.microsecond:
        raise ValueError(f"a start is a whole minute, got {value.time().isoformat()}")
    if value.tzinfo is not None:  # an explicit offset (or Z) names one instant
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


def _insee_text(value: Any) -> Any:
    # An unquoted 31555 is a number: exact as text when it has five digits.
    # A shorter number lost its leading zero (09001 -> 9001): refuse, never pad.
    if isinstance(value, bool):
        raise ValueError(f"must be an INSEE commune code, got {show(value)}")
    if isinstance(value, int):
        if 10000 <= value <= 99999:
            return str(value)
        raise ValueError(
            f"INSEE code {value} has lost a leading zero or is not a code: write it "
            "as text in quotes, e.g. \"09122\"")
    if not isinstance(value, str) or not re.fullmatch(r"\d{5}|2[AB]\d{3}", value.strip()):
        raise ValueError(f"not an INSEE commune code: {show(value)} (five characters, e.g. "
                         "\"31555\", \"2A004\")")
    return value.strip()


InseeText = Annotated[str, BeforeValidator(_insee_text)]

# Metropolitan France and Corsica, with a margin: the territories hadplanner serves.
LAT_FRANCE = (41.0, 51.6)
LON_FRANCE = (-5.6, 10.0)


class Home(Model):
    """Where the patient lives: an INSEE commune code, or a point (WGS84, in France)."""

    commune: InseeText | None = None
    lat: Annotated[Real, bounded(*LAT_FRANCE, "degrees",
                                 "latitude of metropolitan France and Corsica")] | None = None
    lon: Annotated[Real, bounded(*LON_FRANCE, "degrees",
                                 "longitude of metropolitan France and Corsica")] | None = None

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


_PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")

WEIGHT_KG = (2.5, 250.0)
"""Blinatumomab is given from the age of 1 month (SmPC): a 1-month-old weighs
at least about 2.5 kg; 250 kg is beyond any adult the HAD teams have planned.
Anything outside is a unit or typing error (grams, pounds, a missing digit)."""

HEIGHT_CM = (45.0, 230.0)
"""A 1-month-old measures at least about 45 cm; 230 cm is beyond the tallest adults."""

BMI = (7.0, 90.0)
"""Body-mass index of a real patient, infants included (about 11 at the 3rd
percentile at 1 month): outside, weight and height cannot both be right, and
the per-m2 dose (body surface from both) would be wrong."""


class Patient(Model):
    """The patient, under a pseudonym: weight and height set the dose below 45 kg."""

    id: Text = Field(min_length=1)
    """A pseudonym (``P001``): letters, digits, ``_ . -``, at most 40 characters. It
    names output files, so it can never hold a path (``../x``) or a name."""
    weight_kg: Annotated[Real, bounded(*WEIGHT_KG, "kg", "from an infant of 1 month to "
                                       "the heaviest adult; outside is a unit error")]
    height_cm: Annotated[Real, bounded(*HEIGHT_CM, "cm", "from an infant of 1 month to "
                                       "the tallest adult; outside is a unit error")]
    home: Home | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("id")
    @classmethod
    def _pseudonym(cls, value: str) -> str:
        if not _PSEUDONYM.match(value):
            raise ValueError(
                f"{value!r} is not a pseudonym: use 1-40 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit (no spaces, no slashes, no names)")
        return value

    @model_validator(mode="after")
    def _plausible(self) -> Patient:
        bmi = self.weight_kg / (self.height_cm / 100) ** 2
        if not BMI[0] <= bmi <= BMI[1]:
            raise ValueError(
                f"weight {self.weight_kg:g} kg and height {self.height_cm:g} cm give a body-mass "
                f"index of {bmi:.1f}, outside {BMI[0]:g}-{BMI[1]:g}: one of them is wrong")
        return self

    @property
    def bsa_m2(self) -> float:
        """Body surface area (Mosteller), m2."""
        return math.sqrt(self.height_cm * self.weight_kg / 3600.0)


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


def _window_with_defaults(name: str) -> BeforeValidator:
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


LONGEST_STABILITY_H = 168.0
"""The longest in-use stability of any label of the drug family: 7 days for the
US label's bag with preservative; a longer stability is a typing error."""


class Settings(Model):
    """Every number of the model, with the spec's defaults (thesis / SmPC) and bounds.

    A bound says what a hospital could really set; outside it the value is a
    typing or unit error and is refused with the bound and its reason.
    """

    stability_h: Annotated[Real, bounded(1, LONGEST_STABILITY_H, "h",
                                         "in-use stability of a prepared bag: at most the "
                                         "7-day bag of the labels")] = 96.0
    max_bag_h: Annotated[Real, bounded(1, LONGEST_STABILITY_H, "h",
                                       "a bag lasts at most the longest stability")] = 96.0
    """Longest bag; stability (from preparation) bounds it further in the planner."""
    min_bag_h: Annotated[Real, bounded(0, LONGEST_STABILITY_H, "h",
                                       "0 allows any bag length")] = 24.0
    """Shortest bag (thesis: bags "for 1 to 4 days"; label: 24-96 h); 0 allows any."""
    overfill_h: Annotated[Real, bounded(0, 24, "h",
                                        "extra infusion time in a bag (thesis: 4 h)")] = 4.0
    overfill_max_bag_h: Annotated[Real, bounded(0, LONGEST_STABILITY_H, "h",
                                                "bags up to this long carry overfill")] = 72.0
    vial_ug: Annotated[Real, bounded(1, 100_000, "ug",
                                     "drug in one vial (blinatumomab: 38.5 ug); below 1 ug or "
                                     "above 100 mg is a unit error (mg or ng)")] = 38.5
    vial_eur: Annotated[Real, bounded(0, 1_000_000, "EUR", "price of one vial")] = 2628.0
    transport_h: Annotated[Real, bounded(0, 12, "h",
                                         "road time PUI -> home: no road in metropolitan "
                                         "France takes longer")] | None = None
    """PUI -> home road time for HAD changes; None: from the territory, else the default."""
    default_transport_h: Annotated[Real, bounded(0, 12, "h",
                                                 "road time PUI -> home")] = 2.0
    """Road time used when neither ``transport_h`` nor a located home gives one."""
    transport_hospital_h: Annotated[Real, bounded(0, 4, "h",
                                                  "PUI -> ward or day hospital of the same "
                                                  "centre")] = 0.5
    production: Annotated[WindowSettings, _window_with_defaults("production")] = Field(
        default_factory=lambda: _default_window("production"))
    day_hospital: Annotated[WindowSettings, _window_with_defaults("day_hospital")] = Field(
        default_factory=lambda: _default_window("day_hospital"))
    had_nurse: Annotated[WindowSettings, _window_with_defaults("had_nurse")] = Field(
        default_factory=lambda: _default_window("had_nurse"))
    grid_minutes: Annotated[Whole, bounded(1, 60, "min",
                                           "change instants on a grid of 1 to 60 minutes; "
                                           "the spec asks for 30 min or finer")] = 15
    """Change instants lie on this grid from T0 (the spec: 30 min or finer)."""
    prep_slot_min: Annotated[Whole, bounded(1, 60, "min",
                                            "preparation slots of 1 to 60 minutes")] = 15
    """Preparations end on this slot grid, counted from each production window's opening."""
    edge_margin_minutes: Annotated[Whole, bounded(0, 240, "min",
                                                  "margin from a production window's "
                                                  "edge")] = 30
    """A preparation within this margin of a production window's opening or closing
    is "at the edge" (last objective)."""
    cycle_days: Annotated[Whole, bounded(1, 56, "days",
                                         "a cycle of continuous infusion (label: 28 days)")] = 28
    off_days: Annotated[Whole, bounded(0, 365, "days",
                                       "treatment-free days between cycles (label: 14)")] = 14
    max_cycles: Annotated[Whole, bounded(1, 10, "cycles",
                                         "cycles in one request (label: at most 5)")] = 5
    max_interruption_days: Annotated[Whole, bounded(0, 28, "days",
                                                    "longest interruption that continues "
                                                    "the same cycle (label: 7)")] = 7
    """An interruption up to this long continues the cycle to 28 days of infusion in
    total; a longer one ends the cycle and starts a new one (label)."""
    hospital_restart_h: Annotated[Real, bounded(0, 168, "h",
                                                "interruption after which the restart is "
                                                "supervised in hospital (label: 4 h)")] = 4.0
    """After an interruption this long or longer, the first bag is hung in hospital (the
    ward or the day hospital), with premedication (label)."""

    @field_validator("grid_minutes")
    @classmethod
    def _grid_divides_a_day(cls, value: int) -> int:
        # Dose changes and discharge fall on whole days from T0: they must be grid points.
        if 1440 % value:
            raise ValueError(f"must divide 1440 (a day), got {value}: use 5, 10, 15 or 30")
        return value

    @field_validator("prep_slot_min")
    @classmethod
    def _slot_divides_an_hour(cls, value: int) -> int:
        # Slots then fall on the same minutes of every hour (09:00, 09:15, ...): a
        # timetable the pharmacy can read. Not tied to the window's length, which a
        # request may change: the last slot is the last one before closing.
        if 60 % value:
            raise ValueError(f"must divide 60 (an hour), got {value}: use 5, 10, 15, 20 or 30")
        return value

    @model_validator(mode="after")
    def _bag_bounds(self) -> Settings:
        if self.min_bag_h > self.max_bag_h:
            raise ValueError(f"min_bag_h {self.min_bag_h:g} exceeds max_bag_h {self.max_bag_h:g}")
        return self


class Interval(Model):
    """A closed interval ``[start, end]`` of real time (an interruption, a readmission)."""

    start: LocalInstant
    end: LocalInstant

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError(f"ends ({self.end.isoformat(timespec='minutes')}) before it starts "
                             f"({self.start.isoformat(timespec='minutes')})")
        return self


class DoseOrder(Model):
    """A rate ordered by the haematologist, from the start of a bag to the cycle's end.

    It replaces the regimen's rate and its later steps in that cycle (a new order
    changes it again); ``start`` is the first bag hung at the new rate.
    """

    start: LocalInstant
    rate_ug_per_day: Annotated[Real, bounded(0.01, 1000, "ug/day",
                                             "a daily dose (blinatumomab: 9 or 28 ug/day)")]
    ordered_at: LocalInstant | None = None
    """When the haematologist ordered it (the event's instant)."""


class CycleRequest(Model):
    """One cycle to plan: its number, T0 and the regimen's name in the drug catalogue.

    Events recorded during the cycle (``register.replan``) add the interruptions (no
    drug flows; the cycle's end moves by their total), the instant the infusion
    stopped for good, and the rates ordered by the haematologist.
    """

    number: Annotated[Whole, bounded(1, 10, "", "cycle number (label: at most 5 cycles)")]
    start: LocalInstant
    """T0: the first bag is hung by the ward at this instant (aware, Europe/Paris)."""
    regimen: Text = Field(min_length=1, max_length=80)
    interruptions: tuple[Interval, ...] = Field(default=(), max_length=50)
    """Gaps in the infusion, in time order, each at most ``max_interruption_days``."""
    stopped_at: LocalInstant | None = None
    """The infusion ended for good here, before 28 days of infusion."""
    dose_changes: tuple[DoseOrder, ...] = Field(default=(), max_length=50)
    """Rates ordered during the cycle, in time order."""
    hospital_changes: tuple[LocalInstant, ...] = Field(default=(), max_length=50)
    """Bag changes done in hospital (the patient comes to the day hospital, or the ward)
    because the change mode could not make them (the HAD unavailable that day)."""

    def infusion_end(self, cycle_days: int) -> dt.datetime:
        """T0 + ``cycle_days`` days of infusion (real hours) + the interruptions, or the stop."""
        if self.stopped_at is not None:
            return self.stopped_at
        gaps = sum((i.end.astimezone(UTC) - i.start.astimezone(UTC)
                    for i in self.interruptions), dt.timedelta(0))
        return (self.start.astimezone(UTC) + dt.timedelta(days=cycle_days) + gaps
                ).astimezone(PARIS)


class Request(Model):
    """A patient's treatment to plan: one or more cycles of one drug."""

    patient: Patient
    drug: Text = Field(default="blinatumomab", min_length=1, max_length=80)
    change_mode: Literal["had_nurse", "day_hospital"] = "had_nurse"
    cycles: tuple[CycleRequest, ...] = Field(min_length=1, max_length=10)
    settings: Settings = Field(default_factory=Settings)
    access_status: Literal["amm", "trial", "atu", "aap", "cpc", "continuity"] = "amm"
    """How the patient gets the drug (``data/access_rules.yaml``): marketing
    authorisation (hospital reserve), clinical trial, temporary authorisation,
    early access, compassionate framework, or continuity after early access."""
    supply_until: Day | None = None
    """Continuity of treatment: last day of the laboratory's free supply."""
    had: Text | None = Field(default=None, max_length=60)
    """The HAD the coordinator has chosen (an id of the territory's hads.yaml);
    None: the pathway chooses. Checked to exist and to be able to take the patient."""
    ward_periods: tuple[Interval, ...] = Field(default=(), max_length=50)
    """Unplanned readmissions (admission, discharge), in time order: the ward hangs
    every bag changed in one, discharge included."""

    @field_validator("settings", mode="before")
    @classmethod
    def _none_is_default(cls, value: Any) -> Any:
        return {} if value is None else value

    @model_validator(mode="after")
    def _supply_date(self) -> Request:
        if self.access_status == "continuity" and self.supply_until is None:
            raise ValueError("access_status continuity needs supply_until: the last day of the "
                             "laboratory's free supply (YYYY-MM-DD)")
        if self.access_status != "continuity" and self.supply_until is not None:
            raise ValueError("supply_until applies to access_status continuity only")
        return self

    @model_validator(mode="after")
    def _cycles_consistent(self) -> Request:
        s = self.settings
        if len(self.cycles) > s.max_cycles:
            raise ValueError(f"{len(self.cycles)} cycles requested, at most {s.max_cycles} "
                             "(settings.max_cycles)")
        from hadplanner.models.drug import load_drug  # the catalogue is data, read once

        try:
            drug = load_drug(self.drug)
        except InputError as exc:
            raise ValueError(str(exc)) from None
        seen: dict[int, int] = {}
        for i, c in enumerate(self.cycles):
            if c.number in seen:
                raise ValueError(
                    f"cycle number {c.number} appears twice (cycles[{seen[c.number]}] and "
                    f"cycles[{i}]): each cycle has its own number")
            seen[c.number] = i
            if c.regimen not in drug.regimens:
                known = ", ".join(sorted(drug.regimens))
                raise ValueError(
                    f"cycle {c.number}: unknown regimen {c.regimen!r} (known: {known})")
            if c.number > s.max_cycles:
                raise ValueError(f"cycle {c.number}: at most {s.max_cycles} cycles "
                                 "(settings.max_cycles)")
            regimen = drug.regimens[c.regimen]
            inpatient = regimen.inpatient_days_for(c.number)
            if inpatient > s.cycle_days:
                raise ValueError(
                    f"settings.cycle_days {s.cycle_days} would cut cycle {c.number}'s "
                    f"{inpatient} inpatient days ({c.regimen}) out of the cycle: refused")
            last_step = max(step.from_day for step in regimen.steps)
            if last_step > s.cycle_days:
                raise ValueError(
                    f"settings.cycle_days {s.cycle_days} would cut cycle {c.number}'s dose step "
                    f"of day {last_step} ({c.regimen}) out of the cycle: refused")
        gap = dt.timedelta(hours=24 * (s.cycle_days + s.off_days))
        for a, b in zip(self.cycles, self.cycles[1:], strict=False):
            if b.number <= a.number:
                raise ValueError(
                    f"cycle {b.number} is listed after cycle {a.number}: list cycles in order")
            if a.stopped_at is not None:
                # Label: an interruption of more than max_interruption_days starts a new
                # cycle; the interruption takes the place of the days off.
                least = dt.timedelta(days=s.max_interruption_days)
                if b.start.astimezone(UTC) - a.stopped_at.astimezone(UTC) <= least:
                    raise ValueError(
                        f"cycle {b.number} (start {b.start.isoformat(timespec='minutes')}) "
                        f"follows cycle {a.number}, stopped at "
                        f"{a.stopped_at.isoformat(timespec='minutes')}: a new cycle starts "
                        f"after an interruption of more than {s.max_interruption_days} days")
                continue
            moved = sum((i.end.astimezone(UTC) - i.start.astimezone(UTC)
                         for i in a.interruptions), dt.timedelta(0))
            # The days off are calendar days: a cycle started at the same wall-clock
            # time 42 days later is accepted even when a DST change made cycle 1
            # end an hour later on the wall clock (672 real hours); the earlier of
            # the real-hour and the wall-clock bound applies.
            # Interruptions move the cycle's end, and the days off after it, by their total.
            real = (a.start.astimezone(UTC) + gap + moved).astimezone(PARIS)
            local = a.start.astimezone(PARIS)
            wall = (local.replace(tzinfo=None) + gap).replace(tzinfo=PARIS)
            if moved:
                wall = (wall.astimezone(UTC) + moved).astimezone(PARIS)
            earliest = min(real, wall)
            if b.start < earliest:
                what = ("overlaps" if b.start < (a.start.astimezone(UTC) + gap + moved
                        - dt.timedelta(hours=24 * s.off_days)) else "is closer than")
                raise ValueError(
                    f"cycle {b.number} (start {b.start.isoformat(timespec='minutes')}) {what} "
                    f"cycle {a.number} plus its {s.off_days} days off: it may start at "
                    f"{earliest.isoformat(timespec='minutes')} at the earliest")
        return self

    @model_validator(mode="after")
    def _events_consistent(self) -> Request:
        """Interruptions, stops, ordered rates and readmissions fit their cycles."""
        s = self.settings

        def at(t: dt.datetime) -> str:
            return t.isoformat(timespec="minutes")

        for c in self.cycles:
            where = f"cycle {c.number}"
            end = c.start
            gaps = dt.timedelta(0)
            for i, gap in enumerate(c.interruptions):
                end = (c.start.astimezone(UTC) + dt.timedelta(days=s.cycle_days) + gaps)
                if gap.start <= c.start or gap.start >= end:
                    raise ValueError(
                        f"{where}: interruptions[{i}] starts {at(gap.start)}, outside the "
                        f"infusion ({at(c.start)} to {at(end.astimezone(PARIS))})")
                if i and gap.start <= c.interruptions[i - 1].end:
                    raise ValueError(
                        f"{where}: interruptions[{i}] starts {at(gap.start)}, not after the "
                        f"previous one ends ({at(c.interruptions[i - 1].end)})")
                length = gap.end.astimezone(UTC) - gap.start.astimezone(UTC)
                if length > dt.timedelta(days=s.max_interruption_days):
                    raise ValueError(
                        f"{where}: interruptions[{i}] lasts more than "
                        f"{s.max_interruption_days} days: that ends the cycle (stopped_at) and "
                        "starts a new one")
                gaps += length
            full = c.start.astimezone(UTC) + dt.timedelta(days=s.cycle_days) + gaps
            if c.stopped_at is not None:
                last = c.interruptions[-1].end if c.interruptions else c.start
                if c.stopped_at <= last or c.stopped_at > full:
                    raise ValueError(
                        f"{where}: stopped_at {at(c.stopped_at)} is not during the infusion "
                        f"(after {at(last)}, at the latest {at(full.astimezone(PARIS))})")
            stop = c.infusion_end(s.cycle_days)
            for i, t in enumerate(c.hospital_changes):
                if not c.start < t < stop:
                    raise ValueError(f"{where}: hospital_changes[{i}] {at(t)} is not during the "
                                     f"infusion ({at(c.start)} to {at(stop)})")
            for i, order in enumerate(c.dose_changes):
                if not c.start <= order.start < stop or any(
                        g.start < order.start < g.end for g in c.interruptions):
                    raise ValueError(
                        f"{where}: dose_changes[{i}] starts {at(order.start)}, when no drug "
                        f"of the cycle flows ({at(c.start)} to {at(stop)})")
                if i and order.start <= c.dose_changes[i - 1].start:
                    raise ValueError(f"{where}: dose_changes[{i}] is not after the previous one")
        for i, period in enumerate(self.ward_periods[1:], start=1):
            if period.start <= self.ward_periods[i - 1].end:
                raise ValueError(
                    f"ward_periods[{i}] starts {at(period.start)}, not after the previous "
                    f"discharge ({at(self.ward_periods[i - 1].end)})")
        return self

    @property
    def transport_given(self) -> bool:
        """True when the request sets the PUI -> home road time itself."""
        return self.settings.transport_h is not None


def label_deviations(request: Request) -> list[str]:
    """Settings looser than the drug's label: planned as asked, but said in every output.

    A hospital may have validated a longer stability or another vial; the tool
    obeys its settings, and repeats the difference so that nobody misses it.
    """
    from hadplanner.models.drug import load_drug

    drug = load_drug(request.drug)
    s = request.settings
    out = []
    for name, asked, label, unit in (
        ("stability_h", s.stability_h, drug.stability_h, "h"),
        ("max_bag_h", s.max_bag_h, drug.max_bag_h, "h"),
        ("overfill_h", s.overfill_h, drug.overfill_h, "h"),
        ("vial_ug", s.vial_ug, drug.vial_ug, "ug"),
        ("cycle_days", s.cycle_days, drug.cycle_days, "days"),
    ):
        if abs(asked - label) > 1e-9 and (name not in ("stability_h", "max_bag_h")
                                           or asked > label):
            out.append(f"settings.{name} {asked:g} {unit} differs from {drug.name}'s "
                       f"{label:g} {unit} (data/drugs.yaml): planned as the request asks")
    return out


def parse_request(data: Any, source: str = "request") -> Request:
    """A :class:`Request` from already-parsed data; errors become one :class:`InputError` line."""
    from hadplanner.io.validation import validate

    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with patient, cycles, settings")
    return validate(Request, data, source)


def load_request(path: str | Path) -> Request:
    """Read a request file (``.yaml``/``.yml`` or ``.json``) through the strict reader.

    Raises
    ------
    InputError
        One line ``file:line: field.path: message`` for the first problem found.
    """
    from hadplanner.io.reading import load_document
    from hadplanner.io.validation import validate

    doc = load_document(path, "request")
    if not isinstance(doc.data, dict):
        raise InputError(f"{doc.path}: expected a mapping with patient, cycles, settings")
    return validate(Request, doc.data, doc.where)
