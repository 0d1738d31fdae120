"""The coordinator's file for one patient: who cares, the plan that follows, what to arrange.

:func:`build_pathway` answers, from a planning request (its ``home``,
``access_status`` and cycles), everything the coordinator nurse of the thesis
builds by hand (part 3 III.B, IV.V):

- who cares for the patient at home (:mod:`hadplanner.pathway.choice`);
- the bag-change plan made **for that organisation**: the HAD's visit hours,
  the road the bags travel (its ``bag_supply``: a courier from the PUI, the
  HAD fetching them at the PUI, or its own PUI), day-hospital changes when no
  HAD can change the bags at home; checked like every plan;
- the first-recourse hospital (the nearest emergency department) and the
  second-recourse contact (the prescribing service);
- what the HAD needs before day 1: training (never treated a patient on the
  drug, or not for more than a year), the pump, the supply circuit;
- the treatment timeline (stays, HAD admission and discharge, bag changes,
  day-hospital visits, daily monitoring visits, breaks);
- the facts of the request to the ARS when a derogation or a convention is needed.

Everything is data (:class:`Pathway`); the words are the exports'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hadplanner.errors import InputError
from hadplanner.models.hospital import Hospital
from hadplanner.models.plan import ChangedBy, Plan
from hadplanner.models.request import PARIS, Request
from hadplanner.models.territory import HAD, BagSupply, Point
from hadplanner.pathway.choice import DAILY_VISIT_LIMIT_MIN, CareChoice, CareStatus, choose_care

TRAINING_GAP_DAYS = 365
"""An HAD that has not treated a patient on the drug for more than a year is trained again."""


@dataclass(frozen=True)
class Recourse:
    """First and second recourse of a patient at home."""

    hospital: Hospital
    """The nearest hospital with an emergency department."""
    km: float
    minutes: float
    """Road time from home (the territory's travel model)."""
    second: str
    """The prescribing service (``centre.yaml``)."""

    def as_dict(self) -> dict[str, Any]:
        h = self.hospital
        return {"first": {"id": h.id, "name": h.name, "town": h.town, "insee": h.insee,
                          "km": round(self.km, 1), "minutes": round(self.minutes),
                          "notes": h.notes, "source": h.source},
                "second": self.second}


@dataclass(frozen=True)
class Readiness:
    """What the chosen HAD needs before the first home day."""

    training: str
    """``needed`` (never, or not for a year), ``to_confirm`` (last patient's date
    unknown), ``not_needed``."""
    patients_treated: int
    last_patient: dt.date | None
    pump: str
    """The centre's pump model, which the HAD must have."""
    bag_supply: BagSupply
    visit_capacity_per_day: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"training": self.training, "patients_treated": self.patients_treated,
                "last_patient": None if self.last_patient is None else str(self.last_patient),
                "pump": self.pump, "bag_supply": self.bag_supply.value,
                "visit_capacity_per_day": self.visit_capacity_per_day}


@dataclass(frozen=True)
class Event:
    """One line of the treatment timeline."""

    kind: str
    """``inpatient``, ``had_admission``, ``had_discharge``, ``bag_change``,
    ``day_hospital``, ``monitoring``, ``break``."""
    start: dt.datetime
    end: dt.datetime | None = None
    cycle: int | None = None
    who: str | None = None
    bag: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start.isoformat(timespec="minutes"),
                "end": None if self.end is None else self.end.isoformat(timespec="minutes"),
                "cycle": self.cycle, "who": self.who, "bag": self.bag}


