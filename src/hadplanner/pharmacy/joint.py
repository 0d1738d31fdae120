"""The pharmacy's joint plan: every patient at once, with capacity and shared vials.

:func:`plan_pharmacy` takes the patients (plain :class:`PatientCase` data),
the PUI's settings and a horizon, and returns a :class:`PharmacyPlan`:

1. the cycles that meet the horizon are planned, every one of them whole;
   the PUI's closures (the settings' and every request's) apply to all;
2. each cycle gets candidate plans from the exact planner's graph
   (:mod:`hadplanner.pharmacy.candidates`), all with the patient's fewest
   bags;
3. the joint CP-SAT model (:mod:`hadplanner.pharmacy.model`) picks a plan
   per cycle and a part of a production day per bag: PUI capacity a day and
   a slot, HAD visits a day, vials per lot, then workload peaks;
4. slots are set inside each day (:mod:`hadplanner.pharmacy.slots`); an
   overfull slot interval becomes a cut and the model is solved again;
5. each patient's plan is built with the planner's own bag maker and must
   pass the independent checker (:func:`hadplanner.schedule.checker.assert_safe`);
6. vials are counted lot by lot (:mod:`hadplanner.pharmacy.lots`) for the
   joint plan, the single-patient plans and the practice, side by side.

Stability. With a ``previous`` plan and ``now``, every bag of it prepared or
hung before ``now + freeze_h`` is frozen: it keeps its slot and instants,
and the cycle's candidates all start with it; no other bag is prepared
before ``now``. :attr:`PharmacyPlan.moved` lists, per patient, every bag
whose preparation or instants differ from the previous plan; frozen bags
never appear there (checked before returning).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from hadplanner.errors import InfeasiblePlanError, InputError, UnsafePlanError
from hadplanner.models.drug import load_drug
from hadplanner.models.plan import Bag, ChangedBy, CyclePlan, Plan
from hadplanner.models.request import PARIS, UTC, Request
from hadplanner.pharmacy import lots as lotlib
from hadplanner.pharmacy import model as jm
from hadplanner.pharmacy.candidates import (
    CandidateSet,
    CycleGraph,
    candidates,
    cycle_graph,
    own_path,
    path_dose_ug,
)
from hadplanner.pharmacy.patients import PatientCase
from hadplanner.pharmacy.results import (
    Comparison,
    Figures,
    LotDraw,
    LotReport,
    Move,
    PatientResult,
    PharmacyPlan,
    Session,
    SessionBag,
    SolverReport,
)
from hadplanner.pharmacy.settings import PharmacySettings
from hadplanner.pharmacy.slots import Job, assign_day
from hadplanner.schedule import planner as _pl
from hadplanner.schedule.bags import make_bag
from hadplanner.schedule.calendars import Calendar, Calendars, calendars_from_settings, wall
from hadplanner.schedule.checker import assert_safe
from hadplanner.schedule.regimen import CycleSpec, cycle_specs
from hadplanner.schedule.totals import totals_of

_UNITS = 1000
"""Drug units of the model: thousandths of a microgram."""
_MAX_ROUNDS = 8


MAX_WEEKS = 104
"""The longest horizon: two years (a blinatumomab treatment lasts at most about a year)."""


def _epoch(t: dt.datetime) -> int:
    return int(t.astimezone(UTC).timestamp())


def _at(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, PARIS)


# -- the patients' requests under the PUI's calendar ------------------------------------------


def _shared_closures(cases: Sequence[PatientCase], settings: PharmacySettings
                     ) -> tuple[tuple[dt.date, dt.date], ...]:
    """The PUI's closures: the settings' and every request's (the PUI is one)."""
    out = set(settings.closed)
    for c in cases:
        out.update(c.request.settings.production.closed)
    return tuple(sorted(out))


def _under_pui(case: PatientCase, closed: tuple[tuple[dt.date, dt.date], ...]) -> PatientCase:
    """The case with the PUI's closures; its own plan made again if they change it."""
    st = case.request.settings
    if set(st.production.closed) == set(closed):
        return case
    from dataclasses import replace

    from hadplanner.schedule.planner import plan_request

    prod = st.production.model_copy(update={"closed": closed})
    request = case.request.model_copy(update={"settings": st.model_copy(
        update={"production": prod})})
    try:
        own = plan_request(request)
    except InfeasiblePlanError as exc:
        days = ", ".join(a.isoformat() if a == b else f"{a}..{b}" for a, b in closed)
        raise InfeasiblePlanError(f"{case.patient_id} with the PUI closed on {days}: "
                                  f"{exc}") from None
    own = own.model_copy(update={"warnings": case.own.warnings})
    return replace(case, request=request, own=own)


def _restrict(request: Request, plan: Plan, numbers: set[int]) -> tuple[Request, Plan]:
    """The request and plan reduced to some cycles (totals and practice recomputed)."""
    req = request.model_copy(update={"cycles": tuple(c for c in request.cycles
                                                     if c.number in numbers)})
    cycles = tuple(c for c in plan.cycles if c.number in numbers)
    b = plan.baseline
    if b.feasible and b.cycles:
        bc = tuple(c for c in b.cycles if c.number in numbers)
        t = totals_of(bc, request.settings.vial_eur)
        b = b.model_copy(update={"cycles": bc, "bags": t.bags, "vials": t.vials,
                                 "euros": t.euros, "day_hospital_trips": t.day_hospital_trips,
                                 "nurse_visits": t.nurse_visits,
                                 "deviations": tuple(d for d in b.deviations
                                                     if d.cycle in numbers)})
    return req, plan.model_copy(update={"cycles": cycles, "baseline": b,
                                        "totals": totals_of(cycles, request.settings.vial_eur)})


