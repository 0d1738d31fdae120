"""Coverage as tables and GIS layers for the ARS: CSV, XLSX, GeoJSON, GeoPackage.

Status values stay as stable codes (``served``, ``derogation``, ``convention``,
``no_had``) so that a GIS style or a script can rely on them; a
``status_label`` column gives the words in the chosen language.

Files carry readable names in the chosen language: the CSV columns and the
GeoPackage fields share them (``code_insee``, ``statut``, ``had_autorisees_noms``
in French), so that a CSV joins onto a layer; the XLSX has headers in words.
Every HAD appears with its id and its name; travel minutes are rounded to
0.1 min. The GeoPackage holds three layers: the communes with their status,
the HAD zones (one dissolved polygon per HAD) and the HAD sites (points).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hadplanner.export._labels import check_lang
from hadplanner.export._spreadsheet import (
    Cell,
    Column,
    add_sheet,
    check_dialect,
    new_workbook,
    write_csv,
)
from hadplanner.territory.coverage import STATUSES, Coverage

if TYPE_CHECKING:
    import geopandas as gpd

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

# key of the tables -> (field name in CSV/GeoPackage, header in XLSX), per language.
# English field names are those the files always had.
_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "fr": {
        "insee": ("code_insee", "code INSEE"),
        "name": ("commune", "commune"),
        "department": ("departement", "département"),
        "population": ("population", "population"),
        "status": ("statut", "statut (code)"),
        "status_label": ("statut_libelle", "statut"),
        "covering": ("had_couvrantes", "HAD de la zone (id)"),
        "covering_names": ("had_couvrantes_noms", "HAD de la zone"),
        "authorised": ("had_autorisees", "HAD autorisées de la zone (id)"),
        "authorised_names": ("had_autorisees_noms", "HAD autorisées de la zone"),
        "candidates": ("candidats", "candidats à une dérogation (trajet)"),
        "best_candidate": ("meilleur_candidat", "meilleur candidat (id)"),
        "best_candidate_name": ("meilleur_candidat_nom", "meilleur candidat"),
        "best_minutes": ("meilleur_candidat_min", "meilleur candidat : trajet (min)"),
        "had_id": ("had_id", "HAD (id)"),
        "had_name": ("had_nom", "HAD"),
        "is_authorised": ("autorisee", "autorisée (chimiothérapie)"),
        "communes": ("nb_communes", "communes"),
        "site_kind": ("type_site", "type de site"),
        "town": ("commune_site", "commune du site"),
        "site_insee": ("code_insee_site", "code INSEE du site"),
        "served": ("pop_couverte", "population couverte"),
        "derogation": ("pop_derogation", "population : dérogation possible"),
        "convention": ("pop_convention", "population : convention nécessaire"),
        "no_had": ("pop_sans_had", "population sans HAD"),
        "total": ("pop_totale", "population totale"),
    },
    "en": {
        "insee": ("insee", "INSEE code"),
        "name": ("name", "commune"),
        "department": ("department", "department"),
        "population": ("population", "population"),
        "status": ("status", "status (code)"),
        "status_label": ("status_label", "status"),
        "covering": ("covering", "zone HADs (id)"),
        "covering_names": ("covering_names", "zone HADs"),
        "authorised": ("authorised", "authorised zone HADs (id)"),
        "authorised_names": ("authorised_names", "authorised zone HADs"),
        "candidates": ("candidates", "derogation candidates (travel)"),
        "best_candidate": ("best_candidate", "best candidate (id)"),
        "best_candidate_name": ("best_candidate_name", "best candidate"),
        "best_minutes": ("best_minutes", "best candidate: travel (min)"),
        "had_id": ("had_id", "HAD (id)"),
        "had_name": ("name", "HAD"),
        "is_authorised": ("authorised", "authorised (chemotherapy)"),
        "communes": ("communes", "communes"),
        "site_kind": ("site_kind", "site kind"),
        "town": ("town", "site town"),
        "site_insee": ("insee", "site INSEE code"),
        "served": ("served", "population served"),
        "derogation": ("derogation", "population: derogation possible"),
        "convention": ("convention", "population: convention needed"),
        "no_had": ("no_had", "population with no HAD"),
        "total": ("total", "total population"),
    },
}

_SITE_KINDS = {"fr": {"main": "site principal", "annex": "site annexe"},
               "en": {"main": "main site", "annex": "annex"}}

_LAYERS = {"fr": ("communes", "zones_had", "sites_had"),
           "en": ("communes", "had_zones", "had_sites")}

_LAYER_ABOUT = {
    "fr": ("Statut de couverture HAD de chaque commune au {day} (autorisations valides ce jour)",
           "Zones d'intervention des HAD, un polygone par HAD ; autorisation au {day}",
           "Sites des HAD (principal et annexes) ; autorisation au {day}"),
    "en": ("HAD coverage status of every commune on {day} (authorisations valid that day)",
           "HAD intervention zones, one polygon per HAD; authorisation on {day}",
           "HAD sites (main and annex); authorisation on {day}"),
}

_SHEETS = {"fr": ("communes", "départements", "zones HAD"),
           "en": ("communes", "departments", "HAD zones")}


def _lang(lang: str) -> str:
    return check_lang(lang)


def communes_table(cov: Coverage, lang: str = "fr") -> pd.DataFrame:
    """One row per commune: codes, population, status, covering and candidate HADs.

    HADs are given by id (``covering``, ``authorised``, ``best_candidate``) and
    by name (``covering_names``, ``authorised_names``, ``best_candidate_name``).
    ``candidates`` lists ``name (minutes min)`` nearest first, for communes not
    served; ``best_candidate`` and ``best_minutes`` (rounded to 0.1 min) are
    the first of them.
    """
    labels = STATUS_LABELS[_lang(lang)]
    idx = cov.index
    status = cov.status
    cands = cov.candidate_table()
    names = np.array(idx.had_names, dtype=object)
    ids = np.array(idx.had_ids, dtype=object)
    # float64 before rounding: float32 minutes would write 86.30000305
    minutes = cands["minutes"].astype(np.float64)
    text = (
        cands.assign(
            t=names[cands["had"]] + " (" + minutes.round().astype(int).astype(str) + " min)"
        )
        .groupby("row")["t"]
        .agg("; ".join)
    )
    first = cands[cands["rank"] == 1].set_index("row")
    n = len(idx.insee)
    best_id = np.full(n, "", dtype=object)
    best_name = np.full(n, "", dtype=object)
    best_min = np.full(n, np.nan)
    rows = first.index.to_numpy()
    best_id[rows] = ids[first["had"].to_numpy()]
    best_name[rows] = names[first["had"].to_numpy()]
    best_min[rows] = first["minutes"].astype(np.float64).round(1).to_numpy()
    cand_text = np.full(n, "", dtype=object)
    cand_text[text.index.to_numpy()] = text.to_numpy()
    member = idx.membership
    ours = member & cov.authorised
    return pd.DataFrame(
        {
            "insee": idx.insee.astype(str),
            "name": idx.names.astype(str),
            "department": idx.departments.astype(str),
            "population": idx.population,
            "status": status.astype(str),
            "status_label": [labels[s] for s in status],
            "covering": ["; ".join(ids[member[r]]) for r in range(n)],
            "covering_names": ["; ".join(names[member[r]]) for r in range(n)],
            "authorised": ["; ".join(ids[ours[r]]) for r in range(n)],
            "authorised_names": ["; ".join(names[ours[r]]) for r in range(n)],
            "candidates": cand_text,
            "best_candidate": best_id,
            "best_candidate_name": best_name,
            "best_minutes": best_min,
        }
    )


def departments_table(cov: Coverage) -> pd.DataFrame:
    """Population per department (one row each) and status, with a total."""
    return cov.population_by_department().reset_index()


def zones_table(cov: Coverage) -> pd.DataFrame:
    """One row per HAD: id, name, authorised, communes of its zone, population per status."""
    df = cov.population_by_zone().reset_index()
    df = df.rename(columns={"name": "had_name", "authorised": "is_authorised"})
    df.insert(3, "communes", cov.index.membership.sum(axis=0).astype(np.int64))
    return df


def sites_table(cov: Coverage, lang: str = "fr") -> pd.DataFrame:
    """One row per HAD site: HAD id and name, authorised, site kind, town, INSEE, lat/lon."""
    kinds = _SITE_KINDS[_lang(lang)]
    rows = [
        {
            "had_id": had.id,
            "had_name": had.name,
            "is_authorised": bool(ok),
            "site_kind": kinds[site.kind.value],
            "town": site.town,
            "site_insee": site.insee,
            "lat": site.location.lat,
            "lon": site.location.lon,
        }
        for had, ok in zip(cov.index.territory.hads, cov.authorised, strict=True)
        for site in had.sites
    ]
    return pd.DataFrame(rows)


def _fields(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """`df` with its columns named in `lang` (columns without a name are dropped)."""
    names = _NAMES[lang]
    keep = [c for c in df.columns if c in names]
    return df[keep].rename(columns={c: names[c][0] for c in keep})


def _cells(df: pd.DataFrame) -> list[list[Cell]]:
    """Rows of Python values (numpy scalars unwrapped, NaN as empty)."""
    cols = [df[c].tolist() for c in df.columns]
    return [
        [None if isinstance(v, float) and v != v else v for v in row]  # v != v: NaN
        for row in zip(*cols, strict=True)
    ]


_KIND = {"i": "int", "u": "int", "f": "float", "b": "bool"}


def _xlsx_columns(df: pd.DataFrame, lang: str) -> list[Column]:
    names = _NAMES[lang]
    out = []
    for c in df.columns:
        kind = _KIND.get(df[c].dtype.kind, "text")
        people = c in ("population", "total", *STATUSES)
        fmt = "0.0" if c == "best_minutes" else "#,##0" if people else None
        out.append(Column(names[c][1], kind, fmt))
    return out


def _tables(cov: Coverage, lang: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Communes, departments and HAD zones: the tables of the CSV files and the workbook."""
    return communes_table(cov, lang), departments_table(cov), zones_table(cov)


