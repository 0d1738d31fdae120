"""The patients of the pharmacy's plan, from a folder of request files or the register.

Each request goes through the care pathway when it gives a home
(:func:`hadplanner.pathway.coordinator.build_pathway`): the HAD that cares
for the patient (whose visits a day are capped), its visit hours and the
road the bags travel, and the patient's own optimal plan for that care. A
request without a home is planned as ``hadplanner plan`` plans it (road time
from the settings or the default) and has no HAD. The joint model then only
sees plain data (:class:`PatientCase`).

A ``pharmacie.yaml`` (or ``.yml``/``.json``) in the folder holds the PUI's
settings (:class:`hadplanner.pharmacy.settings.PharmacySettings`), not a
patient.

:func:`cases_from_register` makes the same cases from the register's
patients (the web application's pharmacy screen) without running the pathway
again: the register keeps each request as planned (road time, the HAD's visit
hours) and the plan in force. A patient whose plan in force was re-planned
after an event is left out of the joint plan (planning them again from their
request would drop what the events changed) and said so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadplanner.errors import HadPlannerError, InputError
from hadplanner.models.plan import Plan
from hadplanner.models.request import Request
from hadplanner.pharmacy.settings import PharmacySettings

SETTINGS_NAMES = ("pharmacie.yaml", "pharmacie.yml", "pharmacie.json")
"""File names of the PUI's settings in a patients folder."""

REPLANNED = "plan réplanifié après un événement : gardé tel quel, hors plan commun"
"""Why a register patient is left out of the joint plan (:func:`cases_from_register`)."""


@dataclass(frozen=True)
class PatientCase:
    """One patient as the joint plan sees them.

    Attributes
    ----------
    request
        The request as planned (road time settled, the HAD's visit hours).
    own
        The patient's own optimal plan (checked, with the practice's baseline).
    had_id, had_name, had_capacity
        The HAD that changes the bags at home, and its visits a day from the
        territory (None: no HAD, or no capacity known).
    commune, centre
        The home's commune and the prescribing centre (for the sheets).
    source
        The request file.
    """

    request: Request
    own: Plan
    had_id: str | None = None
    had_name: str | None = None
    had_capacity: int | None = None
    commune: str | None = None
    centre: str = ""
    source: str = ""

    @property
    def patient_id(self) -> str:
        return self.request.patient.id


def request_files(folder: Path) -> list[Path]:
    """The request files of a folder (YAML or JSON), sorted, without the PUI's settings."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of request files")
    files = sorted(p for p in folder.iterdir()
                   if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file()
                   and p.name.lower() not in SETTINGS_NAMES)
    if not files:
        raise InputError(f"{folder}: no request file (.yaml, .yml, .json)")
    return files


def load_settings(folder: Path | None) -> PharmacySettings:
    """The PUI's settings of a patients folder (``pharmacie.yaml``), or the defaults."""
    if folder is None:
        return PharmacySettings()
    for name in SETTINGS_NAMES:
        path = folder / name
        if path.is_file():
            from hadplanner.io.reading import load_document
            from hadplanner.io.validation import validate

            doc = load_document(path, "pharmacy-settings")
            if doc.data is None:
                return PharmacySettings()
            if not isinstance(doc.data, dict):
                raise InputError(f"{path}: expected a mapping of settings")
            return validate(PharmacySettings, doc.data, doc.where)
    return PharmacySettings()


def load_cases(folder: Path, territory: str = "occitanie") -> list[PatientCase]:
    """Every patient of a folder of request files, with their care and own plan.

    Raises
    ------
    InputError
        A malformed request (file and line), two files for one patient.
    InfeasiblePlanError
        A patient with no safe plan of their own (the file is named).
    """
    from hadplanner.models.request import load_request

    files = request_files(folder)
    cases: list[PatientCase] = []
    index = None
    seen: dict[str, Path] = {}
    for path in files:
        request = load_request(path)
        pid = request.patient.id
        if pid in seen:
            raise InputError(f"{path}: patient {pid} is also in {seen[pid]}: one file a patient")
        seen[pid] = path
        try:
            if request.patient.home is not None:
                if index is None:
                    from hadplanner.territory.coverage import TerritoryIndex
                    from hadplanner.territory.loading import load_territory

                    index = TerritoryIndex.from_loaded(load_territory(territory))
                cases.append(_with_pathway(request, territory, index, path))
            else:
                cases.append(_alone(request, territory, path))
        except HadPlannerError as exc:
            raise type(exc)(f"{path.name}: {exc}") from None
    return cases