@dataclass(frozen=True)
class Pathway:
    """The coordinator's file for one patient (see the module's docstring)."""

    patient_id: str
    drug: str
    decided_on: dt.date
    home: Point
    choice: CareChoice
    had: HAD | None
    """The HAD that cares for the patient (served, derogation, convention)."""
    request: Request
    """The request as planned (change mode, visit hours, road time of the chosen care)."""
    plan: Plan
    transport_h: float
    transport_route: str
    """``courier`` (PUI -> home), ``had_fetches`` (PUI -> HAD site -> home),
    ``had_pui`` (HAD site -> home), ``day_hospital``."""
    recourse: Recourse
    readiness: Readiness | None
    timeline: tuple[Event, ...]
    centre: str
    centre_town: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def letter_needed(self) -> bool:
        """A derogation or a convention needs a request to the ARS."""
        return self.choice.status in (CareStatus.derogation, CareStatus.convention)

    def as_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id, "drug": self.drug,
            "decided_on": self.decided_on.isoformat(),
            "home": {"lat": self.home.lat, "lon": self.home.lon},
            "care": self.choice.as_dict(),
            "had": None if self.had is None else {"id": self.had.id, "name": self.had.name},
            "change_mode": self.request.change_mode,
            "transport": {"hours": self.transport_h, "route": self.transport_route},
            "recourse": self.recourse.as_dict(),
            "readiness": None if self.readiness is None else self.readiness.as_dict(),
            "timeline": [e.as_dict() for e in self.timeline],
            "derogation_request": self.letter_needed,
            "plan": self.plan.model_dump(mode="json"),
            "notes": list(self.notes),
        }


def _home(request: Request, loaded: Any) -> tuple[str | None, Point, str | None]:
    """(commune of the territory or None, point, note) of the request's home."""
    from hadplanner.pathway.transport import commune_centre, home_point

    home = request.patient.home
    if home is None:
        raise InputError("patient.home: the pathway needs the home (commune or lat/lon)")
    if home.commune is not None:
        point = commune_centre(home.commune, str(loaded.path))
        known = home.commune in loaded.territory.communes
        return (home.commune if known else None), point, None
    assert home.lat is not None and home.lon is not None
    point, note = home_point(home.lat, home.lon, str(loaded.path))
    return loaded.commune_at(home.lat, home.lon), point, note


def _minutes(a: Point, b: Point, travel: Any = None) -> float:
    from hadplanner.travel import DEFAULT_TRAVEL_MODEL

    return float((travel or DEFAULT_TRAVEL_MODEL).minutes(a, b))


def _hours_up(minutes: float) -> float:
    import math

    return math.ceil(minutes - 1e-9) / 60.0  # whole minutes, rounded up (safe for stability)


def _readiness(had: HAD, first_home_day: dt.date, pump: str) -> Readiness:
    if had.patients_treated == 0:
        training = "needed"
    elif had.last_patient is None:
        training = "to_confirm"
    elif (first_home_day - had.last_patient).days > TRAINING_GAP_DAYS:
        training = "needed"
    else:
        training = "not_needed"
    return Readiness(training, had.patients_treated, had.last_patient, pump, had.bag_supply,
                     had.visit_capacity_per_day)


def _route(had: HAD | None, home: Point, pui: Point, travel: Any) -> tuple[float, str]:
    """Road time of a bag from where it is made to the home, by the HAD's supply circuit."""
    if had is None:
        return _hours_up(_minutes(pui, home, travel)), "courier"
    site = min(had.sites, key=lambda s: _minutes(s.location, home, travel)).location
    if had.bag_supply is BagSupply.had_fetches:
        return _hours_up(_minutes(pui, site, travel) + _minutes(site, home, travel)), \
            "had_fetches"
    if had.bag_supply is BagSupply.had_pui:
        return _hours_up(_minutes(site, home, travel)), "had_pui"
    return _hours_up(_minutes(pui, home, travel)), "courier"


