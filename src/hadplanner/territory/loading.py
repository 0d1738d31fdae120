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
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from hadplanner.errors import TerritoryError
from hadplanner.models.base import Model
from hadplanner.models.territory import (
    HAD,
    Commune,
    Point,
    PrescribingCentre,
    Territory,
    Zone,
)
from hadplanner.paths import territory_dir

COMMUNE_COLUMNS = ("insee", "name", "department", "population", "lat", "lon")
"""Properties every commune feature must carry."""

DATE_FIELDS = frozenset({"valid_from", "valid_until", "last_patient"})
"""YAML keys holding a date: only ``YYYY-MM-DD`` is accepted."""

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class TerritoryFiles(Model):
    """File names inside a territory folder."""

    communes: str = "communes.geojson"
    hads: str = "hads.yaml"
    zones: str = "zones.csv"
    centre: str | None = "centre.yaml"


class TerritoryManifest(Model):
    """``territory.yaml``: what the folder holds and where it comes from."""

    name: str = Field(min_length=1)
    title: str = ""
    departments: tuple[str, ...] = ()
    files: TerritoryFiles = TerritoryFiles()
    zones_source: str = ""
    """How the zones were drawn (official list, or reconstruction)."""
    sources: tuple[str, ...] = ()


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


# -- error formatting ------------------------------------------------------------------


