"""The coordinator's file of one patient, printable (HTML to A4) and as JSON.

The HTML is rendered with Jinja2 from ``templates/pathway.html.j2`` (French by
default, English on request); it prints to A4 pages from any browser (``@page
{size: A4}``). When a derogation or a convention is needed, the request to the
ARS follows on its own page, always in French (it goes to a French agency),
ready to sign. The patient is named by the request's pseudonym only.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hadplanner.export import _labels as L
from hadplanner.pathway.choice import CareStatus
from hadplanner.pathway.coordinator import Pathway


def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("hadplanner.export", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )


def _num(value: float, lang: str, decimals: int = 0) -> str:
    return L.number(value, decimals, lang)


def _had_name(p: Pathway, had_id: str | None) -> str:
    if had_id is None:
        return ""
    for h in (*p.choice.zone_hads, *p.choice.candidates):
        if h.had_id == had_id:
            return h.name
    return had_id


def _had_rows(p: Pathway, standings: Any, lang: str, w: dict[str, Any]) -> list[tuple]:
    rows = []
    for s in standings:
        note = []
        if s.first_unauthorised is not None and s.authorised_until is not None:
            note.append(w["lapse"].format(date=L.date(s.first_unauthorised, lang)))
        elif s.authorised_until is not None:
            note.append(w["until"].format(date=L.date(s.authorised_until, lang)))
        if not s.in_zone and not s.within_limit:
            note.append(w["beyond"].format(limit=_num(p.choice.limit_min, lang)))
        if s.had_id == p.choice.had_id:
            note.append("← " + ("choisie" if lang == "fr" else "chosen"))
        rows.append((f"{s.name} ({s.had_id})", s.site,
                     "" if s.minutes is None else _num(s.minutes, lang),
                     w["yes"] if s.authorised_every_day else w["no"], "; ".join(note)))
    return rows


def _events(p: Pathway, lang: str, w: dict[str, Any]) -> list[tuple[str, str, str]]:
    words = w["events"]
    out: list[tuple[str, str, str]] = []
    monitoring: dict[int | None, list[dt.datetime]] = {}
    for e in p.timeline:
        if e.kind == "monitoring":
            monitoring.setdefault(e.cycle, []).append(e.start)
    seen_monitoring: set[int | None] = set()
    for e in p.timeline:
        who = L.changed_by(e.who, lang) if e.who else ""
        if e.kind == "monitoring":
            if e.cycle in seen_monitoring:
                continue
            seen_monitoring.add(e.cycle)
            days = monitoring[e.cycle]
            text = words["monitoring"].format(first=L.date(days[0], lang),
                                              last=L.date(days[-1], lang), n=len(days))
            out.append((L.date(days[0], lang), text, p.had.name if p.had else ""))
            continue
        if e.kind == "inpatient":
            text = words["inpatient"].format(end=L.when(e.end, lang)) if e.end else ""
        elif e.kind == "break":
            assert e.end is not None
            gap = round((e.end - e.start).total_seconds() / 86400)
            text = words["break"].format(days=gap, end=L.when(e.end, lang))
        elif e.kind == "bag_change":
            text = words["bag_change"].format(bag=e.bag, cycle=e.cycle)
        else:
            text = words[e.kind]
            who = p.had.name if p.had is not None and e.kind.startswith("had_") else who
        out.append((L.when(e.start, lang), text, who))
    return out


def _letter(p: Pathway) -> dict[str, Any] | None:
    if not p.letter_needed or p.had is None:
        return None
    c = p.choice
    chosen = p.choice.chosen
    zone = ", ".join(f"{s.name}" for s in c.zone_hads) or "aucune HAD"
    why_zone = "; ".join(
        f"{s.name} n'est pas autorisée à réaliser des chimiothérapies à domicile"
        + (f" (autorisation interrompue le {L.date(s.first_unauthorised, 'fr')})"
           if s.first_unauthorised is not None and s.authorised_until is not None else "")
        for s in c.zone_hads if not s.authorised_every_day) or "aucune HAD ne couvre la commune"
    admissions = [e.start for e in p.timeline if e.kind == "had_admission"]
    discharges = [e.start for e in p.timeline if e.kind == "had_discharge"]
    periods = list(zip(admissions, discharges, strict=True))
    at_home = " puis ".join(f"du {L.date(a, 'fr')} au {L.date(b, 'fr')}" for a, b in periods)
    minutes = _num(chosen.minutes or 0, "fr") if chosen is not None else "?"
    site = chosen.site if chosen is not None else "?"
    derog = c.status is CareStatus.derogation
    subject = (f"demande de dérogation pour la prise en charge en HAD d'un patient de "
               f"{c.commune} ({c.insee})" if derog else
               f"demande de validation d'une convention de prise en charge en HAD d'un patient "
               f"de {c.commune} ({c.insee})")
    body = [
        "Madame, Monsieur,",
        f"Le service prescripteur, {p.recourse.second}, prend en charge le patient "
        f"{p.patient_id} "
        f"(pseudonyme), domicilié à {c.commune} ({c.insee}), traité par {p.drug} en "
        f"perfusion continue de 28 jours, médicament de la réserve hospitalière ne pouvant "
        f"être administré à domicile que dans le cadre d'une hospitalisation à domicile. Le "
        f"patient sera à domicile {at_home}, avec un changement de poche tous les 1 à 4 jours "
        f"et une visite de surveillance quotidienne.",
        f"La commune relève de la zone d'intervention de : {zone}. "
        f"{why_zone[:1].upper()}{why_zone[1:]}.",
    ]
    if derog:
        body.append(
            f"L'établissement {p.had.name}, dont la zone d'intervention est limitrophe et qui "
            f"est autorisé à réaliser des chimiothérapies à domicile sur toute la durée du "
            f"traitement, peut assurer cette prise en charge : son site de {site} est à environ "
            f"{minutes} minutes de route du domicile, dans la limite de "
            f"{_num(c.limit_min, 'fr')} minutes des visites quotidiennes. Nous sollicitons une "
            f"dérogation permettant à cet établissement de prendre en charge ce patient.")
    else:
        body.append(
            f"L'établissement autorisé le plus proche dont la zone est limitrophe, "
            f"{p.had.name}, est à environ {minutes} minutes de route du domicile (site de "
            f"{site}), au-delà de la limite de {_num(c.limit_min, 'fr')} minutes des visites "
            f"quotidiennes. Nous sollicitons la validation d'une convention associant le service "
            f"prescripteur, la PUI de {p.centre}, {p.had.name} et des infirmiers libéraux "
            f"proches du domicile, précisant l'organisation des soins, la surveillance et la "
            f"conduite à tenir en cas de problème.")
    body.append(f"Premier recours : {p.recourse.hospital.name} ({p.recourse.hospital.town}). "
                f"Second recours : {p.recourse.second}.")
    body.append("Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
                "distinguées.")
    return {
        "sender": p.recourse.second,
        "place_date": f"{p.centre_town or p.centre}, le {L.date(p.decided_on, 'fr')}",
        "to": f"Agence régionale de santé Occitanie — délégation départementale "
              f"{L.department_fr(c.department)}",
        "subject": subject, "body": body,
        "sign": "Le médecin prescripteur (nom, signature) — Le coordonnateur du parcours",
    }


def _rule_line(d: Any, lang: str, w: dict[str, Any]) -> str:
    """A rule's answer in the file's language, with its seed sources."""
    rule = d.rule
    perm = rule.who.get(d.organisation)
    why = "" if perm is None else (perm.why_fr if lang == "fr" else perm.why_en)
    sources = "; ".join(str(s) for s in (perm.sources if perm and perm.sources
                                         else rule.sources))
    return w["rule_line"].format(rule=rule.name_fr if lang == "fr" else rule.name_en,
                                 org=w["orgs"][d.organisation.value],
                                 answer=w["answers"][d.answer.value], why=why.strip(),
                                 sources=sources)


def pathway_html(p: Pathway, lang: str = "fr") -> str:
    """The printable file (HTML, A4), French by default."""
    from hadplanner.export.plan_table import plan_table

    L.check_lang(lang)
    w = L.PATHWAY_LABELS[lang]
    c = p.choice
    chosen = c.chosen
    minutes = _num(chosen.minutes, lang) if chosen is not None and chosen.minutes else ""
    status_line = w["status"][c.status.value].format(
        had=_had_name(p, c.had_id), minutes=minutes if c.had_id else
        _num(c.day_hospital_minutes, lang), limit=_num(c.limit_min, lang))
    if p.had is not None and p.request.change_mode == "had_nurse":
        v = p.had.nurse_visits
        mode = w["mode_had"].format(open=f"{v.open:%H:%M}", close=f"{v.close:%H:%M}",
                                    hours=_num(p.transport_h, lang, 2),
                                    route=w["routes"][p.transport_route])
    else:
        mode = w["mode_dh"]
    ready: list[str] = []
    if p.readiness is not None:
        r = p.readiness
        ready.append(w["training"][r.training].format(
            n=r.patients_treated, last=L.date(r.last_patient, lang) if r.last_patient else ""))
        ready.append(w["pump"].format(pump=r.pump))
        ready.append(w["supply"].format(route=w["routes"][p.transport_route]))
        ready.append(w["capacity"].format(n=r.visit_capacity_per_day)
                     if r.visit_capacity_per_day else w["capacity_unknown"])
    else:
        ready.append(w["no_had"])
    h = p.recourse.hospital
    context = {
        "lang": lang, "w": w,
        "title": w["title"].format(patient=p.patient_id, drug=p.drug),
        "drawn": w["drawn"].format(date=L.date(p.decided_on, lang), centre=p.centre),
        "commune_line": w["commune"].format(commune=c.commune, insee=c.insee,
                                            dept=c.department) if c.insee else "",
        "access_line": w["access"].format(status=w["access_names"][c.access_status.value]),
        "status_line": status_line,
        "rules": [_rule_line(d, lang, w) for d in c.decisions],
        "had_tables": ([{"title": w["zone_hads"], "rows": _had_rows(p, c.zone_hads, lang, w)},
                        {"title": w["candidates"],
                         "rows": _had_rows(p, c.candidates, lang, w)}] if c.insee else []),
        "plan_for": w["plan_for"].format(mode=mode),
        "first_recourse": w["first"].format(name=h.name, town=h.town, km=_num(p.recourse.km,
                                                                            lang),
                                            minutes=_num(p.recourse.minutes, lang)),
        "hospital_note": h.notes,
        "second_recourse": w["second"].format(second=p.recourse.second),
        "ready": ready,
        "events": _events(p, lang, w),
        "plan_table": plan_table(p.plan, lang),
        "notes": list(p.notes) + list(p.plan.warnings),
        "letter": _letter(p),
    }
    return _env().get_template("pathway.html.j2").render(**context)


def pathway_json(p: Pathway) -> str:
    """The file as JSON: HADs by their ids in hads.yaml, candidates with status and minutes."""
    return json.dumps(p.as_dict(), ensure_ascii=False, indent=2) + "\n"