# -- the PUI's slots and parts of days ---------------------------------------------------------


@dataclass
class _Slots:
    """The PUI's production slots and their parts of day, built once for all patients."""

    epochs: np.ndarray
    calm: np.ndarray
    period: np.ndarray
    periods: list[jm.Period]
    days: list[dt.date]
    by_calendar: dict[tuple[Calendar, int], np.ndarray]


def _calendar_slots(cal: Calendar, a: dt.datetime, b: dt.datetime, step: int,
                    margin: int = 0) -> np.ndarray:
    first, last, _ = _pl._slot_arrays(cal, a, b, step, margin)
    parts = [np.arange(f, last_ + 1, step, dtype=np.int64) for f, last_ in
             zip(first.tolist(), last.tolist(), strict=True)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _pui_slots(cases: Sequence[PatientCase], a: dt.datetime, b: dt.datetime,
               settings: PharmacySettings) -> _Slots:
    by_cal: dict[tuple[Calendar, int], np.ndarray] = {}
    calm_sets = []
    for case in cases:
        st = case.request.settings
        cal = calendars_from_settings(st).production
        key = (cal, st.prep_slot_min * 60)
        if key not in by_cal:
            by_cal[key] = _calendar_slots(cal, a, b, key[1])
            calm_sets.append(_calendar_slots(cal, a, b, key[1], st.edge_margin_minutes * 60))
    epochs = np.unique(np.concatenate(list(by_cal.values()))) if by_cal else \
        np.zeros(0, dtype=np.int64)
    calm = np.isin(epochs, np.concatenate(calm_sets)) if calm_sets else \
        np.zeros(0, dtype=bool)
    step = settings.period_min * 60
    keys: list[tuple[dt.date, int]] = []
    first_of: dict[dt.date, int] = {}
    for e in epochs.tolist():
        day = _at(e).date()
        first_of.setdefault(day, e)
        keys.append((day, (e - first_of[day]) // step))
    uniq = sorted(set(keys))
    index = {k: i for i, k in enumerate(uniq)}
    days = sorted({k[0] for k in uniq})
    day_index = {d: i for i, d in enumerate(days)}
    period = np.array([index[k] for k in keys], dtype=np.int64)
    periods = []
    starts = np.searchsorted(period, np.arange(len(uniq)), side="left")
    ends = np.searchsorted(period, np.arange(len(uniq)), side="right")
    for i, (day, part) in enumerate(uniq):
        periods.append(jm.Period(day_index[day], part, int(epochs[starts[i]]),
                                 int(epochs[ends[i] - 1])))
    return _Slots(epochs, calm, period, periods, days, by_cal)


def _reach(slots: _Slots, settings: PharmacySettings) -> list[tuple[int, int]]:
    """Pairs (i, j): every bag of period ``j`` finishes within the stability of a vial
    reconstituted in period ``i`` (at its earliest slot minus the lead)."""
    lead = settings.reconstitution_lead_min * 60
    life = int(round(settings.vial_stability_h * 3600))
    ps = slots.periods
    out = []
    for i, p in enumerate(ps):
        if p.last - p.first + lead > life:
            raise InputError(
                f"vial_stability_h {settings.vial_stability_h:g} h is shorter than a part of a "
                f"production day plus the reconstitution lead: lots cannot be counted")
        for j in range(i, len(ps)):
            q = ps[j]
            if q.first > p.first + life:
                break
            if q.last <= p.first - lead + life:
                out.append((i, j))
    return out


# -- frozen bags --------------------------------------------------------------------------------


def _frozen_prefix(previous: PharmacyPlan | None, pid: str, cycle: CycleSpec,
                   limit: dt.datetime | None) -> tuple:
    """The bags of the previous plan's cycle that are frozen (a prefix, possibly empty)."""
    if previous is None or limit is None:
        return ()
    for p in previous.patients:
        if p.patient_id != pid:
            continue
        for c in p.plan.cycles:
            if c.number == cycle.number and _epoch(c.start) == _epoch(cycle.t0):
                last = -1
                for i, b in enumerate(c.bags):
                    if b.prepared_at < limit or b.start < limit:
                        last = i
                return tuple(c.bags[: last + 1])
    return ()


def _previous_path(previous: PharmacyPlan | None, pid: str, graph: CycleGraph
                   ) -> tuple[int, ...] | None:
    if previous is None:
        return None
    for p in previous.patients:
        if p.patient_id == pid:
            for c in p.plan.cycles:
                if c.number == graph.spec.number and \
                        _epoch(c.start) == _epoch(graph.spec.t0):
                    try:
                        return own_path(graph, c)
                    except ValueError:
                        return None
    return None


# -- building the model's data -----------------------------------------------------------------


@dataclass
class _Cycle:
    case: int
    spec: CycleSpec
    cands: CandidateSet
    frozen: tuple
    bag_ids: list[list[int]]
    kept: bool = False
    """The first candidate is the previous joint plan's (kept unless something is gained)."""


@dataclass
class _BagRef:
    cycle: int
    k: int
    j: int
    frozen_slot: int | None
    options: list[jm.Option]
    keep_slot: int | None = None
    """The slot of the previous joint plan (kept when it still fits)."""


def _options(slots: _Slots, mine: np.ndarray, lo: int, hi: int, days: int) -> list[jm.Option]:
    """The options of a bag: its slots in ``[lo, hi]`` on its last ``days`` production days,
    grouped by part of day."""
    sel = mine[(mine >= lo) & (mine <= hi)]
    idx = np.searchsorted(slots.epochs, sel)
    if len(idx):
        day_of = np.array([slots.periods[int(p)].day for p in slots.period[idx]])
        keep = np.unique(day_of)[-days:]
        idx = idx[np.isin(day_of, keep)]
    groups: dict[int, list[int]] = defaultdict(list)
    for s in idx.tolist():
        groups[int(slots.period[s])].append(int(s))
    return [jm.Option(p, tuple(ss)) for p, ss in sorted(groups.items())]


def _had_index(cases: Sequence[PatientCase], settings: PharmacySettings
               ) -> tuple[dict[str, int], list[int | None], list[str]]:
    ids: dict[str, int] = {}
    caps: list[int | None] = []
    names: list[str] = []
    for c in cases:
        if c.had_id is not None and c.had_id not in ids:
            ids[c.had_id] = len(caps)
            caps.append(settings.had_capacity_of(c.had_id, c.had_capacity))
            names.append(c.had_id)
    return ids, caps, names


def _hint_preps(cyc: _Cycle, previous: PharmacyPlan | None, own: Plan
                ) -> dict[tuple[int, int], int]:
    """Preparation instants to start from: the previous plan's, else the patient's own."""
    graph = cyc.cands.graph
    sources = []
    if previous is not None:
        sources += [p.plan for p in previous.patients
                    if p.patient_id == own.patient_id]
    sources.append(own)
    out: dict[tuple[int, int], int] = {}
    for plan in sources:
        for c in plan.cycles:
            if c.number != cyc.spec.number or _epoch(c.start) != _epoch(cyc.spec.t0):
                continue
            for b in c.bags:
                try:
                    out.setdefault((graph.node_of(b.start), graph.node_of(b.end)),
                                   _epoch(b.prepared_at))
                except ValueError:
                    continue
    return out


# -- the plan ----------------------------------------------------------------------------------


Reporter = Callable[[str, jm.Progress | None], None]


@dataclass(frozen=True)
class _Horizon:
    """The horizon and the instants of a re-plan."""

    start: dt.date
    weeks: int
    h0: dt.datetime
    h1: dt.datetime
    now: dt.datetime | None
    limit: dt.datetime | None
    """Bags of the previous plan prepared or hung before it are frozen."""
    prep_from: dt.datetime | None
    """No other bag is prepared before it."""


Active = list[tuple[PatientCase, list[CycleSpec]]]


def plan_pharmacy(
    cases: Sequence[PatientCase],
    settings: PharmacySettings | None = None,
    *,
    start: dt.date,
    weeks: int,
    previous: PharmacyPlan | None = None,
    now: dt.datetime | None = None,
    report: Reporter | None = None,
) -> PharmacyPlan:
    """The PUI's joint plan of every patient active in ``[start, start + weeks)``.

    Parameters
    ----------
    cases
        The patients (:func:`hadplanner.pharmacy.patients.load_cases`).
    settings
        The PUI's settings (default: :class:`PharmacySettings`).
    start, weeks
        The horizon: cycles meeting it are planned whole.
    previous, now
        The plan made before and the instant of re-planning: bags of
        ``previous`` prepared or hung before ``now + freeze_h`` do not move,
        no other bag is prepared before ``now``.
    report
        Called with a stage name and, while solving, each better plan or bound.

    Raises
    ------
    InfeasiblePlanError
        No plan keeps every patient's fewest bags within the capacities (or
        the solver found none in its time); nothing is planned.
    InputError
        Two patients with one id; ``previous`` without ``now``; no patient in
        the horizon; a new cycle started before ``now``.
    """
    st = settings or PharmacySettings()
    say: Reporter = report or (lambda stage, progress: None)
    if not 1 <= weeks <= MAX_WEEKS:
        raise InputError(f"--weeks {weeks}: the horizon is 1 to {MAX_WEEKS} weeks (two years "
                         "of production: a longer one is a typing error)")
    if previous is not None and now is None:
        raise InputError("a previous plan needs --now: the instant of re-planning")
    ids = [c.patient_id for c in cases]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[0]
        raise InputError(f"patient {dup} appears twice")
    hz = _Horizon(start, weeks, wall(start, dt.time(0, 0)),
                  wall(start + dt.timedelta(days=7 * weeks), dt.time(0, 0)), now,
                  None if now is None else now + dt.timedelta(hours=st.freeze_h),
                  now if previous is not None else None)
    closed = _shared_closures(cases, st)
    active, skipped = _active([_under_pui(c, closed) for c in cases], hz)
    lo_t = min(s.t0 for _, specs in active for s in specs) - dt.timedelta(
        hours=max(case.request.settings.stability_h for case, _ in active) + 48)
    hi_t = max(s.t_end for _, specs in active for s in specs) + dt.timedelta(days=1)
    slots = _pui_slots([case for case, _ in active], lo_t, hi_t, st)
    had_ids, had_caps, had_names = _had_index([case for case, _ in active], st)
    for attempt in range(2):
        # A capacity no plan of the candidates meets: once more with three times the
        # diversified candidates (another seed) before saying so.
        pool = st if attempt == 0 else st.model_copy(update={
            "random_plans": max(8, 3 * st.random_plans), "seed": st.seed + 1})
        say("candidates", None)
        cycles = _candidate_cycles(active, previous, hz, pool)
        data, refs = _problem(active, cycles, slots, _reach(slots, st), (had_ids, had_caps),
                              previous, hz, st)
        say("solve", None)
        try:
            result, chosen, rounds, elapsed = _solve_and_place(data, refs, slots, st, say,
                                                               had_names)
            break
        except _NoPlan as exc:
            if attempt == 1 or exc.status != jm.Status.infeasible:
                raise InfeasiblePlanError(str(exc) + _own_conflict(
                    active, st, dict(zip(had_names, had_caps, strict=True)))) from None
    assert result.solution is not None
    say("check", None)
    results, single = _patient_plans(active, cycles, result.solution, chosen, refs, slots)

    vial_ug = active[0][0].request.settings.vial_ug
    vial_eur = active[0][0].request.settings.vial_eur
    plans = [r.plan for r in results]
    transports = {r.patient_id: (r.transport_h, r.plan.transport_hospital_h or 0.5)
                  for r in results}
    lots, draws = _lots(plans, vial_ug, st)
    days = [d for d in slots.days if hz.h0.date() <= d < hz.h1.date()]
    caps = {name: had_caps[i] for i, name in enumerate(had_names)}
    had_of = {c.patient_id: c.had_id for c, _ in active}
    practice_ok = all(p.baseline.feasible for p in single)
    practice = [p.model_copy(update={"cycles": p.baseline.cycles}) for p in single]
    comparison = Comparison(
        joint=_figures(plans, days, st, vial_ug, vial_eur, had_of, caps),
        single=_figures(single, days, st, vial_ug, vial_eur, had_of, caps),
        practice=_figures(practice, days, st, vial_ug, vial_eur, had_of, caps)
        if practice_ok else None,
        practice_note=None if practice_ok else
        "the practice cannot plan " + ", ".join(p.patient_id for p in single
                                                if not p.baseline.feasible))
    _assert_capacities(comparison.joint, st)
    total_min = sum(min(path_dose_ug(c.cands.graph, p) for p in c.cands.paths) for c in cycles)
    solver = SolverReport(
        status=result.status.value, objective=result.objective, bound=result.bound,
        gap=result.gap, seconds=round(elapsed, 3), weights=result.weights, rounds=rounds,
        size=result.size, model_vials=result.solution.total_vials,
        vial_bound=math.ceil(round(total_min / vial_ug, 9)))
    return PharmacyPlan(
        start=start, end=start + dt.timedelta(days=7 * weeks), weeks=weeks, now=now,
        frozen_until=hz.limit if previous is not None else None, settings=st,
        vial_ug=vial_ug, vial_eur=vial_eur,
        prep_slot_min=active[0][0].request.settings.prep_slot_min, solver=solver,
        patients=tuple(results),
        sessions=_sessions(plans, lots, draws, transports, vial_ug, vial_eur, st),
        lots=tuple(_lot_report(lot, vial_ug, vial_eur) for lot in lots),
        comparison=comparison, moved=_moves(previous, results, hz.limit),
        frozen_bags=sum(len(c.frozen) for c in cycles), skipped=tuple(skipped))


def _meeting(case: PatientCase, h0: dt.datetime, h1: dt.datetime) -> list[CycleSpec]:
    specs = cycle_specs(case.request, load_drug(case.request.drug),
                        transport_h=case.request.settings.transport_h)
    return [s for s in specs if s.t0 < h1 and s.t_end > h0]


def cycles_meeting(case: PatientCase, start: dt.date, weeks: int) -> list[CycleSpec]:
    """The patient's cycles that meet the horizon of ``weeks`` weeks from ``start`` (each is
    planned whole): those :func:`plan_pharmacy` plans."""
    return _meeting(case, wall(start, dt.time(0, 0)),
                    wall(start + dt.timedelta(days=7 * weeks), dt.time(0, 0)))


def _active(cases: Sequence[PatientCase], hz: _Horizon) -> tuple[Active, list[str]]:
    """The patients with a cycle meeting the horizon, and those without."""
    active: Active = []
    skipped: list[str] = []
    for case in cases:
        meeting = _meeting(case, hz.h0, hz.h1)
        if meeting:
            active.append((case, meeting))
        else:
            skipped.append(case.patient_id)
    if not active:
        raise InputError(f"no patient has a cycle between {hz.start} and "
                         f"{hz.start + dt.timedelta(days=7 * hz.weeks)}: choose --from")
    return active, skipped


def _candidate_cycles(active: Active, previous: PharmacyPlan | None, hz: _Horizon,
                      st: PharmacySettings) -> list[_Cycle]:
    """Each cycle's graph, frozen prefix and candidate plans; a cycle with none is refused
    naming its patient."""
    cycles: list[_Cycle] = []
    for ci, (case, specs) in enumerate(active):
        cal = calendars_from_settings(case.request.settings)
        own_cycles = {c.number: c for c in case.own.cycles}
        for spec in specs:
            frozen = _frozen_prefix(previous, case.patient_id, spec, hz.limit)
            if not frozen and hz.prep_from is not None and \
                    spec.t0 - dt.timedelta(hours=case.request.settings.transport_hospital_h) \
                    < hz.prep_from:
                raise InputError(
                    f"{case.patient_id} cycle {spec.number} starts "
                    f"{spec.t0.isoformat(timespec='minutes')}, before --now, and is not in the "
                    "previous plan: its first bags cannot be prepared in the past; plan it "
                    "without --previous, or leave it out")
            try:
                cs, kept = _cycle_candidates(case, spec, cal, own_cycles.get(spec.number),
                                             frozen, previous, hz, st,
                                             st.seed + 7919 * len(cycles))
            except InfeasiblePlanError as exc:  # say whose cycle it is
                raise InfeasiblePlanError(f"{case.patient_id} {exc}") from None
            cycles.append(_Cycle(ci, spec, cs, frozen, [], kept and cs.own >= 0))
    return cycles


def _cycle_candidates(case: PatientCase, spec: CycleSpec, cal: Calendars,
                      own_cycle: CyclePlan | None, frozen: tuple,
                      previous: PharmacyPlan | None, hz: _Horizon, st: PharmacySettings,
                      seed: int) -> tuple[CandidateSet, bool]:
    """One cycle's candidate plans after its frozen bags, and whether the previous joint
    plan's path is among them (kept)."""
    graph = cycle_graph(spec, cal, case.request.settings, hz.prep_from)
    prefix = (0,) if not frozen else tuple(
        graph.node_of(b.start) for b in frozen) + (graph.node_of(frozen[-1].end),)
    if int(graph.layer[prefix[-1]]) < 0:
        after = "" if hz.prep_from is None else \
            f" with no bag prepared before {hz.prep_from.isoformat(timespec='minutes')}"
        raise InfeasiblePlanError(
            f"cycle {spec.number}: no safe plan continues from "
            f"{_at(int(graph.grid.times[prefix[-1]])).isoformat(timespec='minutes')}{after}")
    own = _previous_path(previous, case.patient_id, graph)
    kept = own is not None
    if own is None and own_cycle is not None and not frozen:
        own = own_path(graph, own_cycle)
    return candidates(graph, own=own, prefix=prefix, random_plans=st.random_plans,
                      seed=seed), kept


def _problem(active: Active, cycles: list[_Cycle], slots: _Slots,
             reach: list[tuple[int, int]], hads: tuple[dict[str, int], list[int | None]],
             previous: PharmacyPlan | None, hz: _Horizon, st: PharmacySettings
             ) -> tuple[jm.ProblemData, list[_BagRef]]:
    """The joint model's data: every bag of every candidate with its options."""
    had_ids, had_caps = hads
    refs: list[_BagRef] = []
    items: list[jm.BagItem] = []
    cycle_items: list[jm.CycleItem] = []
    low = _epoch(hz.prep_from) if hz.prep_from is not None else None
    for c_i, cyc in enumerate(cycles):
        case = active[cyc.case][0]
        st_p = case.request.settings
        mine = slots.by_calendar[(calendars_from_settings(st_p).production,
                                  st_p.prep_slot_min * 60)]
        graph = cyc.cands.graph
        known: dict[tuple[int, int], int] = {}
        frozen_arcs = {(graph.node_of(b.start), graph.node_of(b.end)): _epoch(b.prepared_at)
                       for b in cyc.frozen}
        hinted = _hint_preps(cyc, previous, case.own)
        plans: list[list[int]] = []
        for path in cyc.cands.paths:
            bag_ids = []
            for k, j in zip(path, path[1:], strict=False):
                if (k, j) not in known:
                    known[(k, j)] = len(items)
                    ref, item = _bag(c_i, k, j, graph, case, slots, mine, frozen_arcs, low,
                                     hinted, had_ids, st)
                    refs.append(ref)
                    items.append(item)
                bag_ids.append(known[(k, j)])
            plans.append(bag_ids)
        cyc.bag_ids = plans
        keep = cyc.cands.own if cyc.kept else -1
        cycle_items.append(jm.CycleItem(tuple(tuple(p) for p in plans),
                                        max(0, cyc.cands.own), keep))
    vial_set = {c.request.settings.vial_ug for c, _ in active}
    if len(vial_set) > 1:
        raise InputError(f"requests give different vial contents "
                         f"({', '.join(f'{v:g}' for v in sorted(vial_set))} ug): the PUI "
                         "shares vials of one kind")
    w = st.weights
    data = jm.ProblemData(
        slots=tuple(int(e) for e in slots.epochs),
        slot_period=tuple(int(p) for p in slots.period), periods=tuple(slots.periods),
        days=tuple(slots.days), reach=tuple(reach), bags=tuple(items),
        cycles=tuple(cycle_items), had_capacity=tuple(had_caps),
        day_capacity=st.capacity_per_day, slot_capacity=st.capacity_per_slot,
        vial_units=int(round(vial_set.pop() * _UNITS)),
        weights=(w.vial, w.preparations, w.visits))
    return data, refs


def _bag(c_i: int, k: int, j: int, graph: CycleGraph, case: PatientCase, slots: _Slots,
         mine: np.ndarray, frozen_arcs: dict[tuple[int, int], int], low: int | None,
         hinted: dict[tuple[int, int], int], had_ids: dict[str, int], st: PharmacySettings
         ) -> tuple[_BagRef, jm.BagItem]:
    """One bag of the model: its options (a frozen bag keeps its slot), visit and hint."""
    shape = graph.shape(k, j)
    fslot: int | None = None
    if (k, j) in frozen_arcs:
        p = frozen_arcs[(k, j)]
        s = int(np.searchsorted(slots.epochs, p))
        if s >= len(slots.epochs) or int(slots.epochs[s]) != p:
            raise InputError(f"{case.patient_id}: frozen bag prepared "
                             f"{_at(p).isoformat()} off the PUI's slots")
        opts = [jm.Option(int(slots.period[s]), (s,))]
        fslot = s
    else:
        lo = shape.prep_lo if low is None else max(shape.prep_lo, low)
        opts = _options(slots, mine, lo, shape.prep_hi, st.prep_days)
    if not opts:
        raise UnsafePlanError(f"{case.patient_id} cycle {graph.spec.number}: a bag of the "
                              "planner's graph has no production slot")
    visit = None
    if shape.who == "had_nurse" and case.had_id is not None:
        visit = (had_ids[case.had_id], _at(shape.start).date().toordinal())
    want = hinted.get((k, j))
    hint, keep_slot = -1, None
    for o, op in enumerate(opts):
        for x in op.slots:
            if want is not None and int(slots.epochs[x]) == want:
                hint, keep_slot = o, x
    item = jm.BagItem(c_i, math.ceil(shape.dose_ug * _UNITS - 1e-6), tuple(opts), visit, hint)
    return _BagRef(c_i, k, j, fslot, opts, keep_slot), item


def _solve_and_place(data: jm.ProblemData, refs: list[_BagRef], slots: _Slots,
                     st: PharmacySettings, say: Reporter, had_names: Sequence[str]
                     ) -> tuple[jm.Result, dict[int, int], int, float]:
    """Solve; give every bag its slot; an overfull slot interval is a cut, solved again."""
    rounds = 0
    elapsed = 0.0
    while True:
        rounds += 1
        result = jm.solve(data, time_limit_s=max(0.1, st.time_limit_s - elapsed),
                          workers=st.workers, relative_gap=st.relative_gap, seed=st.seed,
                          progress=(lambda p: say("progress", p)))
        elapsed += result.seconds
        if result.solution is None:
            raise _NoPlan(_why_not(result, data, st, had_names), result.status)
        chosen, cut = _assign_slots(data, result.solution, refs, slots)
        if cut is None:
            return result, chosen, rounds, elapsed
        if rounds >= _MAX_ROUNDS:
            raise UnsafePlanError("slot capacity: cuts did not converge")
        say("cut", None)
        data = data.with_cuts([cut])


def _patient_plans(active: Active, cycles: list[_Cycle], sol: jm.Solution,
                   chosen: dict[int, int], refs: list[_BagRef], slots: _Slots
                   ) -> tuple[list[PatientResult], list[Plan]]:
    """Each patient's plan (checked) and own plan, over the same cycles."""
    by_case: dict[int, list[CyclePlan]] = defaultdict(list)
    for c_i, cyc in enumerate(cycles):
        case = active[cyc.case][0]
        graph = cyc.cands.graph
        drug = load_drug(case.request.drug)
        bags = []
        for idx, b in enumerate(cyc.bag_ids[sol.plans[c_i]], start=1):
            shape = graph.shape(refs[b].k, refs[b].j)
            bags.append(make_bag(idx, _at(int(slots.epochs[chosen[b]])), _at(shape.start),
                                 _at(shape.end), shape.overfill_s / 3600, shape.rate,
                                 shape.who, case.request.settings, drug))
        by_case[cyc.case].append(CyclePlan(
            number=cyc.spec.number, regimen=cyc.spec.regimen, start=cyc.spec.t0,
            end=cyc.spec.t_end, inpatient_until=cyc.spec.inpatient_end, bags=tuple(bags)))
    results: list[PatientResult] = []
    singles: list[Plan] = []
    for ci, (case, specs) in enumerate(active):
        req, own = _restrict(case.request, case.own, {s.number for s in specs})
        singles.append(own)
        cps = tuple(sorted(by_case[ci], key=lambda c: c.number))
        plan = Plan(patient_id=case.patient_id, drug=case.request.drug,
                    change_mode=ChangedBy(case.request.change_mode),
                    transport_h=specs[0].transport_h,
                    transport_hospital_h=req.settings.transport_hospital_h, cycles=cps,
                    totals=totals_of(cps, req.settings.vial_eur), baseline=own.baseline,
                    warnings=case.own.warnings)
        assert_safe(plan, req, transport_h=specs[0].transport_h)
        plan = plan.model_copy(update={"checked": True})
        if plan.totals.bags > own.totals.bags:
            raise UnsafePlanError(f"{case.patient_id}: {plan.totals.bags} bags, more than the "
                                  f"{own.totals.bags} of the patient's own plan")
        results.append(PatientResult(
            patient_id=case.patient_id, had_id=case.had_id, had_name=case.had_name,
            commune=case.commune, centre=case.centre, transport_h=specs[0].transport_h,
            plan=plan, own_bags=own.totals.bags, own_vials=own.totals.vials))
    return results, singles


class _NoPlan(Exception):
    """The solver found no plan (proven infeasible, or out of time)."""

    def __init__(self, message: str, status: jm.Status) -> None:
        super().__init__(message)
        self.status = status


def _why_not(result: jm.Result, data: jm.ProblemData, st: PharmacySettings,
             had_names: Sequence[str]) -> str:
    caps = [f"{n} {c}/day" for n, c in zip(had_names, data.had_capacity, strict=True)
            if c is not None]
    what = (f"the PUI's capacity ({st.capacity_per_day} preparations a day, "
            f"{st.capacity_per_slot} a slot)" + (f" and the HADs' ({', '.join(caps)})"
                                                 if caps else ""))
    if result.status == jm.Status.infeasible:
        return (f"{what} leave no plan among the candidate plans (each with the patient's "
                "fewest bags): raise a capacity (pharmacie.yaml) or move a cycle's start")
    return (f"no plan found in {result.seconds:.0f} s within {what}: give the solver more time "
            "(time_limit_s)")


def _loads(bags: Iterable[tuple[str, Bag]], had_of: dict[str, str | None]
           ) -> tuple[dict[dt.date, list[str]], dict[dt.datetime, list[str]],
                      dict[tuple[str, dt.date], list[str]]]:
    """Who fills each production day, each preparation instant (slot) and each HAD's day
    of bag-change visits, from ``(patient id, bag)`` pairs."""
    per_day: dict[dt.date, list[str]] = defaultdict(list)
    per_slot: dict[dt.datetime, list[str]] = defaultdict(list)
    visits: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
    for pid, b in bags:
        at = b.prepared_at.astimezone(PARIS)
        per_day[at.date()].append(pid)
        per_slot[at].append(pid)
        had = had_of.get(pid)
        if b.changed_by == ChangedBy.had_nurse and had is not None:
            visits[(had, b.start.astimezone(PARIS).date())].append(pid)
    return per_day, per_slot, visits


def _own_conflict(active: Active, st: PharmacySettings, caps: dict[str, int | None]) -> str:
    """Where the patients' own plans meet: the first day, slot and HAD day their own
    plans (each made alone) fill beyond a capacity, with who (the instant to act on)."""
    per_day, per_slot, visits = _loads(
        ((case.patient_id, b) for case, specs in active
         for cyc in case.own.cycles if cyc.number in {s.number for s in specs}
         for b in cyc.bags),
        {case.patient_id: case.had_id for case, _ in active})
    found = []
    days = sorted(d for d, who in per_day.items() if len(who) > st.capacity_per_day)
    if days:
        who = per_day[days[0]]
        found.append(f"{len(who)} preparations on {days[0]:%Y-%m-%d} (capacity "
                     f"{st.capacity_per_day} a day)")
    instants = sorted(t for t, who in per_slot.items() if len(who) > st.capacity_per_slot)
    if instants:
        who = per_slot[instants[0]]
        found.append(f"{len(who)} preparations finishing at {instants[0]:%Y-%m-%d %H:%M} "
                     f"({', '.join(sorted(set(who)))}; capacity {st.capacity_per_slot} a slot)")
    over = sorted((d, h) for (h, d), who in visits.items()
                  if caps.get(h) is not None and len(who) > (caps[h] or 0))
    if over:
        d, h = over[0]
        who = visits[(h, d)]
        found.append(f"{len(who)} visits of {h} on {d:%Y-%m-%d} ({', '.join(sorted(set(who)))}; "
                     f"capacity {caps[h]} a day)")
    if not found:
        return ""
    return "; alone, the patients' plans first need " + " and ".join(found)


def _assign_slots(data: jm.ProblemData, sol: jm.Solution, refs: Sequence[_BagRef],
                  slots: _Slots) -> tuple[dict[int, int], tuple[int, int] | None]:
    """Each used bag's slot (its previous one when it can keep it), or an overfull interval."""
    per_day: dict[int, list[Job]] = defaultdict(list)
    for b, o in enumerate(sol.options):
        if o < 0:
            continue
        opt = data.bags[b].options[o]
        per_day[data.periods[opt.period].day].append(
            Job(b, opt.slots, refs[b].frozen_slot is not None))
    day_slots: dict[int, list[int]] = defaultdict(list)
    for s, p in enumerate(data.slot_period):
        day_slots[data.periods[p].day].append(s)
    chosen: dict[int, int] = {}
    calm = slots.calm.tolist()
    for day, jobs in sorted(per_day.items()):
        prefer: dict[Hashable, int] = {}
        for job in jobs:
            keep = refs[cast(int, job.key)].keep_slot
            if keep is not None:
                prefer[job.key] = keep
        got, bad = assign_day(jobs, data.slot_capacity, day_slots[day], calm, prefer)
        if bad is not None:
            return chosen, bad
        chosen.update({cast(int, k): v for k, v in got.items()})
    return chosen, None


def _key(pid: str, cycle: int, bag: int) -> str:
    return f"{pid}/{cycle}/{bag}"


def _lots(plans: Sequence[Plan], vial_ug: float, st: PharmacySettings
          ) -> tuple[list[lotlib.Lot], dict[Hashable, list[lotlib.Draw]]]:
    preps = [lotlib.Preparation(_key(p.patient_id, c.number, b.index), b.prepared_at, b.dose_ug)
             for p in plans for c in p.cycles for b in c.bags]
    return lotlib.count_lots(preps, vial_ug=vial_ug, stability_h=st.vial_stability_h,
                             lead_min=st.reconstitution_lead_min)


def _lot_report(lot: lotlib.Lot, vial_ug: float, vial_eur: float) -> LotReport:
    return LotReport(id=lot.id, reconstituted_at=lot.reconstituted_at,
                     expires_at=lot.expires_at, vials=lot.vials, opened_for=str(lot.opened_for),
                     served=tuple(str(k) for k, _ in lot.served),
                     waste_ug=round(lot.waste_ug, 6),
                     waste_eur=round(lot.waste_ug / vial_ug * vial_eur, 2))


def _sessions(plans: Sequence[Plan], lots: Sequence[lotlib.Lot],
              draws: dict[Hashable, list[lotlib.Draw]], transports: dict[str, tuple[float, float]],
              vial_ug: float, vial_eur: float, st: PharmacySettings) -> tuple[Session, ...]:
    by_day: dict[dt.date, list[SessionBag]] = defaultdict(list)
    for p in plans:
        home, hosp = transports[p.patient_id]
        for c in p.cycles:
            for b in c.bags:
                tr = hosp if b.changed_by in (ChangedBy.inpatient, ChangedBy.day_hospital) \
                    else home
                key = _key(p.patient_id, c.number, b.index)
                by_day[b.prepared_at.astimezone(PARIS).date()].append(SessionBag(
                    slot=b.prepared_at, patient_id=p.patient_id, cycle=c.number, bag=b.index,
                    hang_at=b.start, changed_by=b.changed_by, dose_ug=b.dose_ug,
                    courier_departure=(b.start.astimezone(UTC) - dt.timedelta(
                        seconds=_pl._ceil_s(tr))).astimezone(PARIS),
                    draws=tuple(LotDraw(lot=d.lot, ug=round(d.ug, 6), reused=d.reused)
                                for d in draws[key])))
    opened: dict[dt.date, list[lotlib.Lot]] = defaultdict(list)
    for lot in lots:
        opened[lot.reconstituted_at.astimezone(PARIS).date()].append(lot)
    out = []
    for day in sorted(by_day):
        preps = tuple(sorted(by_day[day], key=lambda s: (s.slot, s.patient_id)))
        mine = [lot for lot in lots if any(d.lot == lot.id and not d.reused
                                           for s in preps for d in s.draws)]
        waste = sum(lot.waste_ug for lot in mine)
        out.append(Session(
            day=day, preparations=preps, lots_opened=tuple(lot.id for lot in mine),
            vials_opened=sum(lot.vials for lot in mine),
            reused_ug=round(sum(d.ug for s in preps for d in s.draws if d.reused), 6),
            waste_ug=round(waste, 6), waste_eur=round(waste / vial_ug * vial_eur, 2),
            over_capacity=len(preps) > st.capacity_per_day))
    return tuple(out)


def _figures(plans: Sequence[Plan], days: Sequence[dt.date], st: PharmacySettings,
             vial_ug: float, vial_eur: float, had_of: dict[str, str | None],
             caps: dict[str, int | None]) -> Figures:
    """Bags, vials (alone and in lots), preparations a day and HAD visits a day of plans."""
    bags = [(p.patient_id, b) for p in plans for c in p.cycles for b in c.bags]
    lots, _ = _lots(plans, vial_ug, st)
    vials = lotlib.vials_of(lots)
    days_of, slots_of, visits_of = _loads(bags, had_of)
    per_day = {d: len(who) for d, who in days_of.items()}
    per_slot = {t: len(who) for t, who in slots_of.items()}
    visits = {k: len(who) for k, who in visits_of.items()}
    counts = [per_day.get(d, 0) for d in days] or [0]
    return Figures(
        bags=len(bags), vials_per_bag=sum(b.vials for _, b in bags), vials=vials,
        euros=round(vials * vial_eur, 2), waste_ug=round(sum(x.waste_ug for x in lots), 3),
        preparations_peak=max(per_day.values(), default=0),
        preparations_mean=round(statistics.fmean(counts), 3),
        preparations_std=round(statistics.pstdev(counts), 3),
        days_over_capacity=sum(1 for n in per_day.values() if n > st.capacity_per_day),
        slots_over_capacity=sum(1 for n in per_slot.values() if n > st.capacity_per_slot),
        visits_peak=max(visits.values(), default=0),
        visits_mean=round(statistics.fmean(visits.values()), 3) if visits else 0.0,
        days_over_had_capacity=sum(1 for (h, _), n in visits.items()
                                   if caps.get(h) is not None and n > (caps[h] or 0)),
        day_hospital_trips=sum(1 for _, b in bags if b.changed_by == ChangedBy.day_hospital))


def _assert_capacities(joint: Figures, st: PharmacySettings) -> None:
    """The joint plan, counted again bag by bag, meets every capacity the model was given.

    The model states the capacities; this recount from the final bags (slots set
    after the solve) guards against a model or slot-assignment bug reaching a sheet.
    """
    over = {"days over the PUI's capacity of preparations a day": joint.days_over_capacity,
            "slots over the PUI's capacity of preparations a slot": joint.slots_over_capacity,
            "days over an HAD's capacity of visits a day": joint.days_over_had_capacity}
    bad = [f"{n} {what}" for what, n in over.items() if n]
    if bad:
        raise UnsafePlanError("joint plan: " + "; ".join(bad) + f" (capacity "
                              f"{st.capacity_per_day} a day, {st.capacity_per_slot} a slot)")


def _moves(previous: PharmacyPlan | None, results: Sequence[PatientResult],
           limit: dt.datetime | None) -> tuple[Move, ...]:
    """Bags that differ from the previous plan; a frozen one would be a bug."""
    if previous is None:
        return ()

    def bags_of(plan: Plan) -> dict[tuple[int, int], tuple[dt.datetime, ...]]:
        return {(c.number, b.index): (b.prepared_at, b.start, b.end)
                for c in plan.cycles for b in c.bags}

    before = {p.patient_id: bags_of(p.plan) for p in previous.patients}
    out = []
    for r in results:
        now_b = bags_of(r.plan)
        old = before.get(r.patient_id, {})
        for key in sorted(set(old) | set(now_b)):
            a, b = old.get(key), now_b.get(key)
            if a is not None and b is not None and all(
                    _epoch(x) == _epoch(y) for x, y in zip(a, b, strict=True)):
                continue
            if a is not None and limit is not None and (a[0] < limit or a[1] < limit):
                raise UnsafePlanError(f"{r.patient_id} cycle {key[0]} bag {key[1]}: a frozen bag "
                                      "moved")
            out.append(Move(patient_id=r.patient_id, cycle=key[0], bag=key[1],
                            before=a, after=b))  # type: ignore[arg-type]
    return tuple(out)
