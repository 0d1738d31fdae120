"""Benchmark: the PUI's joint plan for 10, 50 and 200 concurrent patients over 8 weeks.

Patients are drawn with a seed (``--seed``): cycle starts on weekdays
between 09:00 and 15:00 (10:00 most often), spread from four weeks before
the horizon (patients already on treatment) to its last week, a second
cycle 42 days after the first; about one in three patients starts with the
day-8 step-up (``rr-induction-c1``), one in five on the MRD regimen, the
rest on later cycles; 15 % are children under 45 kg (per-m2 dosing); 70 % have their bags
changed at home by one of six HADs (road time 15 min to 1 h 45), the rest at
the day hospital.

Capacities are those the single-patient plans meet (their busiest day, slot
and HAD day; 6 preparations a day at least), so that both plans are
comparable; the joint plan's objective then lowers the peaks.

For each size it prints: the solve time (model building included, then the
solver alone), the objective, CP-SAT's bound on the model and the gap, the
vials and euros of the joint plan against the single-patient plans (counted
bag by bag with lots shared as they happen, and one vial set per bag),
vials saved per patient-cycle, the global bound on vials (least drug / vial),
the peak of preparations a day (joint, single) and the peak memory of the
process (each size runs in its own process).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/pharmacy.py`` (about four
minutes on two cores; ``--sizes 10 50`` for fewer; ``--limit 50=30`` to
change a time limit).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HORIZON_START = dt.date(2027, 3, 1)
WEEKS = 8
HADS = ("had-a", "had-b", "had-c", "had-d", "had-e", "had-f")
CLOCKS = ("09:00", "10:00", "10:00", "11:00", "13:00", "14:00", "15:00")
"""Times of admission (T0): the ward starts the infusion during the day, 10:00 most often."""
LIMITS = {10: 20.0, 50: 25.0, 200: 100.0}
GAPS = {10: 0.0, 50: 0.0, 200: 0.01}


def _weekday_starts(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    import holidays

    fr = holidays.France(years=range(first.year, last.year + 1))
    while True:
        day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        if day.weekday() < 5 and day not in fr:
            return day


def draw_requests(seed: int):
    """Request documents (as a request file holds them), drawn one after the other."""
    rng = random.Random(seed)
    first = HORIZON_START - dt.timedelta(days=27)
    last = HORIZON_START + dt.timedelta(days=7 * WEEKS - 3)
    i = 0
    while True:
        day = _weekday_starts(rng, first, last)
        r = rng.random()
        if r < 0.35:
            cycles = [(1, "rr-induction-c1"), (2, "rr-cycle")]
        elif r < 0.55:
            cycles = [(1, "mrd"), (2, "mrd")]
        else:
            k = rng.randint(2, 4)
            cycles = [(k, "rr-cycle"), (k + 1, "rr-cycle")]
        if rng.random() < 0.15:
            weight = rng.uniform(15, 44)
            height = 100 + (weight - 15) * 2.2
        else:
            weight = rng.uniform(50, 100)
            height = rng.uniform(155, 190)
        home = rng.random() < 0.7
        clock = rng.choice(CLOCKS)
        doc = {
            "patient": {"id": f"B{i:04d}", "weight_kg": round(weight, 1),
                        "height_cm": round(height, 1)},
            "change_mode": "had_nurse" if home else "day_hospital",
            "cycles": [{"number": num, "regimen": reg,
                        "start": f"{(day + dt.timedelta(days=42 * j)).isoformat()}T{clock}"}
                       for j, (num, reg) in enumerate(cycles)],
            "settings": {"transport_h": round(rng.uniform(0.25, 1.75), 2)} if home else {},
        }
        yield {"request": doc, "had": rng.choice(HADS) if home else None}
        i += 1


def make_cases(n: int, seed: int) -> list:
    """``n`` drawn patients with their own plan (made and checked); a drawn patient the
    planner refuses (a start whose cycle no safe plan covers, e.g. around a bridge day the
    PUI closes) is replaced by the next draw."""
    from hadplanner.errors import InfeasiblePlanError
    from hadplanner.models.request import parse_request
    from hadplanner.pharmacy.patients import PatientCase
    from hadplanner.schedule.planner import plan_request

    cases = []
    for item in draw_requests(seed):
        if len(cases) == n:
            break
        request = parse_request(item["request"], "benchmark")
        try:
            own = plan_request(request)
        except InfeasiblePlanError:
            continue
        cases.append(PatientCase(request=request, own=own, had_id=item["had"],
                                 had_name=item["had"]))
    return cases


def capacities(cases: list) -> dict:
    """The single-patient plans' busiest day, slot and HAD day: capacities they meet.

    The joint plan must then meet them too, and its objective lowers the peaks.
    """
    per_day: Counter = Counter()
    per_slot: Counter = Counter()
    visits: Counter = Counter()
    for c in cases:
        for cy in c.own.cycles:
            for b in cy.bags:
                per_day[b.prepared_at.date()] += 1
                per_slot[b.prepared_at] += 1
                if b.changed_by == "had_nurse" and c.had_id:
                    visits[(c.had_id, b.start.date())] += 1
    had: dict[str, int] = {}
    for (h, _), k in visits.items():
        had[h] = max(had.get(h, 0), k)
    return {"capacity_per_day": max(6, max(per_day.values())),
            "capacity_per_slot": max(per_slot.values()), "had_capacity": had}


def run_one(n: int, seed: int, limit: float, gap: float) -> dict:
    """Plan ``n`` drawn patients jointly; the figures of the run."""
    from hadplanner.pharmacy.joint import plan_pharmacy
    from hadplanner.pharmacy.settings import PharmacySettings

    cases = make_cases(n, seed)
    caps = capacities(cases)
    settings = PharmacySettings(time_limit_s=limit, relative_gap=gap, **caps)
    t0 = time.perf_counter()
    plan = plan_pharmacy(cases, settings, start=HORIZON_START, weeks=WEEKS)
    total = time.perf_counter() - t0
    j, s = plan.comparison.joint, plan.comparison.single
    cycles = sum(len(p.plan.cycles) for p in plan.patients)
    return {
        "patients": n, "in_horizon": len(plan.patients), "cycles": cycles,
        "bags": j.bags, "capacity_per_day": caps["capacity_per_day"],
        "capacity_per_slot": caps["capacity_per_slot"],
        "total_s": round(total, 1), "solve_s": plan.solver.seconds,
        "status": plan.solver.status, "objective": plan.solver.objective,
        "bound": plan.solver.bound, "gap": plan.solver.gap, "rounds": plan.solver.rounds,
        "size": plan.solver.size,
        "vials": j.vials, "model_vials": plan.solver.model_vials,
        "single_vials": s.vials, "single_vials_per_bag": s.vials_per_bag,
        "vial_bound": plan.solver.vial_bound,
        "saved": s.vials - j.vials, "saved_per_bag_count": s.vials_per_bag - j.vials,
        "euros_saved": s.euros - j.euros,
        "saved_per_cycle": round((s.vials - j.vials) / cycles, 3),
        "prep_peak": j.preparations_peak, "single_prep_peak": s.preparations_peak,
        "prep_std": j.preparations_std, "single_prep_std": s.preparations_std,
        "visits_peak": j.visits_peak, "single_visits_peak": s.visits_peak,
        "single_over_capacity_days": s.days_over_capacity + s.days_over_had_capacity,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--limit", nargs="*", default=[], help="SIZE=SECONDS")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    limits = dict(LIMITS)
    for item in args.limit:
        k, v = item.split("=")
        limits[int(k)] = float(v)
    if args.one is not None:
        n = args.one
        print(json.dumps(run_one(n, args.seed, limits.get(n, 60.0), GAPS.get(n, 0.0))))
        return
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--seed", str(args.seed),
               "--limit", *[f"{k}={v}" for k, v in limits.items()]]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{n} patients: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        _print([rows[-1]])
    print()
    _print(rows, header=True)


def _print(rows: list[dict], header: bool = False) -> None:
    cols = [("patients", "pat."), ("cycles", "cycles"), ("bags", "bags"),
            ("capacity_per_day", "cap/d"), ("total_s", "time s"), ("solve_s", "solver s"),
            ("status", "status"), ("objective", "objective"), ("bound", "bound"),
            ("gap", "gap"), ("vials", "vials"), ("single_vials", "single"),
            ("single_vials_per_bag", "per bag"), ("vial_bound", "vial LB"),
            ("saved", "saved"), ("euros_saved", "EUR saved"),
            ("saved_per_cycle", "saved/cycle"), ("prep_peak", "peak/d"),
            ("single_prep_peak", "single peak"), ("visits_peak", "visits pk"),
            ("peak_mb", "MB")]
    if header:
        print(" | ".join(h for _, h in cols))
    for r in rows:
        cells = []
        for k, _ in cols:
            v = r[k]
            if k == "gap" and v is not None:
                cells.append(f"{100 * v:.2f} %")
            elif isinstance(v, float):
                cells.append(f"{v:,.1f}")
            else:
                cells.append(str(v))
        print(" | ".join(cells))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
