"""A seeded France-like territory on a grid, built without any download.

Square communes of about 5 km (0.06 deg of longitude x 0.045 of latitude) with
jittered centres and skewed populations, grouped into departments of 12 x 10
communes. Each department has HADs in its most populous communes (a third with
an annex site), zones are the communes nearest to each HAD of the department
plus the second nearest when almost as close (shared areas), a few communes
are in no zone, and a third of the HADs are not authorised. The shape follows
``benchmarks/france.py``, at a size a test can afford.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely

from hadplanner.models.territory import (
    HAD,
    AuthorisationBasis,
    ChemoAuthorisation,
    Commune,
    LegalStatus,
    Point,
    Site,
    SiteKind,
    Supply,
    Territory,
    Zone,
)

DAY = dt.date(2018, 6, 1)
DEPARTMENTS = [f"{d:02d}" for d in (*range(1, 20), *range(21, 96))]
W, H = 0.06, 0.045
DEPT_X, DEPT_Y = 12, 10


def build(
    nx: int = 60, ny: int = 40, hads_per_dept: tuple[int, int] = (2, 7), seed: int = 0
) -> tuple[Territory, list[str], np.ndarray]:
    """The territory, its commune codes (row order) and one polygon per commune."""
    rng = np.random.default_rng(seed)
    n_dx = -(-nx // DEPT_X)
    codes, communes, geoms = [], {}, []
    cells: dict[str, list[int]] = {}
    lat = np.empty(nx * ny)
    lon = np.empty(nx * ny)
    pop = (rng.lognormal(6.0, 1.4, nx * ny)).astype(int)
    for x in range(nx):
        for y in range(ny):
            i = len(codes)
            dept = DEPARTMENTS[(y // DEPT_Y) * n_dx + x // DEPT_X]
            code = f"{dept}{len(cells.get(dept, [])):03d}"
            cells.setdefault(dept, []).append(i)
            x0, y0 = -1.0 + W * x, 43.0 + H * y
            lon[i] = x0 + W * rng.uniform(0.2, 0.8)
            lat[i] = y0 + H * rng.uniform(0.2, 0.8)
            codes.append(code)
            communes[code] = Commune(
                insee=code,
                name=f"C{x}-{y}",
                department=dept,
                population=int(pop[i]),
                centre=Point(lat=lat[i], lon=lon[i]),
            )
            geoms.append(shapely.box(x0, y0, x0 + W, y0 + H))
    hads, zones = [], []
    auth = (ChemoAuthorisation(basis=AuthorisationBasis.attached, holder="CH"),)
    for dept, rows in sorted(cells.items()):
        rows_a = np.array(rows)
        k = int(rng.integers(hads_per_dept[0], hads_per_dept[1] + 1))
        hosts = rows_a[np.argsort(-pop[rows_a])[:k]]
        d = np.hypot(
            (lat[rows_a, None] - lat[None, hosts]) * 111.0,
            (lon[rows_a, None] - lon[None, hosts]) * 81.0,
        )
        order = np.argsort(d, axis=1)
        members: list[set[str]] = [set() for _ in hosts]
        for i, r in enumerate(rows_a):
            if rng.random() < 0.01:
                continue  # in no zone
            members[order[i, 0]].add(codes[r])
            if k > 1 and d[i, order[i, 1]] <= 1.15 * d[i, order[i, 0]] + 2:
                members[order[i, 1]].add(codes[r])
        for j, host in enumerate(hosts):
            had_id = f"had-{dept}-{j}"
            sites = [Site(kind=SiteKind.main, town=f"T{codes[host]}", insee=codes[host],
                          location=communes[codes[host]].centre)]
            if rng.random() < 1 / 3:
                annex = int(rng.choice(rows_a))
                sites.append(Site(kind=SiteKind.annex, town=f"A{codes[annex]}",
                                  insee=codes[annex], location=communes[codes[annex]].centre))
            hads.append(HAD(
                id=had_id,
                name=f"HAD {dept}-{j}",
                legal_status=LegalStatus.public_hospital,
                departments=(dept,),
                sites=tuple(sites),
                supply=Supply.own_pui,
                authorisations=auth if rng.random() >= 1 / 3 else (),
            ))
            zones.append(Zone(had_id=had_id, communes=frozenset(members[j] or {codes[host]})))
    territory = Territory(
        name="france-like",
        departments=tuple(sorted(cells)),
        communes=communes,
        hads=tuple(hads),
        zones=tuple(zones),
    )
    return territory, codes, np.array(geoms, dtype=object)