def _timeline(plan: Plan, specs: list[Any], at_home: bool) -> tuple[Event, ...]:
    events: list[Event] = []
    by_number = {c.number: c for c in plan.cycles}
    for i, spec in enumerate(specs):
        cp = by_number[spec.number]
        events.append(Event("inpatient", spec.t0, spec.inpatient_end, spec.number))
        if at_home:
            events.append(Event("had_admission", spec.inpatient_end, None, spec.number))
        for bag in cp.bags:
            events.append(Event("bag_change", bag.start, bag.end, spec.number,
                                bag.changed_by.value, bag.index))
            if bag.changed_by is ChangedBy.day_hospital:
                events.append(Event("day_hospital", bag.start, None, spec.number, None,
                                    bag.index))
        if at_home:
            day = spec.inpatient_end.astimezone(PARIS).date() + dt.timedelta(days=1)
            while day <= spec.t_end.astimezone(PARIS).date():
                noon = dt.datetime.combine(day, dt.time(12), tzinfo=PARIS)
                if noon < spec.t_end:
                    events.append(Event("monitoring", noon, None, spec.number))
                day += dt.timedelta(days=1)
            events.append(Event("had_discharge", spec.t_end, None, spec.number))
        if i + 1 < len(specs):
            events.append(Event("break", spec.t_end, specs[i + 1].t0, spec.number))
    order = {k: i for i, k in enumerate(("break", "inpatient", "had_discharge", "had_admission",
                                         "day_hospital", "bag_change", "monitoring"))}
    return tuple(sorted(events, key=lambda e: (e.start.timestamp(), order[e.kind])))


def build_pathway(
    request: Request,
    territory: str = "occitanie",
    *,
    decided_on: dt.date | None = None,
    index: Any = None,
    hospitals: tuple[Hospital, ...] | None = None,
    limit_min: float = DAILY_VISIT_LIMIT_MIN,
) -> Pathway:
    """The coordinator's file of one patient (see the module's docstring).

    Parameters
    ----------
    request
        A planning request with a home (``access_status`` defaults to ``amm``).
    territory
        Territory name or folder (HADs, zones, centre, hospitals).
    decided_on
        The day the file is drawn up (the letter's date); default: today.
    index
        A :class:`~hadplanner.territory.coverage.TerritoryIndex` of the
        territory, to reuse across patients.
    hospitals
        The hospitals (default: the territory's ``hospitals.yaml``).
    limit_min
        Daily-visit limit of a derogation.

    Raises
    ------
    InputError
        No home, a home outside every commune, an unknown or unable ``had``.
    InfeasiblePlanError
        No safe plan for the chosen care (constraint and instant named).
    """
    from hadplanner.models.drug import load_drug
    from hadplanner.pathway.access import load_access_rules
    from hadplanner.pathway.choice import home_days
    from hadplanner.pathway.hospitals import hospitals_path, nearest_emergency, read_hospitals
    from hadplanner.schedule.planner import plan_request
    from hadplanner.schedule.regimen import cycle_specs
    from hadplanner.territory.coverage import TerritoryIndex
    from hadplanner.territory.loading import load_territory

    loaded = load_territory(territory)
    terr = loaded.territory
    if terr.centre is None:
        raise InputError(f"territory {territory!r} has no prescribing centre (centre.yaml)")
    if index is None:
        index = _index_of(loaded, TerritoryIndex)
    insee, point, note = _home(request, loaded)
    notes = [note] if note else []
    drug = load_drug(request.drug)
    specs = cycle_specs(request, drug, transport_h=0.0)
    days = home_days([(s.inpatient_end, s.t_end) for s in specs])
    centre = terr.centre
    dh_minutes = _minutes(point, centre.location)
    rules = load_access_rules()
    if insee is None:
        notes.append(f"home outside territory {terr.name!r}: no HAD of the territory can be "
                     "chosen")
        choice = _outside(request, point, days, rules, dh_minutes, limit_min)
    else:
        choice = choose_care(index, insee, days, request.access_status, rules,
                             day_hospital_minutes=dh_minutes, limit_min=limit_min,
                             supply_until=request.supply_until)
        if request.had is not None:
            choice = _imposed(choice, request.had, terr)
    had = terr.had(choice.had_id) if choice.had_id is not None else None
    hours, route = _route(had, point, centre.location, None)
    settings = request.settings
    change_mode = request.change_mode
    if had is None or change_mode == "day_hospital":
        change_mode = "day_hospital"
        route = "day_hospital" if had is None else route
    update: dict[str, Any] = {"transport_h": settings.transport_h or hours}
    if had is not None:
        v = had.nurse_visits
        update["had_nurse"] = settings.had_nurse.model_copy(update={
            "days": v.days, "open": v.open, "close": v.close,
            "closed_on_holidays": v.closed_on_holidays})
    planned = request.model_copy(update={"change_mode": change_mode,
                                         "settings": settings.model_copy(update=update)})
    plan = plan_request(planned, drug)
    hospital_list = hospitals if hospitals is not None else read_hospitals(
        hospitals_path(territory), known_insee=set(terr.communes))
    child = request.patient.weight_kg < drug.per_m2_below_kg
    try:
        hosp, km = nearest_emergency(hospital_list, point, paediatric=child)
    except ValueError as exc:
        raise InputError(f"hospitals of territory {territory!r}: {exc}") from None
    recourse = Recourse(hosp, km, _minutes(point, hosp.location),
                        centre.prescribing_service or centre.name)
    readiness = None
    if had is not None and days:
        pump = centre.pump.model if centre.pump is not None else "not given in centre.yaml"
        readiness = _readiness(had, days[0], pump)
    return Pathway(
        patient_id=request.patient.id, drug=request.drug,
        decided_on=decided_on or dt.date.today(), home=point, choice=choice, had=had,
        request=planned, plan=plan, transport_h=planned.settings.transport_h or hours,
        transport_route=route, recourse=recourse, readiness=readiness,
        timeline=_timeline(plan, specs, at_home=had is not None),
        centre=centre.name, centre_town=terr.communes[centre.insee].name
        if centre.insee in terr.communes else "", notes=tuple(notes))


