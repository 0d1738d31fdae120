"""The register's library: what the CLI (and the web application) call.

Every write is one transaction (all or nothing) and adds audit rows naming
the user (the OS user, or the one given); nothing is updated in place: a new
plan is a new version, a changed treatment a new treatment version. Patients
are known by their pseudonym (the request's ``patient.id``); identity fields,
when given, are kept in their own table and never exported unless asked.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from hadplanner.errors import InputError
from hadplanner.models.plan import Plan
from hadplanner.models.request import PARIS, Request
from hadplanner.register.db import transaction
from hadplanner.register.schema import (
    AuditRow,
    EventRow,
    IdentityRow,
    PatientRow,
    PlanRow,
    TreatmentRow,
)


def current_user(explicit: str | None = None) -> str:
    """Who writes: ``--user`` when given, else the operating-system user."""
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class Identity:
    """Identity fields of a patient (kept apart, exported only when asked)."""

    family_name: str | None = None
    given_name: str | None = None
    birth_date: str | None = None

    def is_empty(self) -> bool:
        return not (self.family_name or self.given_name or self.birth_date)


@dataclass
class PatientView:
    """A patient as the register holds them now, with their history."""

    pseudonym: str
    request: Request
    plan: Plan
    plan_version: int
    treatment_version: int
    had_id: str | None
    care_status: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    pending: int = 0
    """Events recorded but not yet re-planned."""

    def next_change(self, now: dt.datetime) -> tuple[dt.datetime, str] | None:
        """The next bag change after ``now``: its instant and who makes it."""
        for cycle in self.plan.cycles:
            for bag in cycle.bags:
                if bag.start > now:
                    return bag.start, bag.changed_by.value
        return None


def _audit(s: Any, user: str, action: str, patient_id: int | None, **detail: Any) -> None:
    s.add(AuditRow(user=user, action=action, patient_id=patient_id,
                   detail_json=json.dumps(detail, ensure_ascii=False, default=str)))


def _patient(s: Any, pseudonym: str, *, lock: bool = False) -> PatientRow:
    q = select(PatientRow).where(PatientRow.pseudonym == pseudonym)
    if lock:
        q = q.with_for_update()
    row = s.scalars(q).first()
    if row is None:
        raise InputError(f"unknown patient {pseudonym!r} in the register "
                         "(hadplanner patient list shows who is there)")
    return row


def _latest(s: Any, model: Any, patient_id: int) -> Any:
    return s.scalars(select(model).where(model.patient_id == patient_id)
                     .order_by(model.version.desc()).limit(1)).first()


def plan_new_patient(request: Request, territory: str = "occitanie") -> tuple[Request, Plan,
                                                                              Any]:
    """The request as planned and its checked plan: through the care pathway when the home
    is known (the HAD chosen, its visit hours and bag route), else the plain planner."""
    if request.patient.home is not None:
        from hadplanner.pathway.coordinator import build_pathway

        pathway = build_pathway(request, territory)
        return pathway.request, pathway.plan, pathway
    from hadplanner.pathway.transport import resolve_transport, with_transport
    from hadplanner.schedule.planner import plan_request

    planned = with_transport(request, resolve_transport(request, territory))
    return planned, plan_request(planned), None


def add_patient(
    request: Request,
    *,
    user: str | None = None,
    identity: Identity | None = None,
    territory: str = "occitanie",
    url: str | None = None,
) -> PatientView:
    """Admit a patient: plan their treatment (checked) and store it, all or nothing.

    Raises
    ------
    InputError
        The pseudonym is already in the register.
    InfeasiblePlanError
        No safe plan (nothing is stored).
    """
    who = current_user(user)
    planned, plan, pathway = plan_new_patient(request, territory)
    had_id = pathway.had.id if pathway is not None and pathway.had is not None else None
    care = pathway.choice.status.value if pathway is not None else None
    home = request.patient.home
    with transaction(url) as s:
        exists = s.scalars(select(PatientRow).where(
            PatientRow.pseudonym == request.patient.id)).first()
        if exists is not None:
            raise InputError(f"patient {request.patient.id!r} is already in the register: "
                             "record an event and re-plan, or use another pseudonym")
        p = PatientRow(pseudonym=request.patient.id, created_by=who)
        s.add(p)
        s.flush()
        _audit(s, who, "patient.add", p.id, pseudonym=p.pseudonym)
        if identity is not None and not identity.is_empty():
            s.add(IdentityRow(patient_id=p.id, family_name=identity.family_name,
                              given_name=identity.given_name, birth_date=identity.birth_date,
                              recorded_by=who))
            _audit(s, who, "identity.add", p.id)  # the fields themselves are not audited
        s.add(TreatmentRow(patient_id=p.id, version=1, request_json=planned.model_dump_json(),
                           drug=request.drug, access_status=request.access_status,
                           home_insee=home.commune if home is not None else None,
                           had_id=had_id, care_status=care, created_by=who))
        _audit(s, who, "treatment.add", p.id, version=1, had_id=had_id, care=care)
        s.add(PlanRow(patient_id=p.id, version=1, treatment_version=1,
                      plan_json=plan.model_dump_json(), reason="admission", created_by=who))
        _audit(s, who, "plan.add", p.id, version=1, reason="admission",
               bags=plan.totals.bags, vials=plan.totals.vials)
    return show(request.patient.id, url=url)


def _view(s: Any, p: PatientRow) -> PatientView:
    t = _latest(s, TreatmentRow, p.id)
    pl = _latest(s, PlanRow, p.id)
    events = s.scalars(select(EventRow).where(EventRow.patient_id == p.id)
                       .order_by(EventRow.at, EventRow.id)).all()
    return PatientView(
        pseudonym=p.pseudonym,
        request=Request.model_validate_json(t.request_json),
        plan=Plan.model_validate_json(pl.plan_json),
        plan_version=pl.version, treatment_version=t.version, had_id=t.had_id,
        care_status=t.care_status,
        events=[{"id": e.id, **json.loads(e.event_json), "applied_in_plan": e.applied_in_plan,
                 "recorded_at": e.created_at.isoformat(timespec="seconds"),
                 "recorded_by": e.created_by} for e in events],
        pending=sum(1 for e in events if e.applied_in_plan is None))


def show(pseudonym: str, *, url: str | None = None) -> PatientView:
    """The patient as held now (current treatment and plan, events)."""
    with transaction(url) as s:
        return _view(s, _patient(s, pseudonym))


def list_patients(*, url: str | None = None) -> list[PatientView]:
    """Every patient of the register, by pseudonym."""
    with transaction(url) as s:
        rows = s.scalars(select(PatientRow).order_by(PatientRow.pseudonym)).all()
        return [_view(s, p) for p in rows]


def patient_rows(now: dt.datetime, *, url: str | None = None) -> list[dict[str, Any]]:
    """The register's patients as ``patient list --json`` and ``GET /api/patients`` give
    them: version of the plan, HAD, care status, the next bag change after ``now``."""
    rows = []
    for v in list_patients(url=url):
        nxt = v.next_change(now)
        rows.append({"pseudonym": v.pseudonym, "plan_version": v.plan_version,
                     "had_id": v.had_id, "care": v.care_status,
                     "next_change": None if nxt is None else nxt[0].isoformat(),
                     "next_change_by": None if nxt is None else nxt[1],
                     "events_pending": v.pending})
    return rows


def record_event(pseudonym: str, event: Any, *, user: str | None = None,
                 url: str | None = None) -> int:
    """Record an event (checked against the plan in force and the events before it).

    Raises
    ------
    InputError
        Unknown patient; an event before the treatment's start or after its end,
        or in the frozen past of a recorded event.
    """
    who = current_user(user)
    with transaction(url) as s:
        p = _patient(s, pseudonym, lock=True)
        view = _view(s, p)
        _check_event(view, event)
        row = EventRow(patient_id=p.id, kind=str(event.kind), at=event.instant,
                       event_json=event.model_dump_json(), applied_in_plan=None,
                       created_by=who)
        s.add(row)
        s.flush()
        _audit(s, who, "event.add", p.id, event_id=row.id, kind=str(event.kind),
               at=event.at.isoformat())
        return row.id


def _stored_events(view: PatientView, pending_only: bool = True) -> list[tuple[int, Any]]:
    from hadplanner.register.events import Event

    return [(e["id"], Event.model_validate({k: v for k, v in e.items()
                                            if k in Event.model_fields}))
            for e in view.events if not pending_only or e["applied_in_plan"] is None]


def _check_event(view: PatientView, event: Any) -> None:
    """Refuse an event in the frozen past of another, or one no safe re-plan can follow.

    The event is tried for real: the pending events, then this one, are re-planned
    in memory (nothing is written); a bad event raises the re-planner's one line.
    """
    from hadplanner.register.replan import replan

    start = view.plan.cycles[0].start
    if event.instant < start:
        raise InputError(f"event.at: {event.instant.isoformat(timespec='minutes')} is before "
                         f"the treatment's start ({start.isoformat(timespec='minutes')})")
    recorded = _stored_events(view, pending_only=False)
    if recorded:
        last_id, last = max(recorded, key=lambda item: item[1].instant)
        if event.instant < last.instant:
            raise InputError(
                f"event.at: {event.instant.isoformat(timespec='minutes')} is in the frozen past "
                f"of event {last_id} ({last.kind}, {last.instant.isoformat(timespec='minutes')})"
                ": record events in the order they happen")
    request, plan = view.request, view.plan
    for _id, pending in _stored_events(view):
        result = replan(request, plan, pending)
        request, plan = result.request, result.plan
    replan(request, plan, event)


@dataclass
class Replanning:
    """The outcome of re-planning a patient: the new version and what changed."""

    pseudonym: str
    plan: Plan
    version: int
    diffs: list[Any]
    notices: list[str]
    saved: bool


def replan_patient(pseudonym: str, *, user: str | None = None, url: str | None = None,
                   dry_run: bool = False) -> Replanning:
    """Apply the events not yet re-planned, in order; store the new plan (unless ``dry_run``).

    Every plan made passes the independent checker; the past of each event is frozen.
    """
    from hadplanner.register.replan import replan

    who = current_user(user)
    with transaction(url) as s:
        p = _patient(s, pseudonym, lock=True)
        view = _view(s, p)
        pending = [e for e in view.events if e["applied_in_plan"] is None]
        events = dict(_stored_events(view))
        if not pending:
            raise InputError(f"patient {pseudonym!r}: no event to re-plan from "
                             "(record one with hadplanner event)")
        request, plan = view.request, view.plan
        diffs, notices = [], []
        for e in pending:
            result = replan(request, plan, events[e["id"]])
            request, plan = result.request, result.plan
            diffs.append(result.diff)
            notices += list(result.notices)
        version = view.plan_version + 1
        if not dry_run:
            tv = view.treatment_version
            if request != view.request:
                tv += 1
                t = _latest(s, TreatmentRow, p.id)
                s.add(TreatmentRow(patient_id=p.id, version=tv,
                                   request_json=request.model_dump_json(), drug=t.drug,
                                   access_status=t.access_status, home_insee=t.home_insee,
                                   had_id=t.had_id, care_status=t.care_status,
                                   created_by=who))
                _audit(s, who, "treatment.add", p.id, version=tv,
                       reason=f"events {[e['id'] for e in pending]}")
            diff_json = json.dumps([d.model_dump(mode="json") for d in diffs],
                                   ensure_ascii=False, default=str)
            s.add(PlanRow(patient_id=p.id, version=version, treatment_version=tv,
                          plan_json=plan.model_dump_json(),
                          reason="events " + ", ".join(f"{e['id']}:{e['kind']}"
                                                       for e in pending),
                          diff_json=diff_json, created_by=who))
            for e in pending:
                row = s.get(EventRow, e["id"])
                # The one field ever set after insertion: which plan took the event in.
                row.applied_in_plan = version
            _audit(s, who, "plan.add", p.id, version=version,
                   events=[e["id"] for e in pending], bags=plan.totals.bags,
                   vials=plan.totals.vials)
        return Replanning(pseudonym, plan, version, diffs, notices, saved=not dry_run)


def history(pseudonym: str, *, url: str | None = None) -> dict[str, Any]:
    """Every plan version, event and audit row of a patient, oldest first."""
    with transaction(url) as s:
        p = _patient(s, pseudonym)
        plans = s.scalars(select(PlanRow).where(PlanRow.patient_id == p.id)
                          .order_by(PlanRow.version)).all()
        audit = s.scalars(select(AuditRow).where(AuditRow.patient_id == p.id)
                          .order_by(AuditRow.id)).all()
        view = _view(s, p)
        return {
            "pseudonym": p.pseudonym,
            "plans": [{"version": r.version, "reason": r.reason,
                       "created_at": r.created_at.isoformat(timespec="seconds"),
                       "created_by": r.created_by,
                       "bags": Plan.model_validate_json(r.plan_json).totals.bags,
                       "vials": Plan.model_validate_json(r.plan_json).totals.vials,
                       "changes": json.loads(r.diff_json) if r.diff_json else None}
                      for r in plans],
            "events": view.events,
            "audit": [{"id": a.id, "at": a.at.isoformat(timespec="seconds"), "user": a.user,
                       "action": a.action, "detail": json.loads(a.detail_json)}
                      for a in audit],
        }


def identity_of(pseudonym: str, *, url: str | None = None, user: str | None = None
                ) -> Identity | None:
    """The identity in force (read only when the user asks; the read is audited)."""
    who = current_user(user)
    with transaction(url) as s:
        p = _patient(s, pseudonym)
        row = s.scalars(select(IdentityRow).where(IdentityRow.patient_id == p.id)
                        .order_by(IdentityRow.id.desc()).limit(1)).first()
        _audit(s, who, "identity.read", p.id)
        if row is None:
            return None
        return Identity(row.family_name, row.given_name, row.birth_date)


def audit_count(*, url: str | None = None) -> int:
    """Rows of the audit trail (for tests and checks)."""
    with transaction(url) as s:
        return int(s.scalar(select(func.count()).select_from(AuditRow)) or 0)


def now_paris() -> dt.datetime:
    """The current instant in Europe/Paris."""
    return dt.datetime.now(PARIS)
