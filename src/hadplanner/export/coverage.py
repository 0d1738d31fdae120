"""All coverage outputs in one call (for ``hadplanner coverage --out`` and ``hadplanner run``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hadplanner.export.coverage_map import write_coverage_map, write_coverage_png
from hadplanner.export.coverage_tables import write_coverage_tables
from hadplanner.territory.coverage import (
    Coverage,
    CoverageSettings,
    TerritoryIndex,
    compute_coverage,
)


def coverage_summary(cov: Coverage) -> dict[str, Any]:
    """Population and commune counts per status, per department and per zone, as data."""
    by_dept = cov.population_by_department()
    by_zone = cov.population_by_zone()
    return {
        "territory": cov.index.territory.name,
        "date": cov.day.isoformat(),
        "limit_min": cov.settings.limit_min,
        "rule": cov.settings.rule.value,
        "authorised_hads": [h for h, a in zip(cov.index.had_ids, cov.authorised, strict=True) if a],
        "population_by_status": cov.population_by_status(),
        "communes_by_status": cov.communes_by_status(),
        "uncovered_population": cov.uncovered_population(),
        "population_by_department": {
            str(d): {k: int(v) for k, v in row.items()} for d, row in by_dept.iterrows()
        },
        "population_by_zone": {
            str(h): {
                k: (bool(v) if k == "authorised" else v if k == "name" else int(v))
                for k, v in row.items()
            }
            for h, row in by_zone.iterrows()
        },
    }


def write_coverage_outputs(
    loaded: Any,
    date: dt.date,
    out_dir: str | Path,
    lang: str = "fr",
    settings: CoverageSettings | None = None,
    coverage: Coverage | None = None,
    csv_dialect: str = "excel-fr",
) -> list[Path]:
    """Write the coverage map, tables, GIS layers and summary under ``out_dir``.

    Files (all prefixed ``coverage``): ``coverage_map.html`` (folium; Leaflet
    and tiles load from the web when opened), ``coverage_map.png`` (offline),
    ``coverage_communes.csv``, ``coverage_departments.csv``,
    ``coverage_zones.csv``, ``coverage.xlsx``, ``coverage_communes.geojson``,
    ``coverage.gpkg`` (layers: communes, HAD zones, HAD sites),
    ``coverage_summary.json``.

    Parameters
    ----------
    loaded
        A ``LoadedTerritory`` (or a :class:`TerritoryIndex`).
    date
        Authorisations valid on this day.
    out_dir
        Created if missing.
    lang
        ``fr`` (default) or ``en`` for the map and status labels.
    settings
        Travel-time limit and derogation rule (defaults: 45 min, bordering).
    coverage
        An already computed coverage to write instead of computing one.
    csv_dialect
        ``excel-fr`` (default) or ``plain``: see
        :func:`~hadplanner.export.coverage_tables.write_coverage_tables`.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if coverage is None:
        index = loaded if isinstance(loaded, TerritoryIndex) else TerritoryIndex.from_loaded(loaded)
        coverage = compute_coverage(index, date, settings)
    out = Path(out_dir)
    written = write_coverage_tables(coverage, out, lang, csv_dialect=csv_dialect)
    written.append(write_coverage_map(coverage, out / "coverage_map.html", lang))
    written.append(write_coverage_png(coverage, out / "coverage_map.png", lang))
    p = out / "coverage_summary.json"
    p.write_text(
        json.dumps(coverage_summary(coverage), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    written.append(p)
    return written
