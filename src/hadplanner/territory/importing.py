"""Import official data over a territory: the ARS's zones and HAD lists.

An ARS defines an HAD's intervention zone as a list of communes (R6123-140
CSP); users may also have it as polygons. This module reads:

- zones as CSV (``had_id,insee``), checked against the territory's communes;
- zones as polygons (GeoJSON, GeoPackage, anything GDAL reads) with a
  ``had_id`` attribute: a commune belongs to a zone when at least ``min_share``
  of its area lies inside (areas in Lambert-93, EPSG:2154, so shares are true
  surface shares);
- HADs as YAML (the ``hads.yaml`` format) or CSV (one row per HAD, see
  :func:`read_hads_csv`),

and :func:`with_overrides` puts them over a loaded territory. Bad rows are
reported as ``file:line: what is wrong``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from hadplanner.errors import InputError, TerritoryError
from hadplanner.io.reading import check_file, parse_real, parse_whole, read_table
from hadplanner.io.validation import validate
from hadplanner.models.territory import HAD, Zone
from hadplanner.territory.loading import (
    LoadedTerritory,
    assemble,
    read_hads_yaml,
    read_zones_csv,
)

METRIC_CRS = "EPSG:2154"
"""Lambert-93: metric, equal enough in area over metropolitan France."""

POLYGON_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")



def _densify(gdf):
    """Split edges longer than ~500 m (0.005 degree or 500 m, by CRS)."""
    import shapely

    step = 0.005 if gdf.crs.is_geographic else 500.0
    return gdf.set_geometry(shapely.segmentize(gdf.geometry.to_numpy(), step), crs=gdf.crs)


def zones_from_polygons(
    path: str | Path,
    communes_gdf,
    min_share: float = 0.5,
    had_field: str = "had_id",
    source: str = "",
    repair: bool = False,
) -> tuple[Zone, ...]:
    """Zones from polygons: a commune is in a zone when ``min_share`` of its area is inside.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage... with one or more (multi)polygons per HAD and a
        ``had_field`` attribute.
    communes_gdf
        The territory's communes (indexed by INSEE code, with a CRS).
    min_share
        Share of a commune's area, in (0, 1], that must lie inside.
    had_field
        The attribute naming the HAD.
    source
        Recorded on each zone.
    repair
        Repair invalid polygons (``shapely.make_valid``) instead of refusing
        them. Off by default: a self-intersecting zone is often a digitising
        error worth seeing.

    Raises
    ------
    TerritoryError
        Unreadable file, no CRS, missing attribute, invalid polygon (naming the
        feature), or a zone that holds no commune.
    """
    import geopandas as gpd
    import shapely

    if not 0 < min_share <= 1:
        raise TerritoryError(f"zone polygons: min_share must be in (0, 1], got {min_share}")
    path = Path(path)
    try:
        check_file(path, "zone-polygons")
    except InputError as exc:
        raise TerritoryError(str(exc)) from None
    try:
        zones = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # GDAL raises several unrelated types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TerritoryError(f"{path}: cannot read as a geographic file: {first}") from None
    if had_field not in zones.columns:
        raise TerritoryError(f"{path}: missing attribute {had_field!r} on the features")
    if zones.crs is None:
        raise TerritoryError(f"{path}: no coordinate reference system")
    geoms = zones.geometry.to_numpy().copy()
    for i, g in enumerate(geoms):
        where = f"{path}: feature {i + 1} ({had_field}={zones[had_field].iloc[i]!r})"
        if g is None or g.is_empty:
            raise TerritoryError(f"{where}: no polygon")
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            raise TerritoryError(f"{where}: expected a polygon, got {g.geom_type}")
        if not shapely.is_valid(g):
            if not repair:
                raise TerritoryError(
                    f"{where}: invalid geometry: {shapely.is_valid_reason(g)} "
                    f"(fix it, or use --repair-zones)"
                )
            parts = shapely.get_parts(shapely.make_valid(g))
            geoms[i] = shapely.multipolygons(
                [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
            )
        if zones[had_field].iloc[i] is None or not str(zones[had_field].iloc[i]).strip():
            raise TerritoryError(f"{path}: feature {i + 1}: empty {had_field}")
    zones = zones.set_geometry(geoms, crs=zones.crs)
    # Long straight edges (a user's box, a tiny test commune) bend when
    # reprojected: densify first so that shared borders stay shared in Lambert-93.
    zones = _densify(zones).to_crs(METRIC_CRS)
    communes = _densify(communes_gdf).to_crs(METRIC_CRS)
    areas = communes.geometry.area.to_numpy()
    cgeoms = communes.geometry.to_numpy()
    tree = shapely.STRtree(cgeoms)
    out: list[Zone] = []
    for had_id, group in zones.groupby(zones[had_field].astype(str).str.strip(), sort=True):
        shape = shapely.union_all(group.geometry.to_numpy())
        hits = tree.query(shape, predicate="intersects")
        inside = shapely.area(shapely.intersection(cgeoms[hits], shape))
        # A hair of slack: a commune lying wholly inside must pass min_share=1
        # despite floating-point loss in the reprojected intersection.
        keep = hits[inside >= (min_share - 1e-6) * areas[hits]]
        if len(keep) == 0:
            raise TerritoryError(
                f"{path}: zone of HAD {had_id!r} covers no commune at {min_share:.0%} of its area"
            )
        codes = frozenset(str(c) for c in communes.index[keep])
        out.append(Zone(had_id=had_id, communes=codes, source=source or str(path)))
    return tuple(out)


def read_zones(
    path: str | Path, communes_gdf, min_share: float = 0.5, had_ids=None, repair: bool = False
) -> tuple[Zone, ...]:
    """Zones from a CSV (``had_id,insee``) or a polygon file, by suffix."""
    path = Path(path)
    if path.suffix.lower() in POLYGON_SUFFIXES:
        zones = zones_from_polygons(path, communes_gdf, min_share=min_share, repair=repair)
        if had_ids is not None:
            unknown = sorted(z.had_id for z in zones if z.had_id not in had_ids)
            if unknown:
                raise TerritoryError(f"{path}: unknown HAD id {unknown[0]!r}")
        return zones
    return read_zones_csv(path, communes=set(communes_gdf.index), had_ids=had_ids, source=str(path))


HAD_CSV_COLUMNS = (
    "id",
    "name",
    "legal_status",
    "departments",
    "supply",
    "main_town",
    "main_insee",
)
"""Required columns of a HAD CSV."""

HAD_CSV_OPTIONAL = (
    "main_lat",
    "main_lon",
    "annexes",
    "pui",
    "finess",
    "chemo_basis",
    "chemo_holder",
    "chemo_valid_from",
    "chemo_valid_until",
    "patients_treated",
    "last_patient",
    "source",
    "notes",
)


_CSV_NAMES: dict[tuple[object, ...], str] = {
    ("authorisations", 0, "basis"): "chemo_basis",
    ("authorisations", 0, "holder"): "chemo_holder",
    ("authorisations", 0, "valid_from"): "chemo_valid_from",
    ("authorisations", 0, "valid_until"): "chemo_valid_until",
    ("authorisations", 0): "chemo_valid_until",
    ("sites", 0, "location", "lat"): "main_lat",
    ("sites", 0, "location", "lon"): "main_lon",
    ("sites", 0, "town"): "main_town",
    ("sites", 0, "insee"): "main_insee",
    ("sites",): "annexes",
}
"""The CSV column behind each field of the HAD model, for messages."""


def read_hads_csv(path: str | Path, communes_gdf=None) -> tuple[HAD, ...]:
    """HADs from a CSV, one row per HAD.

    Columns: ``id, name, legal_status, departments`` (``;``-separated, e.g.
    ``31;09``, quoted in a ``;``-separated file), ``supply`` (``own_pui`` or
    ``community_pharmacy``), ``main_town, main_insee``; optional ``main_lat,
    main_lon`` (both or neither; neither: the commune's centre in
    ``communes_gdf``), ``annexes`` (``Town:INSEE`` pairs separated by ``;``),
    ``pui, finess``, one chemotherapy authorisation as ``chemo_basis``
    (``attached``/``associated``; empty: none), ``chemo_holder,
    chemo_valid_from, chemo_valid_until`` (``YYYY-MM-DD``), ``patients_treated,
    last_patient, source, notes``.

    Raises
    ------
    TerritoryError
        ``file:line: <field>: <what is wrong>`` for the first bad row.
    """
    try:
        table = read_table(path, "hads", HAD_CSV_COLUMNS, HAD_CSV_OPTIONAL)
    except TerritoryError:
        raise
    except InputError as exc:
        raise TerritoryError(str(exc)) from None
    list_sep = ";"  # inside one field (quoted in a ;-separated file)
    centres = {}
    if communes_gdf is not None:
        centres = {
            c: (float(la), float(lo))
            for c, la, lo in zip(
                communes_gdf.index, communes_gdf["lat"], communes_gdf["lon"], strict=True
            )
        }
    hads: list[HAD] = []
    first: dict[str, int] = {}
    for row in table.rows:
        where = table.where(row)

        def site(kind: str, town: str, insee: str, lat: str = "", lon: str = "",
                 where: str = where) -> dict[str, object]:
            loc: dict[str, object]
            if lat or lon:
                if not (lat and lon):
                    missing = "main_lon" if lat else "main_lat"
                    raise TerritoryError(
                        f"{where}: {missing}: empty while the other coordinate is given "
                        "(give both, or neither for the commune's centre)")
                loc = {"lat": parse_real(lat, f"{where}: main_lat",
                                         decimal_comma=table.delimiter != ","),
                       "lon": parse_real(lon, f"{where}: main_lon",
                                         decimal_comma=table.delimiter != ",")}
            elif insee in centres:
                loc = {"lat": centres[insee][0], "lon": centres[insee][1]}
            else:
                raise TerritoryError(
                    f"{where}: site {town!r}: no coordinates and unknown INSEE code {insee}"
                )
            return {"kind": kind, "town": town, "insee": insee, "location": loc}

        sites = [site("main", row.get("main_town"), row.get("main_insee"),
                      row.get("main_lat"), row.get("main_lon"))]
        for item in filter(None, (a.strip() for a in row.get("annexes").split(list_sep))):
            town, sep, insee = item.rpartition(":")
            if not sep:
                raise TerritoryError(f"{where}: annexes: expected 'Town:INSEE', got {item!r}")
            sites.append(site("annex", town.strip(), insee.strip()))
        auths = []
        if row.get("chemo_basis"):
            auths.append(
                {
                    "basis": row.get("chemo_basis"),
                    "holder": row.get("chemo_holder") or "not given",
                    "valid_from": row.get("chemo_valid_from") or None,
                    "valid_until": row.get("chemo_valid_until") or None,
                    "source": row.get("source"),
                }
            )
        elif any(row.get(k) for k in ("chemo_holder", "chemo_valid_from", "chemo_valid_until")):
            raise TerritoryError(
                f"{where}: chemo_basis: empty while chemo_holder or a validity date is given "
                "(attached or associated)")
        treated = parse_whole(row.get("patients_treated"), f"{where}: patients_treated",
                              required=False)
        record = {
            "id": row.get("id"),
            "name": row.get("name"),
            "finess": row.get("finess") or None,
            "legal_status": row.get("legal_status"),
            "departments": [d.strip() for d in row.get("departments").split(list_sep)
                            if d.strip()],
            "sites": sites,
            "supply": row.get("supply"),
            "pui": row.get("pui") or None,
            "authorisations": auths,
            "patients_treated": treated or 0,
            "last_patient": row.get("last_patient") or None,
            "source": row.get("source"),
            "notes": row.get("notes"),
        }
        had = validate(HAD, record, where, error=TerritoryError, names=_CSV_NAMES)
        if had.id in first:
            raise TerritoryError(
                f"{where}: duplicate HAD id {had.id!r} (first at line {first[had.id]})"
            )
        first[had.id] = row.line
        hads.append(had)
    if not hads:
        raise TerritoryError(f"{table.path}: no HAD rows after the header")
    return tuple(hads)


def read_hads(path: str | Path, communes_gdf=None) -> tuple[HAD, ...]:
    """HADs from YAML (``.yaml``/``.yml``) or CSV (``.csv``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return read_hads_yaml(path)
    if suffix == ".csv":
        return read_hads_csv(path, communes_gdf)
    raise TerritoryError(f"{path}: HADs must be a .yaml, .yml or .csv file")


def with_overrides(
    loaded: LoadedTerritory,
    zones: str | Path | None = None,
    hads: str | Path | None = None,
    min_share: float = 0.5,
    repair: bool = False,
) -> LoadedTerritory:
    """The territory with its zones and/or HADs replaced by a user's files.

    The communes (polygons, populations) stay the territory's; the centre too.
    Zones of HADs that the new HAD list lacks are errors, as are new HADs'
    sites in unknown communes.
    """
    if zones is None and hads is None:
        return loaded
    t = loaded.territory
    new_hads = read_hads(hads, loaded.communes_gdf) if hads is not None else t.hads
    had_ids = {h.id for h in new_hads}
    if zones is not None:
        new_zones = read_zones(
            zones, loaded.communes_gdf, min_share=min_share, had_ids=had_ids, repair=repair
        )
    else:
        new_zones = t.zones
        orphan = sorted(z.had_id for z in new_zones if z.had_id not in had_ids)
        if orphan:
            raise TerritoryError(
                f"{hads}: the territory's zone of HAD {orphan[0]!r} has no HAD in this file "
                f"(give --zones too)"
            )
    sources = [*loaded.manifest.sources]
    if hads is not None:
        sources.append(f"HADs: {hads}")
    if zones is not None:
        sources.append(f"zones: {zones}")
    manifest = loaded.manifest.model_copy(
        update={
            "sources": tuple(sources),
            "zones_source": str(zones) if zones is not None else loaded.manifest.zones_source,
        }
    )
    where = " + ".join(str(p) for p in (hads, zones) if p is not None)
    territory = assemble(manifest, loaded.communes_gdf, new_hads, new_zones, t.centre, where)
    return replace(loaded, territory=territory, manifest=manifest)


def parse_day(text: str, what: str = "--date") -> dt.date:
    """A ``YYYY-MM-DD`` date; anything else is an :class:`InputError` naming ``what``."""
    from hadplanner.errors import InputError
    from hadplanner.models.base import parse_day as day_of

    try:
        return day_of(text)
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None
