"""Coverage as tables and GIS layers for the ARS: CSV, GeoJSON, GeoPackage.

Status values stay as stable codes (``served``, ``derogation``, ``convention``,
``no_had``) so that a GIS style or a script can rely on them; a
``status_label`` column gives the words in the chosen language.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hadplanner.export._labels import check_lang
from hadplanner.territory.coverage import STATUSES, Coverage

STATUS_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "served": "Couverte (HAD autorisée)",
        "derogation": "Dérogation possible",
        "convention": "Convention nécessaire",
        "no_had": "Aucune HAD",
    },
    "en": {
        "served": "Served (authorised HAD)",
        "derogation": "Derogation possible",
        "convention": "Convention needed",
        "no_had": "No HAD",
    },
}


def _lang(lang: str) -> str:
    return check_lang(lang)


def communes_table(cov: Coverage, lang: str = "fr") -> pd.DataFrame:
    """One row per commune: codes, population, status, covering and candidate HADs.

    ``candidates`` lists ``name (minutes min)`` nearest first, for communes not
    served; ``best_candidate`` and ``best_minutes`` are the first of them.
    """
    labels = STATUS_LABELS[_lang(lang)]
    idx = cov.index
    status = cov.status
    cands = cov.candidate_table()
    names = np.array(idx.had_names, dtype=object)
    ids = np.array(idx.had_ids, dtype=object)
    text = (
        cands.assign(
            t=names[cands["had"]]
            + " ("
            + cands["minutes"].round().astype(int).astype(str)
            + " min)"
        )
        .groupby("row")["t"]
        .agg("; ".join)
    )
    first = cands[cands["rank"] == 1].set_index("row")
    n = len(idx.insee)
    best_id = np.full(n, "", dtype=object)
    best_min = np.full(n, np.nan)
    best_id[first.index.to_numpy()] = ids[first["had"].to_numpy()]
    best_min[first.index.to_numpy()] = first["minutes"].round(1).to_numpy()
    cand_text = np.full(n, "", dtype=object)
    cand_text[text.index.to_numpy()] = text.to_numpy()
    member = idx.membership
    covering = ["; ".join(ids[member[r]]) for r in range(n)]
    authorised = ["; ".join(ids[member[r] & cov.authorised]) for r in range(n)]
    return pd.DataFrame(
        {
            "insee": idx.insee.astype(str),
            "name": idx.names.astype(str),
            "department": idx.departments.astype(str),
            "population": idx.population,
            "status": status.astype(str),
            "status_label": [labels[s] for s in status],
            "covering": covering,
            "authorised": authorised,
            "candidates": cand_text,
            "best_candidate": best_id,
            "best_minutes": best_min,
        }
    )


def write_coverage_tables(
    cov: Coverage, out_dir: str | Path, lang: str = "fr", gis: bool = True
) -> list[Path]:
    """Write the coverage tables (and GIS layers) under ``out_dir``.

    Files: ``coverage_communes.csv``, ``coverage_departments.csv``,
    ``coverage_zones.csv`` and, with ``gis`` and commune polygons,
    ``coverage_communes.geojson`` and ``coverage.gpkg`` (layer ``communes``).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = communes_table(cov, lang)
    written = []
    p = out / "coverage_communes.csv"
    table.to_csv(p, index=False)
    written.append(p)
    p = out / "coverage_departments.csv"
    cov.population_by_department().reset_index().to_csv(p, index=False)
    written.append(p)
    p = out / "coverage_zones.csv"
    cov.population_by_zone().reset_index().to_csv(p, index=False)
    written.append(p)
    if gis and cov.index.geometry is not None:
        import geopandas as gpd

        gdf = gpd.GeoDataFrame(table, geometry=list(cov.index.geometry), crs=4326)
        p = out / "coverage_communes.geojson"
        p.unlink(missing_ok=True)  # GDAL drivers may refuse or append to an existing file
        gdf.to_file(p, driver="GeoJSON", engine="pyogrio")
        written.append(p)
        p = out / "coverage.gpkg"
        p.unlink(missing_ok=True)
        gdf.to_file(p, layer="communes", driver="GPKG", engine="pyogrio")
        written.append(p)
    return written


__all__ = ["STATUSES", "STATUS_LABELS", "communes_table", "write_coverage_tables"]