def _save_xlsx(cov: Coverage, tables: Sequence[pd.DataFrame], path: Path, lang: str) -> Path:
    title = (
        f"Couverture HAD au {cov.day:%d/%m/%Y} — {cov.index.territory.name}"
        if lang == "fr"
        else f"HAD coverage on {cov.day.isoformat()} — {cov.index.territory.name}"
    )
    wb = new_workbook()
    for sheet, df in zip(_SHEETS[lang], tables, strict=True):
        add_sheet(wb, sheet, _xlsx_columns(df, lang), _cells(df), lang, print_title=title)
    wb.save(path)
    return path


def write_coverage_xlsx(cov: Coverage, path: str | Path, lang: str = "fr") -> Path:
    """The coverage tables as one XLSX workbook: communes, departments, HAD zones.

    Codes (INSEE, department) are text cells, populations and minutes numbers,
    authorisations booleans; see :func:`hadplanner.export._spreadsheet.add_sheet`.
    """
    lang = _lang(lang)
    return _save_xlsx(cov, _tables(cov, lang), Path(path), lang)


def _write_gpkg(cov: Coverage, communes: gpd.GeoDataFrame, path: Path, lang: str) -> None:
    """Communes, dissolved HAD zones and HAD sites as three layers of one GeoPackage."""
    import geopandas as gpd
    import shapely

    geoms = np.asarray(cov.index.geometry, dtype=object)
    zones = gpd.GeoDataFrame(
        _fields(zones_table(cov), lang),
        geometry=[shapely.union_all(geoms[cov.index.membership[:, h]])
                  for h in range(len(cov.index.had_ids))],
        crs=4326,
    )
    site_df = sites_table(cov, lang)
    sites = gpd.GeoDataFrame(
        _fields(site_df, lang),
        geometry=gpd.points_from_xy(site_df["lon"], site_df["lat"]),
        crs=4326,
    )
    path.unlink(missing_ok=True)  # GDAL drivers may refuse or append to an existing file
    layers = zip(_LAYERS[lang], (communes, zones, sites), _LAYER_ABOUT[lang], strict=True)
    for name, gdf, about in layers:
        gdf.to_file(
            path,
            layer=name,
            driver="GPKG",
            engine="pyogrio",
            promote_to_multi=gdf is not sites,
            layer_options={"IDENTIFIER": name,
                           "DESCRIPTION": about.format(day=cov.day.isoformat())},
        )


