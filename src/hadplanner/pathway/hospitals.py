"""Read a hospital list, and find a home's first-recourse hospital.

The first-recourse hospital of a patient is the nearest hospital with an
emergency department (see :mod:`hadplanner.models.hospital`). "Nearest" here is
the great-circle distance; a caller that needs the road time computes it for
the hospital returned (:func:`hadplanner.travel.transport_hours`).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hadplanner.errors import InputError
from hadplanner.io.reading import load_document
from hadplanner.io.validation import field_path, validate
from hadplanner.models.hospital import Hospital, HospitalList
from hadplanner.models.territory import Point
from hadplanner.travel import haversine_km

KIND = "hospitals"
"""Size-limit kind for :func:`hadplanner.io.reading.load_document`.
A hospital list is the size of an HAD list (a few tens of kB for a region);
a dedicated ``"hospitals"`` kind can replace this one in ``LIMITS``."""


def hospitals_path(territory: str | Path = "occitanie") -> Path:
    """The hospital list of a territory (``files.hospitals`` of its ``territory.yaml``).

    Raises
    ------
    InputError
        The territory declares no hospital list.
    """
    from hadplanner.territory.loading import read_manifest, resolve

    folder = resolve(territory)
    name = read_manifest(folder).files.hospitals if folder.is_dir() else "hospitals.yaml"
    if name is None:
        raise InputError(f"territory {str(territory)!r} declares no hospital list "
                         "(files.hospitals in territory.yaml)")
    return folder / name


def read_hospital_list(
    path: str | Path, known_insee: Collection[str] | None = None
) -> HospitalList:
    """A hospital list with its header (source, date, coverage).

    Parameters
    ----------
    path
        A YAML or JSON file: ``source``, ``date``, ``coverage``, ``hospitals:``.
    known_insee
        The INSEE codes accepted (the communes of a territory); None: any code
        of the right form.

    Raises
    ------
    InputError
        One line ``file:line: hospitals[3].finess: ...``: a missing or malformed
        field, a point outside France, two hospitals with one id or one FINESS,
        an INSEE code not in ``known_insee``.
    """
    doc = load_document(path, KIND)
    if not isinstance(doc.data, dict):
        raise InputError(f"{doc.path}: expected a mapping with 'source', 'date' and 'hospitals'")
    hl = validate(HospitalList, doc.data, doc.where)
    _check_unique(hl.hospitals, doc.where, "id")
    _check_unique(hl.hospitals, doc.where, "finess")
    if known_insee is not None:
        for i, h in enumerate(hl.hospitals):
            if h.insee not in known_insee:
                loc = ("hospitals", i, "insee")
                raise InputError(
                    f"{doc.where(loc)}: {field_path(loc)}: unknown INSEE code {h.insee} for "
                    f"{h.name!r} (not a commune of the territory)"
                )
    return hl


def _check_unique(hospitals: Sequence[Hospital], where: Any, field: str) -> None:
    first: dict[str, int] = {}
    for i, h in enumerate(hospitals):
        value = getattr(h, field)
        if value is None:
            continue
        if value in first:
            loc = ("hospitals", i, field)
            raise InputError(
                f"{where(loc)}: {field_path(loc)}: {value!r} is also hospitals[{first[value]}]'s "
                f"{field} (at {where(('hospitals', first[value], field))}): each hospital once"
            )
        first[value] = i


def read_hospitals(
    path: str | Path, known_insee: Collection[str] | None = None
) -> tuple[Hospital, ...]:
    """The hospitals of a list file (see :func:`read_hospital_list`), read once until it
    changes (the INSEE codes are checked on every call)."""
    from hadplanner.io.reading import file_stamp

    hospitals = _cached_list(file_stamp(path)).hospitals
    if known_insee is not None:
        unknown = [h for h in hospitals if h.insee not in known_insee]
        if unknown:
            read_hospital_list(path, known_insee)  # raises with the file and line
    return hospitals


@functools.lru_cache(maxsize=8)
def _cached_list(stamp: tuple[str, int, int]) -> HospitalList:
    return read_hospital_list(stamp[0])


def nearest_emergency(
    hospitals: Sequence[Hospital], point: Point, *, paediatric: bool = False
) -> tuple[Hospital, float]:
    """The nearest hospital with an emergency department, and its great-circle distance (km).

    Parameters
    ----------
    hospitals
        The candidates; those without an emergency department are skipped.
    point
        The patient's home.
    paediatric
        True for a child: paediatric-only emergency departments are candidates too.

    Raises
    ------
    ValueError
        No hospital of the list has a suitable emergency department.

    Ties go to the first hospital of the list, so the answer is deterministic.
    """
    candidates = [h for h in hospitals if h.emergency and (paediatric or not h.paediatric_only)]
    if not candidates:
        raise ValueError("no hospital with an emergency department in the list")
    lat = np.array([h.location.lat for h in candidates])
    lon = np.array([h.location.lon for h in candidates])
    km = haversine_km(point.lat, point.lon, lat, lon)
    best = int(np.argmin(km))
    return candidates[best], float(km[best])
