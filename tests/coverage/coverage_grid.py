"""A hand-checkable synthetic territory: a 6 x 4 grid of square communes, 4 HADs.

Columns x = 0..5 (west to east), rows y = 0..3 (south to north); the commune of
cell (x, y) has INSEE code ``{dept}{100 + 10x + y}`` (dept 09 for x < 3, else 11)
and centre at lon 1.05 + 0.1x, lat 43.05 + 0.1y.

- ``had-a`` (authorised): columns 0-1, site at (0, 0).
- ``had-b`` (not authorised): columns 2-3, plus (1, 3) shared with had-a; site (2, 1).
- ``had-c`` (authorised): column 4; sites (4, 0) main and (4, 3) annex.
- ``had-d`` (not authorised): column 5 rows 1-3; site (5, 3).
- (5, 0) is in no zone.

With :class:`GridTravel` (10 minutes per cell step, Manhattan) and a 25-minute
limit the statuses are those of :data:`EXPECTED_STATUS`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
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
from hadplanner.travel import as_latlon

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
"""The territory engineer's hand-checkable territory (see its README)."""

NX, NY = 6, 4
LIMIT = 25.0
DAY = dt.date(2018, 6, 1)


def code(x: int, y: int) -> str:
    return f"{'09' if x < 3 else '11'}{100 + 10 * x + y}"


def centre(x: int, y: int) -> Point:
    return Point(lat=43.05 + 0.1 * y, lon=1.05 + 0.1 * x)


def population(x: int, y: int) -> int:
    return 1000 * (y + 1) + 100 * x


class GridTravel:
    """10 minutes per grid step (Manhattan), to test statuses by hand."""

    @staticmethod
    def _cells(p: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [np.round((p[:, 1] - 1.05) / 0.1), np.round((p[:, 0] - 43.05) / 0.1)]
        )

    def minutes(self, origin: Point, dest: Point) -> float:
        return float(self.matrix([origin], [dest])[0, 0])

    def matrix(self, origins, dests) -> np.ndarray:
        o, d = self._cells(as_latlon(origins)), self._cells(as_latlon(dests))
        return 10.0 * np.abs(o[:, None, :] - d[None, :, :]).sum(axis=2)


def _site(kind: SiteKind, x: int, y: int) -> Site:
    return Site(kind=kind, town=f"T{x}{y}", insee=code(x, y), location=centre(x, y))


def _had(had_id: str, sites: list[Site], authorised: bool) -> HAD:
    auth = (
        (ChemoAuthorisation(basis=AuthorisationBasis.attached, holder="CH test"),)
        if authorised
        else ()
    )
    return HAD(
        id=had_id,
        name=had_id.upper(),
        legal_status=LegalStatus.public_hospital,
        departments=("09",),
        sites=tuple(sites),
        supply=Supply.own_pui,
        authorisations=auth,
    )


def territory() -> Territory:
    communes = {
        code(x, y): Commune(
            insee=code(x, y),
            name=f"C{x}{y}",
            department=code(x, y)[:2],
            population=population(x, y),
            centre=centre(x, y),
        )
        for x in range(NX)
        for y in range(NY)
    }
    hads = (
        _had("had-a", [_site(SiteKind.main, 0, 0)], True),
        _had("had-b", [_site(SiteKind.main, 2, 1)], False),
        _had("had-c", [_site(SiteKind.main, 4, 0), _site(SiteKind.annex, 4, 3)], True),
        _had("had-d", [_site(SiteKind.main, 5, 3)], False),
    )
    cells = {
        "had-a": [(x, y) for x in (0, 1) for y in range(NY)],
        "had-b": [(x, y) for x in (2, 3) for y in range(NY)] + [(1, 3)],
        "had-c": [(4, y) for y in range(NY)],
        "had-d": [(5, y) for y in (1, 2, 3)],
    }
    zones = tuple(
        Zone(had_id=h, communes=frozenset(code(x, y) for x, y in cs)) for h, cs in cells.items()
    )
    return Territory(
        name="grid", departments=("09", "11"), communes=communes, hads=hads, zones=zones
    )


def communes_gdf(t: Territory) -> gpd.GeoDataFrame:
    rows = []
    for x in range(NX):
        for y in range(NY):
            c = t.communes[code(x, y)]
            rows.append(
                {
                    "insee": c.insee,
                    "name": c.name,
                    "department": c.department,
                    "population": c.population,
                    "lat": c.centre.lat,
                    "lon": c.centre.lon,
                    "geometry": shapely.box(
                        1.0 + 0.1 * x, 43.0 + 0.1 * y, 1.1 + 0.1 * x, 43.1 + 0.1 * y
                    ),
                }
            )
    return gpd.GeoDataFrame(rows, crs=4326).set_index("insee")


def loaded() -> SimpleNamespace:
    """An object shaped like ``LoadedTerritory`` (``.territory``, ``.communes_gdf``)."""
    t = territory()
    return SimpleNamespace(territory=t, communes_gdf=communes_gdf(t))


# Hand-checked with GridTravel and LIMIT (see the module docstring):
# column 2: had-a and had-c are 2 + y steps away -> only y = 0 within 25 min;
# column 3: had-c is 1 + y steps away -> y = 0, 1; had-d's column 5: had-c's
# nearest site (4,0) or annex (4,3) is 1 + min(y, 3 - y) steps -> all within.
EXPECTED_STATUS = {
    **{code(x, y): "served" for x in (0, 1, 4) for y in range(NY)},
    code(2, 0): "derogation",
    code(2, 1): "convention",
    code(2, 2): "convention",
    code(2, 3): "derogation",  # had-c's annex at (4, 3) is 2 steps away
    code(3, 0): "derogation",
    code(3, 1): "derogation",
    code(3, 2): "derogation",  # annex (4, 3): 2 steps
    code(3, 3): "derogation",  # annex: 1 step
    code(5, 1): "derogation",
    code(5, 2): "derogation",
    code(5, 3): "derogation",
    code(5, 0): "no_had",
}
