"""Load a territory folder: communes (GeoJSON), HADs and centre (YAML), zones (CSV).

A territory folder holds::

    territory.yaml    manifest: name, departments, file names, sources
    communes.geojson  one feature per commune: insee, name, department,
                      population, lat, lon (+ epci, epci_code), polygon (WGS84)
    hads.yaml         the HAD establishments (``hads:`` list of HAD records)
    zones.csv         intervention zones, one ``had_id,insee`` row per commune
    centre.yaml       the prescribing centre (optional)

Every problem is raised as a :class:`~hadplanner.errors.TerritoryError` whose
one-line message names the file, the line or commune, and what is wrong.
Loading is cached per resolved folder: the returned object is shared, do not
mutate its GeoDataFrame.

Two loaders: :func:`load_territory` reads everything and builds the communes'
GeoDataFrame (geopandas, about a second); :func:`load_places` reads only the
communes' names and centres (the GeoJSON's properties, no polygons) and the
prescribing centre, in tens of milliseconds, for what needs no polygon: a
road time from the centre to a home commune, a calendar's place names. A
home given as a point needs the polygons (:meth:`LoadedTerritory.commune_at`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from hadplanner.errors import InputError, TerritoryError
from hadplanner.io.reading import Document, check_file, load_document, read_table
from hadplanner.io.validation import validate
from hadplanner.models.base import Day, Model, Text
from hadplanner.models.territory import (
    HAD,
    Commune,
    DepartmentCode,
    PrescribingCentre,
    Territory,
    Zone,
)
from hadplanner.paths import territory_dir

COMMUNE_COLUMNS = ("insee", "name", "department", "population", "lat", "lon")
"""Properties every commune feature must carry."""

_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class TerritoryFiles(Model):
    """File names inside a territory folder."""

    communes: Text = "communes.geojson"
    hads: Text = "hads.yaml"
    zones: Text = "zones.csv"
    centre: Text | None = "centre.yaml"
    hospitals: Text | None = "hospitals.yaml"
    """Hospitals with an emergency department (the pathway's first recourse)."""

    @field_validator("communes", "hads", "zones", "centre", "hospitals")
    @classmethod
    def _inside_the_folder(cls, value: str | None) -> str | None:
        if value is not None and (Path(value).is_absolute() or ".." in Path(value).parts):
            raise ValueError(f"{value!r}: a file name inside the territory folder")
        return value


class TerritoryManifest(Model):
    """``territory.yaml``: what the folder holds and where it comes from."""

    name: Text = Field(min_length=1)
    title: Text = ""
    departments: tuple[DepartmentCode, ...] = ()
    files: TerritoryFiles = TerritoryFiles()
    zones_source: Text = ""
    """How the zones were drawn (official list, or reconstruction)."""
    reference_date: Day | None = None
    """The day the territory's data describe (HADs, authorisations, zones): the
    default ``--date`` of every command on this territory; None: today."""
    sources: tuple[Text, ...] = ()


@dataclass(frozen=True)
class LoadedTerritory:
    """A validated territory and the polygons of its communes.

    Attributes
    ----------
    territory
        The domain model (communes, HADs, zones, centre), cross-references checked.
    communes_gdf
        GeoDataFrame indexed by INSEE code (``insee``), columns ``name``,
        ``department``, ``population``, ``lat``, ``lon``, ``geometry`` (plus
        ``epci``, ``epci_code`` when the file has them), CRS EPSG:4326.
    manifest
        The folder's ``territory.yaml`` (or defaults when absent).
    path
        The territory folder.
    """

    territory: Territory
    communes_gdf: Any
    manifest: TerritoryManifest
    path: Path

    def zone_communes(self, had_id: str) -> frozenset[str]:
        """INSEE codes of the zone of ``had_id`` (empty if it has none)."""
        zone = self.territory.zone_of(had_id)
        return zone.communes if zone else frozenset()

    def commune_at(self, lat: float, lon: float) -> str | None:
        """INSEE code of the commune containing the point; None outside every commune."""
        import numpy as np

        geoms = self.communes_gdf.geometry.to_numpy()
        row = int(locate_points(geoms, _tree_of(self.path, geoms), np.array([lat]),
                                np.array([lon]))[0])
        return None if row < 0 else str(self.communes_gdf.index[row])


_TREES: dict[Path, Any] = {}


def _tree_of(key: Path, geoms: Any) -> Any:
    import shapely

    if key not in _TREES or len(_TREES[key].geometries) != len(geoms):
        _TREES[key] = shapely.STRtree(geoms)
    return _TREES[key]


def locate_points(geoms: Any, tree: Any, lat: Any, lon: Any) -> Any:
    """Row of the commune polygon containing each point, -1 outside every commune.

    The one rule for placing a point (a home given by coordinates) in a
    commune, for the planner and the coverage alike: "intersects", so that a
    point on a shared boundary still finds a commune; the lowest row (INSEE
    order) wins, which keeps the answer deterministic.
    """
    import numpy as np
    import shapely

    pts = np.atleast_1d(shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)))
    p_idx, g_idx = tree.query(pts, predicate="intersects")
    out = np.full(len(pts), -1, dtype=np.int64)
    order = np.lexsort((g_idx, p_idx))
    p_sorted, g_sorted = p_idx[order], g_idx[order]
    first_p, first = np.unique(p_sorted, return_index=True)
    out[first_p] = g_sorted[first]
    return out