def _with_pathway(request: Request, territory: str, index: object, path: Path) -> PatientCase:
    from hadplanner.pathway.coordinator import build_pathway

    pw = build_pathway(request, territory, index=index)
    had = pw.had if pw.request.change_mode == "had_nurse" else None
    return PatientCase(request=pw.request, own=pw.plan,
                       had_id=had.id if had is not None else None,
                       had_name=had.name if had is not None else None,
                       had_capacity=had.visit_capacity_per_day if had is not None else None,
                       commune=pw.choice.commune or None, centre=pw.centre, source=str(path))


def _alone(request: Request, territory: str, path: Path) -> PatientCase:
    from hadplanner.pathway.transport import resolve_transport, with_transport
    from hadplanner.schedule.planner import plan_request

    planned = with_transport(request, resolve_transport(request, territory))
    return PatientCase(request=planned, own=plan_request(planned), source=str(path))


def cases_from_register(views: Iterable[Any], territory: str = "occitanie"
                        ) -> tuple[list[PatientCase], list[tuple[str, str]]]:
    """The register's patients as the joint plan sees them, and those it leaves out.

    Each :class:`~hadplanner.register.service.PatientView` already holds the
    request as planned (road time settled, the HAD's visit hours) and the
    plan in force: the case takes them as they are, without the pathway. The
    HAD (only when its nurses change the bags), its name and visits a day come
    from the territory's HAD list, the home's commune name and the prescribing
    centre from the territory's places (the light loader; a home given as a
    point needs the communes' polygons, loaded once per process).

    A patient with an event recorded, or whose plan in force is not the
    admission's (``plan_version`` > 1), is left out: the joint plan plans
    from the request and would drop what the events changed (an interruption,
    a bag moved). They come back in the second list with the reason (French,
    for the pharmacy's screen), and their plan in force stays as it is.

    Returns
    -------
    (cases, excluded)
        The cases in the views' order; ``(pseudonym, reason)`` of each patient
        left out.

    Raises
    ------
    TerritoryError
        The territory's files cannot be read.
    """
    cases: list[PatientCase] = []
    excluded: list[tuple[str, str]] = []
    hads: dict[str, Any] | None = None
    places = None
    for view in views:
        if view.events or view.plan_version > 1:
            excluded.append((view.pseudonym, REPLANNED))
            continue
        request: Request = view.request
        had = None
        if request.change_mode == "had_nurse" and view.had_id is not None:
            if hads is None:
                hads = _territory_hads(territory)
            had = hads.get(view.had_id)
        commune, centre = None, ""
        home = request.patient.home
        if home is not None:
            if places is None:
                from hadplanner.territory.loading import load_places

                places = load_places(territory)
            commune = _commune_name(home, places, territory)
            centre = places.centre.name if places.centre is not None else ""
        cases.append(PatientCase(
            request=request, own=view.plan,
            had_id=view.had_id if request.change_mode == "had_nurse" else None,
            had_name=had.name if had is not None else None,
            had_capacity=had.visit_capacity_per_day if had is not None else None,
            commune=commune, centre=centre, source=f"registre:{view.pseudonym}"))
    return cases, excluded


def _territory_hads(territory: str) -> dict[str, Any]:
    """The territory's HADs by id (``hads.yaml`` alone: no polygons, no zones)."""
    from hadplanner.territory.loading import read_hads_yaml, read_manifest, resolve

    folder = resolve(territory)
    return {h.id: h for h in read_hads_yaml(folder / read_manifest(folder).files.hads)}


def _commune_name(home: Any, places: Any, territory: str) -> str | None:
    """The name of the home's commune (as the pathway names it), None outside the territory."""
    insee = home.commune
    if insee is None and home.lat is not None and home.lon is not None:
        from hadplanner.territory.loading import load_territory

        insee = load_territory(territory).commune_at(home.lat, home.lon)
    if insee is None or insee not in places.communes:
        return None
    return str(places.communes[insee].name)