_INDEXES: dict[int, tuple[Any, Any]] = {}


def _index_of(loaded: Any, index_cls: Any) -> Any:
    """The coverage index of a loaded territory, built once per loaded territory."""
    kept = _INDEXES.get(id(loaded))
    if kept is None or kept[0] is not loaded:
        kept = (loaded, index_cls.from_loaded(loaded))
        _INDEXES.clear()  # one territory at a time: the last one asked
        _INDEXES[id(loaded)] = kept
    return kept[1]


def _outside(request: Request, point: Point, days: Any, rules: Any, dh_minutes: float,
             limit_min: float) -> CareChoice:
    from hadplanner.models.access import AccessStatus, Organisation

    status = AccessStatus(request.access_status)
    on = days[0] if days else dt.date.today()
    decision = rules.decide(Organisation.day_hospital, status, on, request.supply_until)
    return CareChoice(insee="", commune="", department="", access_status=status,
                      home_days=tuple(days), status=CareStatus.day_hospital, had_id=None,
                      decisions=(decision,), zone_hads=(), candidates=(),
                      day_hospital_minutes=dh_minutes, limit_min=limit_min)


def _imposed(choice: CareChoice, had_id: str, terr: Any) -> CareChoice:
    """The coordinator's own choice of HAD, checked: it must be able to take the patient."""
    from dataclasses import replace

    known = {h.id for h in terr.hads}
    if choice.decisions and choice.decisions[0].allowed is not True:
        raise InputError(f"had: access_status {choice.access_status.value} does not allow an "
                         f"HAD ({choice.decisions[0].reason})")
    if had_id not in known:
        raise InputError(f"had: unknown HAD id {had_id!r} (known: {', '.join(sorted(known))})")
    for s in choice.zone_hads:
        if s.had_id == had_id:
            if not s.authorised_every_day:
                raise InputError(f"had: {had_id} is not authorised for home chemotherapy on "
                                 f"{s.first_unauthorised}: it cannot take this patient")
            return replace(choice, status=CareStatus.served, had_id=had_id)
    for s in choice.candidates:
        if s.had_id == had_id:
            if not s.authorised_every_day:
                raise InputError(f"had: {had_id} is not authorised for home chemotherapy on "
                                 f"{s.first_unauthorised}: it cannot take this patient")
            care = CareStatus.derogation if s.within_limit else CareStatus.convention
            return replace(choice, status=care, had_id=had_id)
    raise InputError(f"had: {had_id} neither covers commune {choice.insee} nor borders its "
                     "zone while authorised: it cannot take this patient")