# -- readers ---------------------------------------------------------------------------


def _document(path: Path, kind: str) -> Document:
    try:
        return load_document(path, kind)
    except TerritoryError:
        raise
    except InputError as exc:
        raise TerritoryError(str(exc)) from None


def read_manifest(folder: Path) -> TerritoryManifest:
    """``territory.yaml`` of ``folder``, or defaults named after the folder."""
    path = folder / "territory.yaml"
    if not path.exists():
        return TerritoryManifest(name=folder.name)
    doc = _document(path, "territory")
    if not isinstance(doc.data, dict):
        raise TerritoryError(f"{path}: expected a mapping (name, departments, files...)")
    return validate(TerritoryManifest, doc.data, doc.where, error=TerritoryError)


def read_hads_yaml(path: str | Path) -> tuple[HAD, ...]:
    """The HADs of a YAML file: a ``hads:`` list (or a bare list) of HAD records.

    Raises
    ------
    TerritoryError
        Syntax error, a field that does not validate (``file:line: hads[3]
        (had-srd).authorisations[0].valid_from: ...``), a date not written
        ``YYYY-MM-DD``, or two HADs with one id.
    """
    doc = _document(Path(path), "hads")
    data: Any = doc.data
    root: tuple[Any, ...] = ()
    if isinstance(data, dict) and "hads" in data:
        unknown = sorted(str(k) for k in set(data) - {"hads"})
        if unknown:
            raise TerritoryError(
                f"{doc.path}: unknown top-level key {unknown[0]!r} (expected 'hads')")
        data, root = data["hads"], ("hads",)
    if not isinstance(data, list) or not data:
        raise TerritoryError(f"{doc.path}: expected a non-empty list of HADs under 'hads:'")
    hads: list[HAD] = []
    first_index: dict[str, int] = {}
    for i, item in enumerate(data):
        had = validate(HAD, item, doc.where, prefix=(*root, i), error=TerritoryError)
        if had.id in first_index:
            first = doc.where((*root, first_index[had.id]))
            raise TerritoryError(
                f"{doc.where((*root, i))}: {_loc((*root, i))} ({had.id}): duplicate HAD id "
                f"{had.id!r} (first at {first})"
            )
        first_index[had.id] = i
        hads.append(had)
    return tuple(hads)


def _loc(parts: Iterable[Any]) -> str:
    from hadplanner.io.validation import field_path

    return field_path(tuple(parts)) or "(top level)"


def read_centre_yaml(path: str | Path) -> PrescribingCentre:
    """The prescribing centre of a YAML file."""
    doc = _document(Path(path), "centre")
    if not isinstance(doc.data, dict):
        raise TerritoryError(f"{doc.path}: expected a mapping describing the prescribing centre")
    return validate(PrescribingCentre, doc.data, doc.where, error=TerritoryError)