def write_coverage_tables(
    cov: Coverage,
    out_dir: str | Path,
    lang: str = "fr",
    gis: bool = True,
    csv_dialect: str = "excel-fr",
) -> list[Path]:
    """Write the coverage tables (and GIS layers) under ``out_dir``.

    Files: ``coverage_communes.csv``, ``coverage_departments.csv``,
    ``coverage_zones.csv``, ``coverage.xlsx`` (the three tables) and, with
    ``gis`` and commune polygons, ``coverage_communes.geojson`` and
    ``coverage.gpkg`` (layers of communes, HAD zones and HAD sites).

    Parameters
    ----------
    cov
        The coverage to write.
    out_dir
        Created if missing; nothing is written outside it.
    lang
        ``fr`` (default) or ``en``: column names, labels, layer names.
    gis
        Also write the GeoJSON and GeoPackage.
    csv_dialect
        ``excel-fr`` (default: ``;``, decimal comma, UTF-8 with BOM) or
        ``plain`` (``,``, decimal point, no BOM) for GIS and scripts.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    lang = _lang(lang)
    check_dialect(csv_dialect)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = _tables(cov, lang)
    written = []
    names = ("coverage_communes.csv", "coverage_departments.csv", "coverage_zones.csv")
    for name, df in zip(names, tables, strict=True):
        named = _fields(df, lang)
        written.append(write_csv(out / name, list(named.columns), _cells(named), csv_dialect))
    written.append(_save_xlsx(cov, tables, out / "coverage.xlsx", lang))
    if gis and cov.index.geometry is not None:
        import geopandas as gpd

        communes = gpd.GeoDataFrame(
            _fields(tables[0], lang), geometry=list(cov.index.geometry), crs=4326
        )
        p = out / "coverage_communes.geojson"
        p.unlink(missing_ok=True)  # GDAL drivers may refuse or append to an existing file
        communes.to_file(p, driver="GeoJSON", engine="pyogrio")
        written.append(p)
        p = out / "coverage.gpkg"
        _write_gpkg(cov, communes, p, lang)
        written.append(p)
    return written


__all__ = [
    "STATUSES",
    "STATUS_LABELS",
    "communes_table",
    "departments_table",
    "sites_table",
    "write_coverage_tables",
    "write_coverage_xlsx",
    "zones_table",
]