def _loc(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _yaml_line(node: yaml.Node | None, path: Iterable[Any]) -> int | None:
    """1-based line of the deepest node of ``path`` found in a composed YAML tree."""
    line = None if node is None else node.start_mark.line + 1
    for key in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            nxt = node.value[key] if 0 <= key < len(node.value) else None
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def _where(path: Path, text: str | None, loc: Iterable[Any]) -> str:
    loc = list(loc)
    line = None
    if text is not None:
        try:
            line = _yaml_line(yaml.compose(text), loc)
        except yaml.YAMLError:
            line = None
    return f"{path}:{line}" if line else str(path)


def _first_error(exc: ValidationError) -> tuple[tuple[Any, ...], str]:
    err = exc.errors()[0]
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    more = len(exc.errors()) - 1
    if more:
        msg += f" (and {more} more error{'s' if more > 1 else ''})"
    return tuple(err["loc"]), msg


def _read_yaml(path: Path) -> tuple[Any, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TerritoryError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TerritoryError(f"{path}: cannot read: {exc}") from None
    try:
        # The C loader when PyYAML has it: several times faster on hads.yaml.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TerritoryError(f"{where}: YAML syntax error: {problem}") from None
    return data, text


def _check_dates(data: Any, path: Path, text: str, loc: tuple[Any, ...] = ()) -> None:
    """Reject dates not written ``YYYY-MM-DD`` (pydantic would take timestamps, datetimes)."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*loc, key)
            if key in DATE_FIELDS and value is not None:
                ok = (isinstance(value, dt.date) and not isinstance(value, dt.datetime)) or (
                    isinstance(value, str) and _ISO_DATE.match(value)
                )
                if not ok:
                    raise TerritoryError(
                        f"{_where(path, text, here)}: {_loc(here)}: date must be YYYY-MM-DD, "
                        f"got {value!r}"
                    )
            else:
                _check_dates(value, path, text, here)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_dates(value, path, text, (*loc, i))


# -- readers ---------------------------------------------------------------------------


def read_manifest(folder: Path) -> TerritoryManifest:
    """``territory.yaml`` of ``folder``, or defaults named after the folder."""
    path = folder / "territory.yaml"
    if not path.exists():
        return TerritoryManifest(name=folder.name)
    data, text = _read_yaml(path)
    if not isinstance(data, dict):
        raise TerritoryError(f"{path}: expected a mapping (name, departments, files...)")
    try:
        return TerritoryManifest.model_validate(data)
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        raise TerritoryError(f"{_where(path, text, loc)}: {_loc(loc)}: {msg}") from None


def read_hads_yaml(path: str | Path) -> tuple[HAD, ...]:
    """The HADs of a YAML file: a ``hads:`` list (or a bare list) of HAD records.

    Raises
    ------
    TerritoryError
        Syntax error, a field that does not validate (``file:line: hads[3]
        (had-srd).authorisations[0].valid_from: ...``), a date not written
        ``YYYY-MM-DD``, or two HADs with one id.
    """
    path = Path(path)
    data, text = _read_yaml(path)
    root: tuple[Any, ...] = ()
    if isinstance(data, dict) and "hads" in data:
        unknown = sorted(set(data) - {"hads"})
        if unknown:
            raise TerritoryError(f"{path}: unknown top-level key {unknown[0]!r} (expected 'hads')")
        data, root = data["hads"], ("hads",)
    if not isinstance(data, list) or not data:
        raise TerritoryError(f"{path}: expected a non-empty list of HADs under 'hads:'")
    _check_dates(data, path, text, root)
    hads: list[HAD] = []
    first_index: dict[str, int] = {}
    for i, item in enumerate(data):
        label = f"{_loc((*root, i))}"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            label += f" ({item['id']})"
        try:
            had = HAD.model_validate(item)
        except ValidationError as exc:
            loc, msg = _first_error(exc)
            where = _where(path, text, (*root, i, *loc))
            field = _loc(loc) if loc else "record"
            raise TerritoryError(f"{where}: {label}: {field}: {msg}") from None
        if had.id in first_index:
            # Lines are looked up only on error: composing the YAML tree is slow.
            first = _where(path, text, (*root, first_index[had.id]))
            raise TerritoryError(
                f"{_where(path, text, (*root, i))}: {label}: duplicate HAD id {had.id!r} "
                f"(first at {first})"
            )
        first_index[had.id] = i
        hads.append(had)
    return tuple(hads)


def read_centre_yaml(path: str | Path) -> PrescribingCentre:
    """The prescribing centre of a YAML file."""
    path = Path(path)
    data, text = _read_yaml(path)
    if not isinstance(data, dict):
        raise TerritoryError(f"{path}: expected a mapping describing the prescribing centre")
    _check_dates(data, path, text)
    try:
        return PrescribingCentre.model_validate(data)
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        raise TerritoryError(f"{_where(path, text, loc)}: {_loc(loc)}: {msg}") from None


def read_csv_lines(path: Path, expected: str) -> tuple[list[str], str]:
    """The lines of a user's CSV file and its delimiter (``,`` or ``;``).

    Raises
    ------
    TerritoryError
        The file is missing, unreadable or empty (``expected`` says what it should hold).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TerritoryError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TerritoryError(f"{path}: cannot read: {exc}") from None
    lines = text.splitlines()
    if not lines:
        raise TerritoryError(f"{path}: empty file ({expected})")
    # Spreadsheets in French locales write ';'.
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    return lines, delimiter


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
    path = Path(path)
    lines, delimiter = read_csv_lines(path, "expected a header 'had_id,insee'")
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    for col in ("had_id", "insee"):
        if col not in header:
            raise TerritoryError(
                f"{path}:1: missing column {col!r} (header: {delimiter.join(header)})"
            )
    ih, ic = header.index("had_id"), header.index("insee")
    members: dict[str, set[str]] = {}
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) <= max(ih, ic):
            raise TerritoryError(f"{path}:{line}: expected columns had_id and insee, got {row}")
        had_id, code = row[ih].strip(), row[ic].strip()
        if not had_id:
            raise TerritoryError(f"{path}:{line}: empty had_id")
        if not _INSEE.match(code):
            hint = ""
            if code.isdigit() and len(code) == 4:
                hint = f" (leading zero lost? write 0{code})"
            raise TerritoryError(f"{path}:{line}: not an INSEE commune code: {code!r}{hint}")
        if communes is not None and code not in communes:
            raise TerritoryError(f"{path}:{line}: unknown INSEE code {code}")
        if had_ids is not None and had_id not in had_ids:
            raise TerritoryError(f"{path}:{line}: unknown HAD id {had_id!r}")
        members.setdefault(had_id, set()).add(code)
    if not members:
        raise TerritoryError(f"{path}: no zone rows after the header")
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
    if not path.exists():
        raise TerritoryError(f"{path}: file not found")
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
    for col in ("population", "lat", "lon"):
        if gdf[col].isna().any():
            code = gdf.loc[gdf[col].isna(), "insee"].iloc[0]
            raise TerritoryError(f"{path}: commune {code}: missing {col}")
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
    for code, name, dept, pop, lat, lon in cols:
        try:
            out[code] = Commune(
                insee=code,
                name=name,
                department=dept,
                population=int(pop),
                centre=Point(lat=float(lat), lon=float(lon)),
            )
        except ValidationError as exc:
            loc, msg = _first_error(exc)
            where = path or "communes"
            raise TerritoryError(f"{where}: commune {code}: {_loc(loc)}: {msg}") from None
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
        loc, msg = _first_error(exc)
        field = f"{_loc(loc)}: " if loc else ""
        raise TerritoryError(f"{where}: {field}{msg}") from None


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
    return LoadedTerritory(territory=territory, communes_gdf=gdf, manifest=manifest, path=folder)


def resolve(name_or_path: str | Path = "occitanie") -> Path:
    """The folder of a territory given by name (``occitanie``) or path."""
    return territory_dir(name_or_path).resolve()


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