def read_zones_csv(
    path: str | Path,
    communes: Collection[str] | None = None,
    had_ids: Collection[str] | None = None,
    source: str = "",
) -> tuple[Zone, ...]:
    """Zones from a CSV with columns ``had_id`` and ``insee`` (others are ignored).

    Parameters
    ----------
    path
        The CSV file (UTF-8, comma- or semicolon-separated, header on line 1).
    communes
        Known INSEE codes: a row naming another is an error. None: not checked.
    had_ids
        Known HAD ids: a row naming another is an error. None: not checked.
    source
        Recorded on each zone.

    Raises
    ------
    TerritoryError
        ``file:line: unknown INSEE code 99999`` and the like, for the first bad row.
    """
    try:
        table = read_table(path, "zones", ("had_id", "insee"), optional=None)
    except TerritoryError:
        raise
    except InputError as exc:
        raise TerritoryError(str(exc)) from None
    members: dict[str, set[str]] = {}
    first_row: dict[tuple[str, str], int] = {}
    for row in table.rows:
        where = table.where(row)
        had_id, code = row.get("had_id"), row.get("insee")
        if not had_id:
            raise TerritoryError(f"{where}: empty had_id")
        if not _INSEE.match(code):
            hint = ""
            if code.isdigit() and len(code) == 4:
                hint = f" (leading zero lost? write 0{code})"
            raise TerritoryError(f"{where}: not an INSEE commune code: {code!r}{hint}")
        if communes is not None and code not in communes:
            raise TerritoryError(f"{where}: unknown INSEE code {code}")
        if had_ids is not None and had_id not in had_ids:
            raise TerritoryError(f"{where}: unknown HAD id {had_id!r}")
        if (had_id, code) in first_row:
            raise TerritoryError(
                f"{where}: commune {code} is listed twice for {had_id!r} "
                f"(first at line {first_row[(had_id, code)]})")
        first_row[(had_id, code)] = row.line
        members.setdefault(had_id, set()).add(code)
    if not members:
        raise TerritoryError(f"{table.path}: no zone rows after the header")
    return tuple(
        Zone(had_id=h, communes=frozenset(c), source=source) for h, c in sorted(members.items())
    )


