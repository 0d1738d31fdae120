"""A patient's plan as an HL7 FHIR Bundle, built and validated with ``fhir.resources``.

FHIR R4 family: the models of ``fhir.resources.R4B`` (FHIR 4.3, the R4 line;
the package's default is R5). The Bundle (type ``collection``) holds:

- ``Patient``: the pseudonym as identifier; no name, no birth date unless asked;
- ``Organization`` and ``Location``: the prescribing centre and its PUI, the
  HAD caring for the patient, the first-recourse hospital;
- ``MedicationRequest``: the drug, one dosage per dose step of each cycle
  (µg/day, continuous infusion, with its period);
- ``CarePlan``: the treatment, its activities referencing the tasks;
- ``Task``: one per bag change (``bag-change``: who hangs it, when, the bag's
  dose, volume, pump rate, expiry) and one per preparation
  (``bag-preparation``: the PUI, compounding ending at ``prepared_at``).

Every resource is validated by its ``fhir.resources`` model on construction;
the Bundle is validated whole.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hadplanner.models.plan import ChangedBy

SYSTEM = "urn:hadplanner"
"""Identifier system of hadplanner's own ids (pseudonyms, plan items)."""


def _ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds")


def _location(rid: str, name: str, lat: float, lon: float, org: str) -> dict[str, Any]:
    return {"resourceType": "Location", "id": rid, "name": name, "status": "active",
            "position": {"latitude": round(lat, 6), "longitude": round(lon, 6)},
            "managingOrganization": _ref("Organization", org)}