def read_communes(path: str | Path):
    """The communes GeoDataFrame of a GeoJSON/GeoPackage file, checked.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``insee``, EPSG:4326.

    Raises
    ------
    TerritoryError
        Missing file or column, no CRS, a malformed or duplicate INSEE code, a
        missing, empty or invalid polygon (naming the first such commune).
    """
    import geopandas as gpd
    import shapely

    path = Path(path)
    try:
        check_file(path, "communes")
    except InputError as exc:
        raise TerritoryError(str(exc)) from None
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL raise several unrelated types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TerritoryError(f"{path}: cannot read as a geographic file: {first}") from None
    missing = [c for c in COMMUNE_COLUMNS if c not in gdf.columns]
    if missing:
        raise TerritoryError(f"{path}: missing property {missing[0]!r} on the features")
    if gdf.crs is None:
        raise TerritoryError(f"{path}: no coordinate reference system (expected EPSG:4326)")
    if gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    gdf["insee"] = gdf["insee"].astype(str)
    bad = ~gdf["insee"].str.match(_INSEE.pattern)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise TerritoryError(
            f"{path}: feature {i + 1}: not an INSEE commune code: {gdf['insee'].iloc[i]!r}"
        )
    dup = gdf["insee"].duplicated(keep=False)
    if dup.any():
        code = gdf.loc[dup, "insee"].iloc[0]
        rows = (gdf.index[gdf["insee"] == code] + 1).tolist()
        raise TerritoryError(
            f"{path}: duplicate INSEE code {code} (features {', '.join(map(str, rows))})"
        )
    geoms = gdf.geometry.to_numpy()
    broken = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if broken.any():
        i = int(broken.nonzero()[0][0])
        raise TerritoryError(
            f"{path}: commune {gdf['insee'].iloc[i]} ({gdf['name'].iloc[i]}): no polygon"
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        i = int(invalid.nonzero()[0][0])
        reason = shapely.is_valid_reason(geoms[i])
        more = int(invalid.sum()) - 1
        tail = f" (and {more} more)" if more else ""
        raise TerritoryError(
            f"{path}: commune {gdf['insee'].iloc[i]} ({gdf['name'].iloc[i]}): "
            f"invalid geometry: {reason}{tail}"
        )
    import numpy as np
    import pandas as pd

    for col in ("population", "lat", "lon"):
        if not pd.api.types.is_numeric_dtype(gdf[col]) or pd.api.types.is_bool_dtype(gdf[col]):
            # The whole column is text: name the first value that is not even a number.
            parsed = pd.to_numeric(gdf[col], errors="coerce")
            bad_rows = parsed.isna().to_numpy().nonzero()[0]
            i = int(bad_rows[0]) if len(bad_rows) else 0
            raise TerritoryError(
                f"{path}: commune {gdf['insee'].iloc[i]}: {col} must be a number in the file, "
                f"got {gdf[col].iloc[i]!r}")
        values = pd.to_numeric(gdf[col], errors="coerce")
        bad_value = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if col == "population":
            bad_value |= (values < 0) | (values != values.round())
        if bad_value.any():
            i = int(bad_value.to_numpy().nonzero()[0][0])
            raise TerritoryError(
                f"{path}: commune {gdf['insee'].iloc[i]}: {col} must be a "
                f"{'whole number >= 0' if col == 'population' else 'finite number'}, "
                f"got {gdf[col].iloc[i]!r}")
        gdf[col] = values
    gdf["department"] = gdf["department"].astype(str)
    gdf["population"] = gdf["population"].astype("int64")
    return gdf.set_index("insee")


def communes_of(gdf, path: Path | None = None) -> dict[str, Commune]:
    """Domain :class:`Commune` records of a communes GeoDataFrame, keyed by INSEE code."""
    out: dict[str, Commune] = {}
    cols = zip(
        gdf.index,
        gdf["name"],
        gdf["department"],
        gdf["population"],
        gdf["lat"],
        gdf["lon"],
        strict=True,
    )
    where = f"{path or 'communes'}: commune"
    for code, name, dept, pop, lat, lon in cols:
        record = {"insee": code, "name": name, "department": dept, "population": int(pop),
                  "centre": {"lat": float(lat), "lon": float(lon)}}
        out[code] = validate(Commune, record, f"{where} {code}", error=TerritoryError)
    return out


def assemble(
    manifest: TerritoryManifest,
    communes_gdf,
    hads: tuple[HAD, ...],
    zones: tuple[Zone, ...],
    centre: PrescribingCentre | None,
    where: Path | str,
) -> Territory:
    """Build and cross-check the :class:`Territory`; errors name ``where``."""
    communes = communes_of(communes_gdf, Path(where))
    known = set(communes)
    for had in hads:
        for site in had.sites:
            if site.insee not in known:
                raise TerritoryError(
                    f"{where}: HAD {had.id!r}: site {site.town!r} has unknown INSEE code "
                    f"{site.insee}"
                )
    departments = manifest.departments or tuple(sorted(set(communes_gdf["department"])))
    source = "; ".join(manifest.sources)
    try:
        return Territory(
            name=manifest.name,
            departments=departments,
            communes=communes,
            hads=hads,
            zones=zones,
            centre=centre,
            source=source,
        )
    except ValidationError as exc:
        from hadplanner.io.validation import message

        raise TerritoryError(message(Territory, exc, str(where))) from None


@functools.lru_cache(maxsize=8)
def _load(folder: Path) -> LoadedTerritory:
    if not folder.is_dir():
        raise TerritoryError(f"{folder}: no such territory folder")
    manifest = read_manifest(folder)
    files = manifest.files
    gdf = read_communes(folder / files.communes)
    hads = read_hads_yaml(folder / files.hads)
    zones_path = folder / files.zones
    zones = read_zones_csv(
        zones_path,
        communes=set(gdf.index),
        had_ids={h.id for h in hads},
        source=manifest.zones_source,
    )
    centre = None
    if files.centre and (folder / files.centre).exists():
        centre = read_centre_yaml(folder / files.centre)
    territory = assemble(manifest, gdf, hads, zones, centre, folder)
    loaded = LoadedTerritory(territory=territory, communes_gdf=gdf, manifest=manifest, path=folder)
    _LOADED[folder] = loaded
    return loaded


_LOADED: dict[Path, LoadedTerritory] = {}
"""Territories loaded in full in this process: :func:`load_places` reuses them."""


@dataclass(frozen=True)
class TerritoryPlaces:
    """A territory's places without polygons: its communes and its prescribing centre.

    Attributes
    ----------
    name
        The territory's name (manifest).
    communes
        Domain :class:`Commune` records (name, department, population, centre)
        keyed by INSEE code, as :func:`load_territory` gives them (validated
        when looked up).
    centre
        The prescribing centre, None when the folder has none.
    path
        The territory folder.
    """

    name: str
    communes: Mapping[str, Commune]
    centre: PrescribingCentre | None
    path: Path


class CommuneTable(Mapping[str, Commune]):
    """Communes by INSEE code, each validated as a :class:`Commune` when first looked up.

    A plan looks up one commune among thousands: validating only that one
    keeps :func:`load_places` fast, with the same checks and messages for it.
    """

    def __init__(self, path: Path, records: dict[str, dict[str, Any]]) -> None:
        self._path = path
        self._records = records
        self._checked: dict[str, Commune] = {}

    def __getitem__(self, code: str) -> Commune:
        if code not in self._checked:
            record = self._records[code]  # KeyError: not a commune of the territory
            self._checked[code] = validate(Commune, record, f"{self._path}: commune {code}",
                                           error=TerritoryError)
        return self._checked[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


def read_commune_places(path: str | Path) -> CommuneTable:
    """The communes of a GeoJSON file from their properties alone (polygons are not read).

    Every feature must carry the properties :func:`read_communes` asks for, a
    well-formed INSEE code distinct from the others, and numbers (not text)
    for population and centre; a commune's values are validated (ranges,
    whole population) when it is looked up.

    Raises
    ------
    TerritoryError
        Missing or unreadable file, or the first feature lacking a property or
        with a bad or repeated INSEE code.
    """
    path = Path(path)
    try:
        check_file(path, "communes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except InputError as exc:
        raise TerritoryError(str(exc)) from None
    except (ValueError, OSError) as exc:  # not JSON, not UTF-8
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TerritoryError(f"{path}: cannot read as a geographic file: {first}") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise TerritoryError(f"{path}: cannot read as a geographic file: no 'features' list")
    records: dict[str, dict[str, Any]] = {}
    first_at: dict[str, int] = {}
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        missing = [c for c in COMMUNE_COLUMNS if props.get(c) is None]
        if missing:
            raise TerritoryError(f"{path}: feature {i + 1}: missing property {missing[0]!r}")
        code = str(props["insee"])
        if not _INSEE.match(code):
            raise TerritoryError(f"{path}: feature {i + 1}: not an INSEE commune code: {code!r}")
        if code in first_at:
            raise TerritoryError(f"{path}: duplicate INSEE code {code} (features "
                                 f"{first_at[code] + 1}, {i + 1})")
        first_at[code] = i
        for col in ("population", "lat", "lon"):
            value = props[col]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TerritoryError(f"{path}: commune {code}: {col} must be a number in the "
                                     f"file, got {value!r}")
        records[code] = {"insee": code, "name": props["name"],
                         "department": str(props["department"]),
                         "population": props["population"],
                         "centre": {"lat": props["lat"], "lon": props["lon"]}}
    return CommuneTable(path, records)


@functools.lru_cache(maxsize=8)
def _places(folder: Path) -> TerritoryPlaces:
    if folder in _LOADED:  # already loaded in full (``hadplanner run``): nothing to read
        full = _LOADED[folder]
        return TerritoryPlaces(name=full.manifest.name, communes=full.territory.communes,
                               centre=full.territory.centre, path=folder)
    if not folder.is_dir():
        raise TerritoryError(f"{folder}: no such territory folder")
    manifest = read_manifest(folder)
    files = manifest.files
    communes_path = folder / files.communes
    communes: Mapping[str, Commune]
    if communes_path.suffix.lower() in (".geojson", ".json"):
        communes = read_commune_places(communes_path)
    else:  # a GeoPackage has no text form to read without GDAL: the full loader
        communes = _load(folder).territory.communes
    centre = None
    if files.centre and (folder / files.centre).exists():
        centre = read_centre_yaml(folder / files.centre)
    return TerritoryPlaces(name=manifest.name, communes=communes, centre=centre, path=folder)


def load_places(name_or_path: str | Path = "occitanie") -> TerritoryPlaces:
    """A territory's communes (names, centres) and prescribing centre, without polygons.

    Cached per resolved folder, like :func:`load_territory`; much faster (no
    geopandas, no polygon), and free when the territory is already loaded in
    full. Enough for a road time to a home commune and for place names; a
    home given as a point needs :func:`load_territory`.

    Raises
    ------
    TerritoryError
        One line naming the file, the feature or commune, and what is wrong.
    """
    return _places(resolve(name_or_path))


def resolve(name_or_path: str | Path = "occitanie") -> Path:
    """The folder of a territory given by name (``occitanie``) or path."""
    return territory_dir(name_or_path).resolve()


def reference_day(name_or_path: str | Path = "occitanie") -> dt.date:
    """The default day of the commands: the territory's ``reference_date``, else today.

    Reads the manifest only (no polygons). A territory's data describe one
    period (the embedded Occitanie: the thesis's 2018); asking about another
    day must be a choice (``--date``), not an accident of the clock.
    """
    folder = resolve(name_or_path)
    if not folder.is_dir():
        raise TerritoryError(f"{folder}: no such territory folder")
    return read_manifest(folder).reference_date or dt.date.today()


def load_territory(name_or_path: str | Path = "occitanie") -> LoadedTerritory:
    """Load and check a territory folder (cached per resolved path).

    Parameters
    ----------
    name_or_path
        A territory name under ``territories/`` or a folder path.

    Raises
    ------
    TerritoryError
        One line naming the file, the line or commune, and what is wrong.
    """
    return _load(resolve(name_or_path))


def clear_cache() -> None:
    """Forget loaded territories (after editing their files in the same process)."""
    _load.cache_clear()
    _places.cache_clear()
    _LOADED.clear()