def patient_bundle(view: Any, *, territory: str = "occitanie", identity: Any = None) -> Any:
    """The FHIR Bundle of a register patient (pseudonymous unless ``identity`` is given).

    Parameters
    ----------
    view
        :class:`hadplanner.register.service.PatientView`.
    territory
        Where the HAD, the centre and the hospitals are described.
    identity
        :class:`hadplanner.register.service.Identity` to include (the user asked).
    """
    from fhir.resources.R4B.bundle import Bundle

    from hadplanner.pathway.hospitals import hospitals_path, nearest_emergency, read_hospitals
    from hadplanner.pathway.transport import commune_centre
    from hadplanner.territory.loading import load_territory

    terr = load_territory(territory).territory
    plan, request = view.plan, view.request
    pid = f"patient-{view.pseudonym}"
    resources: list[dict[str, Any]] = []
    patient: dict[str, Any] = {
        "resourceType": "Patient", "id": pid,
        "identifier": [{"system": f"{SYSTEM}:pseudonym", "value": view.pseudonym}],
    }
    if identity is not None and not identity.is_empty():
        name = {k: v for k, v in (("family", identity.family_name),
                                  ("given", [identity.given_name] if identity.given_name
                                   else None)) if v}
        if name:
            patient["name"] = [name]
        if identity.birth_date:
            patient["birthDate"] = identity.birth_date
    resources.append(patient)

    centre = terr.centre
    orgs: dict[str, str] = {}
    if centre is not None:
        orgs["centre"] = f"org-{centre.id}"
        resources.append({"resourceType": "Organization", "id": orgs["centre"],
                          "name": f"{centre.name} (PUI, service prescripteur, hôpital de jour)",
                          "type": [{"text": "centre prescripteur et PUI"}]})
        resources.append(_location(f"loc-{centre.id}", centre.name, centre.location.lat,
                                   centre.location.lon, orgs["centre"]))
    if view.had_id is not None:
        had = terr.had(view.had_id)
        orgs["had"] = f"org-{had.id}"
        resources.append({"resourceType": "Organization", "id": orgs["had"], "name": had.name,
                          "identifier": [{"system": f"{SYSTEM}:had", "value": had.id}],
                          "type": [{"text": "établissement d'hospitalisation à domicile"}]})
        site = had.main_site
        resources.append(_location(f"loc-{had.id}", f"{had.name} — {site.town}",
                                   site.location.lat, site.location.lon, orgs["had"]))
    home = request.patient.home
    if home is not None:
        point = (commune_centre(home.commune, territory) if home.commune is not None
                 else None)
        if point is None and home.lat is not None and home.lon is not None:
            from hadplanner.models.territory import Point

            point = Point(lat=home.lat, lon=home.lon)
        if point is not None:
            hosp, _km = nearest_emergency(read_hospitals(hospitals_path(territory)), point,
                                          paediatric=request.patient.weight_kg < 45)
            orgs["recourse"] = f"org-{hosp.id}"
            resources.append({"resourceType": "Organization", "id": orgs["recourse"],
                              "name": hosp.name,
                              "type": [{"text": "premier recours (urgences)"}]})
            resources.append(_location(f"loc-{hosp.id}", hosp.name, hosp.location.lat,
                                       hosp.location.lon, orgs["recourse"]))

    med_id = f"medreq-{view.pseudonym}"
    dosages = []
    for cycle in plan.cycles:
        steps: list[tuple[dt.datetime, float]] = []
        for bag in cycle.bags:
            if not steps or steps[-1][1] != bag.rate_ug_per_day:
                steps.append((bag.start, bag.rate_ug_per_day))
        for i, (start, rate) in enumerate(steps):
            end = steps[i + 1][0] if i + 1 < len(steps) else cycle.end
            dosages.append({
                "sequence": cycle.number,
                "text": f"cycle {cycle.number} : {rate:g} µg/jour en perfusion continue",
                "timing": {"repeat": {"boundsPeriod": {"start": _iso(start),
                                                       "end": _iso(end)}}},
                "route": {"text": "intraveineuse"},
                "doseAndRate": [{"rateRatio": {
                    "numerator": {"value": rate, "unit": "µg", "system":
                                  "http://unitsofmeasure.org", "code": "ug"},
                    "denominator": {"value": 1, "unit": "d", "system":
                                    "http://unitsofmeasure.org", "code": "d"}}}],
            })
    resources.append({
        "resourceType": "MedicationRequest", "id": med_id, "status": "active",
        "intent": "order", "subject": _ref("Patient", pid),
        "medicationCodeableConcept": {"text": f"{plan.drug} (perfusion continue 28 jours)"},
        "dosageInstruction": dosages,
    })

    tasks = []
    for cycle in plan.cycles:
        for bag in cycle.bags:
            key = f"{view.pseudonym}-c{cycle.number}-b{bag.index}"
            hung_by_had = bag.changed_by is ChangedBy.had_nurse
            owner = orgs.get("had") if hung_by_had else orgs.get("centre")
            change: dict[str, Any] = {
                "resourceType": "Task", "id": f"change-{key}", "status": "requested",
                "intent": "plan",
                "identifier": [{"system": f"{SYSTEM}:bag-change", "value": key}],
                "code": {"coding": [{"system": SYSTEM, "code": "bag-change"}],
                         "text": "Changement de poche"},
                "description": (f"Cycle {cycle.number}, poche {bag.index} : "
                                f"{bag.dose_ug:g} µg, {bag.volume_ml:g} mL à "
                                f"{bag.pump_rate_ml_h:g} mL/h, posée par "
                                f"{bag.changed_by.value}, périmée le "
                                f"{_iso(bag.expires_at)}"),
                "for": _ref("Patient", pid), "focus": _ref("MedicationRequest", med_id),
                "executionPeriod": {"start": _iso(bag.start), "end": _iso(bag.end)},
            }
            if owner:
                change["owner"] = _ref("Organization", owner)
            prep: dict[str, Any] = {
                "resourceType": "Task", "id": f"prep-{key}", "status": "requested",
                "intent": "plan",
                "identifier": [{"system": f"{SYSTEM}:bag-preparation", "value": key}],
                "code": {"coding": [{"system": SYSTEM, "code": "bag-preparation"}],
                         "text": "Préparation PUI"},
                "description": (f"Préparer la poche {bag.index} du cycle {cycle.number} : "
                                f"{bag.dose_ug:g} µg ({bag.vials} flacon(s)), "
                                f"{bag.drug_ml:g} mL reconstitués + {bag.nacl_ml:g} mL NaCl "
                                f"0,9 % + {bag.stabiliser_ml:g} mL stabilisant"),
                "for": _ref("Patient", pid), "focus": _ref("MedicationRequest", med_id),
                "executionPeriod": {"end": _iso(bag.prepared_at)},
            }
            if "centre" in orgs:
                prep["owner"] = _ref("Organization", orgs["centre"])
            tasks += [change, prep]
    resources.append({
        "resourceType": "CarePlan", "id": f"careplan-{view.pseudonym}", "status": "active",
        "intent": "plan", "subject": _ref("Patient", pid),
        "title": f"Plan de changements de poche — {plan.drug}",
        "period": {"start": _iso(plan.cycles[0].start), "end": _iso(plan.cycles[-1].end)},
        "activity": [{"reference": _ref("Task", t["id"])} for t in tasks],
    })
    resources += tasks
    bundle = Bundle.model_validate({
        "resourceType": "Bundle", "type": "collection",
        "timestamp": _iso(dt.datetime.now(dt.UTC)),
        "entry": [{"fullUrl": f"urn:hadplanner:{r['resourceType']}/{r['id']}", "resource": r}
                  for r in resources],
    })
    return bundle


def bundle_json(bundle: Any) -> str:
    """The Bundle as indented JSON text."""
    return json.dumps(json.loads(bundle.model_dump_json()), ensure_ascii=False, indent=2) + "\n"
