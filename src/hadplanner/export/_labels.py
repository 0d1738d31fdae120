"""Words and date formats shared by the plan's outputs (table, calendar, timeline).

French is the default language of every output (the users are the coordinator
nurse, the pharmacy and the HAD teams of a French hospital); English is offered
for readers outside it. :func:`instant` always writes the UTC offset (files read
by programs); the printed tables use :func:`when`, which writes it only where
a local time happens twice (the autumn change, 02:00-03:00), and say once,
with :func:`offset_change_notes`, when the offset changes inside the table.

:data:`WORDS` is the one table of words shared by the outputs (both
languages); :func:`word` reads it.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo

from hadplanner.errors import InputError
from hadplanner.models.plan import ChangedBy

PARIS = ZoneInfo("Europe/Paris")

LANGS = ("fr", "en")

_WEEKDAYS = {
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

_WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_MONTHS = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        # Legal time (daylight saving) notes of the printed tables.
        "dst_spring": "Heure légale : passage à l'heure d'été le {day} à {clock} "
        "({before} -> {after}) ; les heures sont locales, les durées en heures réelles.",
        "dst_autumn": "Heure légale : passage à l'heure d'hiver le {day} à {clock} "
        "({before} -> {after}) ; les heures sont locales, les durées en heures réelles ; "
        "de {repeat_from} à {clock}, les heures vécues deux fois portent leur décalage UTC.",
        "dst_short": "{before} -> {after}",
        # The practice's moves away from its fixed days (plan table).
        "deviations": "Écarts de la pratique à ses jours fixes :",
        "no_deviation": "La pratique tient ses jours fixes sur toute la demande.",
        "dev_earlier": "Cycle {n} : changement du {fixed} avancé au {to} ({why})",
        "dev_later": "Cycle {n} : changement du {fixed} reporté au {to} ({why})",
        "dev_split": "Cycle {n} : changement du {fixed} remplacé par ceux du {to} ({why})",
        "dev_skipped": "Cycle {n} : pas de changement le {fixed} ({why})",
        "dev_extra": "Cycle {n} : changement supplémentaire le {to} ({why})",
        "and": "et",
        "public_holiday": "{name}",
        "production_closed": "PUI fermée",
        "day_hospital_closed": "hôpital de jour fermé",
        "had_nurse_closed": "pas de visite infirmière HAD",
        "bag_limit": "une poche ne peut pas durer jusqu'au jour fixe : durée maximale, stabilité",
        "early_preparation": "poche préparée avant son jour de pose, PUI fermée : "
        "sa stabilité ne va pas jusqu'au jour fixe",
        "too_close": "moins de 24 h après le changement précédent",
        "reaches_dose_change": "la poche en cours va jusqu'au changement de débit prescrit",
        "reaches_end": "la poche en cours va jusqu'à la fin du cycle",
        "before_boundary": "une poche ne peut pas durer jusqu'au changement de débit "
        "ou à la fin du cycle",
        # Territory summary: where the zones come from.
        "zones_reconstructed": "Zones : RECONSTITUÉES d'après la thèse, ce ne sont PAS les "
        "zones officielles de l'ARS (voir README.md).",
        "zones_source": "Zones : source indiquée par le territoire : « {source} ».",
    },
    "en": {
        "dst_spring": "Legal time: summer time starts on {day} at {clock} "
        "({before} -> {after}); times are local, durations in real hours.",
        "dst_autumn": "Legal time: summer time ends on {day} at {clock} "
        "({before} -> {after}); times are local, durations in real hours; "
        "from {repeat_from} to {clock}, times that happen twice carry their UTC offset.",
        "dst_short": "{before} -> {after}",
        "deviations": "Where the practice leaves its fixed days:",
        "no_deviation": "The practice keeps its fixed days throughout the request.",
        "dev_earlier": "Cycle {n}: the change of {fixed} brought forward to {to} ({why})",
        "dev_later": "Cycle {n}: the change of {fixed} put off to {to} ({why})",
        "dev_split": "Cycle {n}: the change of {fixed} replaced by changes on {to} ({why})",
        "dev_skipped": "Cycle {n}: no change on {fixed} ({why})",
        "dev_extra": "Cycle {n}: an extra change on {to} ({why})",
        "and": "and",
        "public_holiday": "{name}",
        "production_closed": "PUI closed",
        "day_hospital_closed": "day hospital closed",
        "had_nurse_closed": "no HAD nurse visit",
        "bag_limit": "a bag cannot last until the fixed day: maximum length, stability",
        "early_preparation": "bag prepared before the day it was hung, PUI closed: "
        "its stability does not reach the fixed day",
        "too_close": "less than 24 h after the previous change",
        "reaches_dose_change": "the bag in place lasts until the prescribed rate change",
        "reaches_end": "the bag in place lasts until the end of the cycle",
        "before_boundary": "a bag cannot last until the rate change or the end of the cycle",
        "zones_reconstructed": "Zones: RECONSTRUCTED from the thesis, NOT the official ARS "
        "zones (see README.md).",
        "zones_source": "Zones: source given by the territory: \"{source}\".",
    },
}

_CHANGED_BY = {
    "fr": {
        ChangedBy.inpatient: "hospitalisation",
        ChangedBy.day_hospital: "hôpital de jour",
        ChangedBy.had_nurse: "infirmier HAD",
    },
    "en": {
        ChangedBy.inpatient: "inpatient ward",
        ChangedBy.day_hospital: "day hospital",
        ChangedBy.had_nurse: "HAD nurse",
    },
}


def word(key: str, lang: str = "fr", **fields: object) -> str:
    """The text of `key` in `lang` from :data:`WORDS`, its ``{fields}`` filled in."""
    text = WORDS[lang][key]
    return text.format(**fields) if fields else text


def check_lang(lang: str) -> str:
    """Return `lang` if it is a supported output language.

    Raises
    ------
    InputError
        For anything but ``fr`` or ``en``.
    """
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def local(value: dt.datetime) -> dt.datetime:
    """`value` in Europe/Paris (the plan's instants may come in any zone)."""
    return value.astimezone(PARIS)


def offset(value: dt.datetime) -> str:
    """The UTC offset of a local instant, ``+01:00``."""
    off = local(value).utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def weekday(value: dt.date | dt.datetime, lang: str = "fr") -> str:
    """Short weekday name: ``lun.`` / ``Mon``."""
    if isinstance(value, dt.datetime):
        value = local(value)
    return _WEEKDAYS[lang][value.weekday()]


def weekday_code_label(code: str, lang: str = "fr") -> str:
    """``"mon"`` -> ``lun.`` / ``Mon``."""
    return _WEEKDAYS[lang][_WEEKDAY_CODES.index(code)]


def date(value: dt.date | dt.datetime, lang: str = "fr") -> str:
    """A day with its weekday: ``lun. 04/01/2027`` (``Mon 2027-01-04`` in English)."""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    if lang == "fr":
        return f"{weekday(value, lang)} {value:%d/%m/%Y}"
    return f"{weekday(value, lang)} {value:%Y-%m-%d}"


def instant(value: dt.datetime, lang: str = "fr") -> str:
    """A local instant with weekday and offset: ``lun. 04/01/2027 10:00 (+01:00)``."""
    loc = local(value)
    return f"{date(loc, lang)} {loc:%H:%M} ({offset(loc)})"


def month(value: dt.date | dt.datetime, lang: str = "fr") -> str:
    """Month and year: ``janv. 2027`` / ``Jan 2027``."""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return f"{_MONTHS[lang][value.month - 1]} {value.year}"


def day_month(value: dt.date | dt.datetime, lang: str = "fr") -> str:
    """Day and month without the year: ``04/01`` / ``4 Jan``."""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    if lang == "fr":
        return f"{value:%d/%m}"
    return f"{value.day} {_MONTHS[lang][value.month - 1]}"


def short_date(value: dt.date | dt.datetime, lang: str = "fr") -> str:
    """A day with its weekday, without the year: ``lun. 04/01`` / ``Mon 4 Jan``."""
    return f"{weekday(value, lang)} {day_month(value, lang)}"


def is_ambiguous(value: dt.datetime) -> bool:
    """True when the local wall time of `value` happens twice (autumn change, 02:00-03:00)."""
    loc = local(value)
    return loc.replace(fold=1 - loc.fold).utcoffset() != loc.utcoffset()


def when(value: dt.datetime, lang: str = "fr", *, year: bool = False) -> str:
    """A local instant for a printed table: ``lun. 04/01 10:00``.

    The UTC offset is written only when the local time happens twice (the
    autumn change): ``dim. 31/10 02:30 (+02:00)``. With `year`, the day is
    written as :func:`date` does (``lun. 04/01/2027 10:00``).
    """
    loc = local(value)
    day = date(loc, lang) if year else short_date(loc, lang)
    text = f"{day} {loc:%H:%M}"
    return f"{text} ({offset(loc)})" if is_ambiguous(loc) else text


def offset_changes(
    start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.timedelta, dt.timedelta]]:
    """The UTC offset changes of Europe/Paris in ``[start, end]``.

    Returns
    -------
    list
        ``(instant, offset before, offset after)`` in time order; `instant`
        is the first instant of the new offset, in Europe/Paris.
    """
    out = []
    day = local(start).date()
    last = local(end).date()
    while day <= last:
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
        nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
        if midnight.utcoffset() != nxt.utcoffset():
            t = midnight.astimezone(dt.UTC)
            before = midnight.utcoffset() or dt.timedelta(0)
            while (t.astimezone(PARIS).utcoffset() or dt.timedelta(0)) == before:
                t += dt.timedelta(minutes=15)
            change = t.astimezone(PARIS)
            after = change.utcoffset() or dt.timedelta(0)
            if start.astimezone(dt.UTC) <= t <= end.astimezone(dt.UTC):
                out.append((change, before, after))
        day += dt.timedelta(days=1)
    return out


def utc_label(off: dt.timedelta) -> str:
    """``UTC+1``, ``UTC+2``, ``UTC+5:30``."""
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def offset_change_notes(start: dt.datetime, end: dt.datetime, lang: str = "fr") -> list[str]:
    """One note line per legal-time change between `start` and `end` (none most of the year).

    The wall clock of the change is the one read before it: 02:00 in spring
    (clocks go to 03:00), 03:00 in autumn (clocks go back to 02:00).
    """
    notes = []
    for change, before, after in offset_changes(start, end):
        wall = (change.astimezone(dt.UTC) + before).replace(tzinfo=None)
        repeat = (change.astimezone(dt.UTC) + after).replace(tzinfo=None)
        key = "dst_spring" if after > before else "dst_autumn"
        notes.append(word(key, lang, day=date(change, lang), clock=f"{wall:%H:%M}",
                          before=utc_label(before), after=utc_label(after),
                          repeat_from=f"{repeat:%H:%M}"))
    return notes


@functools.lru_cache(maxsize=32)
def _holidays(year: int, lang: str) -> dict[dt.date, str]:
    import holidays

    return dict(holidays.France(years=year, language="fr" if lang == "fr" else "en_US"))


def holiday_name(day: dt.date, lang: str = "fr") -> str | None:
    """The French public holiday on `day` in `lang` (``Noël`` / ``Christmas Day``), or None."""
    return _holidays(day.year, lang).get(day)


def changed_by(who: ChangedBy | str, lang: str = "fr") -> str:
    """Who hangs a bag, in words."""
    return _CHANGED_BY[lang][ChangedBy(who)]


def number(value: float, decimals: int = 0, lang: str = "fr") -> str:
    """A number with thousands grouped: ``105 120`` / ``105,120``; decimals with ``,`` in French."""
    text = f"{value:,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", " ").replace(".", ",")
    return text


def euros(value: float, lang: str = "fr") -> str:
    """An amount in euros: ``105 120 €`` / ``EUR 105,120``."""
    if lang == "fr":
        return f"{number(value, 0, lang)} €"
    return f"EUR {number(value, 0, lang)}"


def hours(value: float, lang: str = "fr") -> str:
    """Hours with at most two decimals, trailing zeros dropped: ``72`` / ``95,5``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


# -- the HTML maps (export/coverage_map.py, export/territory_map.py) ------------------

MAP_LABELS: dict[str, dict[str, Any]] = {
    "fr": {
        # shared by both maps
        "legend": "Légende",
        "sites": "Sites des HAD",
        "main": "site principal",
        "annex": "site annexe",
        "authorised": "autorisée en chimiothérapie",
        "not_authorised": "non autorisée en chimiothérapie",
        "inhabitants": "habitants",
        "communes": "communes",
        "departments": "Limites des départements",
        "legend_departments": "Trait noir : limite de département (numéro)",
        "tiles": "Fond de carte OpenStreetMap (nécessite internet)",
        "reconstructed": "Zones reconstituées, non officielles",
        "zones_source": "Source des zones : {source}",
        # coverage map
        "cov_title": "Couverture HAD pour la chimiothérapie à domicile au {day}",
        "commune": "Commune",
        "population": "Population",
        "status": "Statut",
        "covering": "HAD de la zone",
        "candidates": "HAD candidates (dérogation)",
        "none": "aucune",
        "zone": "Zone : {name}",
        "status_layer": "{label} ({n} communes)",
        "rule": {
            "bordering": (
                "Dérogation possible : aucune HAD de la zone de la commune n'est autorisée, "
                "mais une HAD autorisée dont la zone est limitrophe atteint le centre de la "
                "commune en {limit} min au plus. Convention nécessaire : aucune ne le peut."
            ),
            "within_limit": (
                "Dérogation possible : aucune HAD de la zone de la commune n'est autorisée, "
                "mais une HAD autorisée (quelle que soit sa zone) atteint le centre de la "
                "commune en {limit} min au plus. Convention nécessaire : aucune ne le peut."
            ),
        },
        "no_zone": "Aucune HAD : la commune n'est dans aucune zone d'intervention.",
        "markers": "Carré : site principal ; rond : site annexe",
        "markers_fill": "Plein : HAD autorisée en chimiothérapie ; vide : non autorisée",
        "zones_hint": "Les zones d'intervention se cochent dans la liste des couches.",
        # territory map
        "terr_title": "Zones d'intervention des HAD — {name} — autorisations au {day}",
        "gap": "Sans HAD autorisée en chimiothérapie",
        "legal_status": "Statut",
        "auth": "Chimiothérapie au {day}",
        "yes": "oui",
        "no": "non",
        "patients": "Patients traités (thèse)",
        "legend_auth": "✚ autorisée en chimiothérapie (trait plein) ; tirets : non autorisée",
        "legend_sites": (
            "Grand cercle : site principal ; petit : site annexe ; pâle : non autorisée"
        ),
        "legend_gap": "Communes sans HAD autorisée en chimiothérapie : {n}",
        "basis": {"attached": "rattachée à", "associated": "établissement associé de"},
        "legal": {
            "public_hospital": "rattachée à un centre hospitalier public",
            "private_clinic": "rattachée à une clinique privée",
            "private_for_profit": "établissement privé à but lucratif",
            "private_non_profit": "établissement privé à but non lucratif",
        },
    },
    "en": {
        "legend": "Legend",
        "sites": "HAD sites",
        "main": "main site",
        "annex": "annex site",
        "authorised": "authorised for chemotherapy",
        "not_authorised": "not authorised for chemotherapy",
        "inhabitants": "inhabitants",
        "communes": "communes",
        "departments": "Department borders",
        "legend_departments": "Black line: department border (number)",
        "tiles": "OpenStreetMap background (needs internet)",
        "reconstructed": "Reconstructed zones, not official",
        "zones_source": "Zones source: {source}",
        "cov_title": "HAD coverage for home chemotherapy on {day}",
        "commune": "Commune",
        "population": "Population",
        "status": "Status",
        "covering": "Zone's HADs",
        "candidates": "Candidate HADs (derogation)",
        "none": "none",
        "zone": "Zone: {name}",
        "status_layer": "{label} ({n} communes)",
        "rule": {
            "bordering": (
                "Derogation possible: no HAD of the commune's zone is authorised, but an "
                "authorised HAD whose zone borders it reaches the commune centre within "
                "{limit} min. Convention needed: none can."
            ),
            "within_limit": (
                "Derogation possible: no HAD of the commune's zone is authorised, but an "
                "authorised HAD (of any zone) reaches the commune centre within {limit} min. "
                "Convention needed: none can."
            ),
        },
        "no_zone": "No HAD: the commune is in no intervention zone.",
        "markers": "Square: main site; circle: annex site",
        "markers_fill": "Filled: HAD authorised for chemotherapy; hollow: not authorised",
        "zones_hint": "Tick the intervention zones in the layer list.",
        "terr_title": "HAD intervention zones — {name} — authorisations on {day}",
        "gap": "No chemotherapy-authorised HAD",
        "legal_status": "Status",
        "auth": "Chemotherapy on {day}",
        "yes": "yes",
        "no": "no",
        "patients": "Patients treated (thesis)",
        "legend_auth": "✚ authorised for chemotherapy (solid line); dashed: not authorised",
        "legend_sites": "Large circle: main site; small: annex site; pale: not authorised",
        "legend_gap": "Communes with no chemotherapy-authorised HAD: {n}",
        "basis": {"attached": "attached to", "associated": "associated with"},
        "legal": {
            "public_hospital": "attached to a public hospital",
            "private_clinic": "attached to a private clinic",
            "private_for_profit": "private for-profit establishment",
            "private_non_profit": "private non-profit establishment",
        },
    },
}
"""Words of the two HTML maps, one table for both (``fr`` and ``en`` have the same keys)."""


def map_labels(lang: str = "fr") -> dict[str, Any]:
    """The map words of ``lang`` (checked: ``fr`` or ``en``)."""
    return MAP_LABELS[check_lang(lang)]


DEPARTMENT_NAMES = {
    "09": "de l'Ariège", "11": "de l'Aude", "12": "de l'Aveyron", "31": "de la Haute-Garonne",
    "32": "du Gers", "46": "du Lot", "65": "des Hautes-Pyrénées", "81": "du Tarn",
    "82": "du Tarn-et-Garonne",
}
"""French names (with their article) of the territory's departments, for letters."""


def department_fr(code: str) -> str:
    """``du Tarn (81)``; ``du département 34`` when the name is not in the table."""
    name = DEPARTMENT_NAMES.get(code)
    return f"{name} ({code})" if name else f"du département {code}"


PATHWAY_LABELS: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Dossier de coordination — patient {patient} — {drug}",
        "drawn": "Établi le {date} par {centre}. Patient désigné par son pseudonyme.",
        "care": "1. Prise en charge à domicile",
        "status": {
            "served": "Prise en charge par l'HAD de son secteur : {had}.",
            "derogation": "Aucune HAD de son secteur n'est autorisée pour la chimiothérapie à "
                          "domicile : prise en charge par {had}, HAD limitrophe à {minutes} min, "
                          "sur dérogation de l'ARS.",
            "convention": "Aucune HAD de son secteur n'est autorisée et aucune HAD limitrophe "
                          "n'est à moins de {limit} min : {had} ({minutes} min) prendrait le "
                          "patient par convention avec des infirmiers libéraux proches du "
                          "domicile, validée par l'ARS.",
            "home_care_provider": "Prise en charge à domicile par un prestataire de santé "
                                  "organisé par le centre prescripteur.",
            "sponsor_organisation": "Prise en charge à domicile selon l'organisation du "
                                    "promoteur de l'essai.",
            "day_hospital": "Pas de prise en charge possible à domicile : changements de poche "
                            "en hôpital de jour ({minutes} min de trajet pour le patient).",
            "ask": "Les sources ne disent pas qui peut administrer le médicament à domicile "
                   "sous ce statut : décision à prendre par le médecin et le pharmacien "
                   "(hôpital de jour en attendant).",
        },
        "commune": "Domicile : {commune} ({insee}), département {dept}.",
        "access": "Statut d'accès au médicament : {status}.",
        "access_names": {"amm": "AMM (réserve hospitalière)", "trial": "essai clinique",
                         "atu": "ATU", "aap": "accès précoce", "cpc": "cadre de prescription "
                         "compassionnelle", "continuity": "continuité de traitement"},
        "rule": "Règle appliquée",
        "rule_line": "{rule} — {org} : {answer}. {why} [{sources}]",
        "orgs": {"had": "HAD", "home_care_provider": "prestataire de santé",
                 "community_nurse": "infirmier libéral",
                 "sponsor_organisation": "organisation du promoteur",
                 "day_hospital": "hôpital de jour", "hospital": "hospitalisation"},
        "answers": {"yes": "oui", "no": "non", "conditional": "oui, sous condition",
                    "not_stated": "les sources ne le disent pas"},
        "zone_hads": "HAD du secteur du domicile",
        "candidates": "HAD limitrophes autorisées (candidates à une dérogation)",
        "cols_had": ("HAD", "site le plus proche", "trajet (min)", "autorisée tout le "
                     "traitement", "remarque"),
        "yes": "oui", "no": "non",
        "lapse": "autorisation interrompue le {date}",
        "until": "autorisation jusqu'au {date}",
        "beyond": "au-delà de {limit} min",
        "none": "aucune",
        "plan_for": "Le plan ci-dessous est fait pour cette prise en charge : {mode}.",
        "mode_had": "poches posées au domicile par l'infirmier de l'HAD ({open}-{close}), "
                    "acheminées en {hours} h ({route})",
        "mode_dh": "poches posées en hôpital de jour",
        "routes": {"courier": "coursier depuis la PUI", "had_fetches": "l'HAD récupère les "
                   "poches à la PUI", "had_pui": "PUI de l'HAD", "day_hospital": "hôpital de "
                   "jour"},
        "recourse": "2. Recours",
        "first": "Premier recours (urgences les plus proches du domicile) : {name}, {town} — "
                 "{km} km, environ {minutes} min de route.",
        "second": "Second recours : {second}.",
        "ready": "3. À organiser avant le premier jour à domicile",
        "training": {"needed": "Formation de l'équipe de l'HAD : nécessaire (aucun patient "
                               "traité par ce médicament, ou pas depuis plus d'un an).",
                     "to_confirm": "Formation de l'équipe de l'HAD : à confirmer ({n} patient(s) "
                                   "déjà traité(s), date du dernier inconnue).",
                     "not_needed": "Formation de l'équipe de l'HAD : non nécessaire (dernier "
                                   "patient le {last})."},
        "pump": "Pompe : {pump} (l'HAD doit en disposer).",
        "supply": "Circuit des poches : {route}.",
        "capacity": "Capacité de l'HAD : {n} visites de changement de poche par jour.",
        "capacity_unknown": "Capacité de visites de l'HAD : non renseignée.",
        "no_had": "Pas d'HAD : rien à organiser avec un établissement d'HAD.",
        "timeline": "4. Calendrier du traitement",
        "cols_time": ("date", "événement", "par"),
        "events": {
            "inpatient": "Hospitalisation (service d'hématologie) jusqu'au {end}",
            "had_admission": "Sortie d'hospitalisation, admission en HAD",
            "had_discharge": "Fin de la perfusion du cycle, sortie d'HAD",
            "bag_change": "Pose de la poche n° {bag} (cycle {cycle})",
            "day_hospital": "Venue en hôpital de jour",
            "monitoring": "Visites quotidiennes de surveillance du {first} au {last} ({n} "
                          "visites) : constantes, abord veineux, pompe et volume restant, "
                          "piles, test d'écriture",
            "break": "Intercure : {days} jours sans traitement, jusqu'au {end}",
        },
        "plan": "5. Plan de changements de poche",
        "notes": "Remarques",
        "letter": "Demande de dérogation à l'Agence régionale de santé",
        "letter_convention": "Demande de validation d'une convention à l'Agence régionale de "
                             "santé",
    },
    "en": {
        "title": "Care-pathway file — patient {patient} — {drug}",
        "drawn": "Drawn up on {date} by {centre}. The patient is named by a pseudonym.",
        "care": "1. Care at home",
        "status": {
            "served": "Cared for by the HAD of the home's zone: {had}.",
            "derogation": "No HAD of the home's zone is authorised for home chemotherapy: "
                          "{had}, a bordering HAD {minutes} min away, by ARS derogation.",
            "convention": "No HAD of the zone is authorised and no bordering HAD is within "
                          "{limit} min: {had} ({minutes} min) would take the patient with "
                          "liberal nurses near the home under a convention validated by the ARS.",
            "home_care_provider": "Cared for at home by a home-care provider organised by "
                                  "the prescribing centre.",
            "sponsor_organisation": "Cared for at home by the trial sponsor's organisation.",
            "day_hospital": "No care at home is possible: bag changes at the day hospital "
                            "({minutes} min travel for the patient).",
            "ask": "The sources do not say who may give the drug at home under this status: "
                   "the physician and the pharmacist must decide (day hospital meanwhile).",
        },
        "commune": "Home: {commune} ({insee}), department {dept}.",
        "access": "Access status of the drug: {status}.",
        "access_names": {"amm": "marketing authorisation (hospital reserve)",
                         "trial": "clinical trial", "atu": "temporary authorisation (ATU)",
                         "aap": "early access", "cpc": "compassionate framework",
                         "continuity": "continuity of treatment"},
        "rule": "Rule applied",
        "rule_line": "{rule} — {org}: {answer}. {why} [{sources}]",
        "orgs": {"had": "HAD", "home_care_provider": "home-care provider",
                 "community_nurse": "community nurse",
                 "sponsor_organisation": "sponsor's organisation",
                 "day_hospital": "day hospital", "hospital": "inpatient stay"},
        "answers": {"yes": "yes", "no": "no", "conditional": "yes, under a condition",
                    "not_stated": "the sources do not say"},
        "zone_hads": "HADs of the home's zone",
        "candidates": "Bordering authorised HADs (derogation candidates)",
        "cols_had": ("HAD", "nearest site", "minutes", "authorised throughout", "note"),
        "yes": "yes", "no": "no",
        "lapse": "authorisation lapses on {date}",
        "until": "authorised until {date}",
        "beyond": "beyond {limit} min",
        "none": "none",
        "plan_for": "The plan below is made for this care: {mode}.",
        "mode_had": "bags hung at home by the HAD nurse ({open}-{close}), carried in "
                    "{hours} h ({route})",
        "mode_dh": "bags hung at the day hospital",
        "routes": {"courier": "courier from the PUI", "had_fetches": "the HAD fetches the bags "
                   "at the PUI", "had_pui": "the HAD's PUI", "day_hospital": "day hospital"},
        "recourse": "2. Recourse",
        "first": "First recourse (nearest emergency department): {name}, {town} — {km} km, "
                 "about {minutes} min by road.",
        "second": "Second recourse: {second}.",
        "ready": "3. To arrange before the first day at home",
        "training": {"needed": "HAD team training: needed (no patient on this drug, or none "
                               "for more than a year).",
                     "to_confirm": "HAD team training: to confirm ({n} patient(s) treated, date "
                                   "of the last unknown).",
                     "not_needed": "HAD team training: not needed (last patient on {last})."},
        "pump": "Pump: {pump} (the HAD must have it).",
        "supply": "Bag supply: {route}.",
        "capacity": "HAD capacity: {n} bag-change visits a day.",
        "capacity_unknown": "HAD visit capacity: not given.",
        "no_had": "No HAD: nothing to arrange with an HAD establishment.",
        "timeline": "4. Treatment timeline",
        "cols_time": ("date", "event", "by"),
        "events": {
            "inpatient": "Inpatient stay (haematology) until {end}",
            "had_admission": "Discharge, admission to the HAD",
            "had_discharge": "End of the cycle's infusion, discharge from the HAD",
            "bag_change": "Bag {bag} hung (cycle {cycle})",
            "day_hospital": "Day-hospital visit",
            "monitoring": "Daily monitoring visits from {first} to {last} ({n} visits): vital "
                          "signs, catheter, pump and remaining volume, battery, handwriting test",
            "break": "Break: {days} days without treatment, until {end}",
        },
        "plan": "5. Bag-change plan",
        "notes": "Notes",
        "letter": "Request for a derogation to the regional health agency (ARS)",
        "letter_convention": "Request to validate a convention, to the regional health agency",
    },
}
"""Words of the coordinator's file (``export/pathway_file.py``)."""


PHARMACY_LABELS: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Plan de production PUI — blinatumomab, tous patients",
        "day_title": "Fiche de production du {day}",
        "horizon": "Horizon : du {start} au {end} ({weeks} semaines) ; {n} patient(s), "
                   "{bags} poche(s).",
        "frozen": "Figé jusqu'au {until} : {n} poche(s) inchangée(s) depuis le plan précédent.",
        "solver": "Solveur : {status} en {seconds} s ; objectif {objective}, borne {bound} "
                  "(écart {gap}) ; borne des flacons (moindre quantité de médicament) : {vials}.",
        "status": {"optimal": "optimal (prouvé)", "within_gap": "dans l'écart demandé",
                   "feasible": "réalisable (non prouvé optimal)"},
        "capacity": "Capacité : {day} préparation(s) par jour, {slot} par créneau de "
                    "{slot_min} min ; flacon reconstitué stable {stab} h à 2-8 °C.",
        "skipped": "Sans cure dans l'horizon : {ids}.",
        "cols": ("jour de production", "fin de préparation ({at})", "patient", "cure", "poche",
                 "pose ({at})", "péremption ({at})", "durée (h)", "surremplissage (h)",
                 "débit (µg/j)", "dose (µg)", "volume poche (mL)",
                 "blinatumomab reconstitué (mL)", "NaCl 0,9 % (mL)", "stabilisant (mL)",
                 "débit pompe (mL/h)", "posée par", "destination", "commune",
                 "départ PUI au plus tard ({at})", "lots (µg)", "reliquat utilisé (µg)"),
        "session_cols": ("jour de production", "préparations", "dose totale (µg)",
                         "flacons ouverts", "lots ouverts", "reliquats réutilisés (µg)",
                         "perte (µg)", "perte (€)", "au-delà de la capacité"),
        "lot_cols": ("lot", "reconstitué ({at})", "périmé ({at})", "flacons", "ouvert pour",
                     "poches servies", "perte (µg)", "perte (€)"),
        "cmp_cols": ("indicateur", "plan commun", "plans patient par patient", "pratique",
                     "unité"),
        "move_cols": ("patient", "cure", "poche", "préparée avant", "posée avant",
                      "fin avant", "préparée", "posée", "fin"),
        "html_cols": ("fin de prép.", "patient", "cure/poche", "pose", "destination", "commune",
                      "départ PUI au plus tard", "dose (µg)",
                      "volume = reconstitué + NaCl + stabilisant (mL)",
                      "débit µg/j / pompe mL/h", "durée + surremplissage (h)", "péremption",
                      "lots (µg)"),
        "figures": {
            "bags": ("poches", "poches"),
            "vials_per_bag": ("flacons sans partage", "flacons"),
            "vials": ("flacons avec lots partagés", "flacons"),
            "euros": ("coût des flacons", "€"),
            "waste_ug": ("médicament perdu", "µg"),
            "preparations_peak": ("préparations, jour le plus chargé", "préparations"),
            "preparations_mean": ("préparations par jour de production (moyenne)",
                                  "préparations"),
            "preparations_std": ("préparations par jour (écart type)", "préparations"),
            "days_over_capacity": ("jours au-delà de la capacité PUI", "jours"),
            "slots_over_capacity": ("créneaux au-delà de la capacité PUI", "créneaux"),
            "visits_peak": ("visites HAD, jour le plus chargé d'une HAD", "visites"),
            "visits_mean": ("visites HAD par jour de visite (moyenne)", "visites"),
            "days_over_had_capacity": ("jours au-delà de la capacité d'une HAD", "jours"),
            "day_hospital_trips": ("venues en hôpital de jour", "venues"),
        },
        "who": {"inpatient": "hospitalisation (hématologie)", "day_hospital": "hôpital de jour",
                "had_nurse": "domicile, {had}"},
        "reused": "reliquat",
        "new": "nouveau",
        "lot_line": "{lot} : {vials} flacon(s) reconstitué(s) {at}, à utiliser avant {until}",
        "day_total": "{n} préparation(s), {dose} µg ; {vials} flacon(s) ouvert(s) ; "
                     "{reused} µg de reliquats réutilisés ; perte {waste} µg ({eur}).",
        "comparison": "Comparaison sur les mêmes cures",
        "moves": "Poches déplacées depuis le plan précédent",
        "no_move": "Aucune poche déplacée.",
        "sessions": "Séances de production",
        "lots": "Lots de flacons reconstitués",
        "saved": "Le plan commun économise {n} flacon(s) ({eur}) sur les plans patient par "
                 "patient.",
        "practice_missing": "Pratique non calculée : {why}.",
        "contents_check": "Contenu des poches : {stab} mL de stabilisant par poche et un "
                          "débit unique de {rate} mL/h, valeurs par défaut de data/drugs.yaml "
                          "(copie secondaire du RCP, pratique de la thèse) : à vérifier sur "
                          "le RCP en vigueur.",
        "sheet": {"preparations": "préparations", "sessions": "séances", "lots": "lots",
                  "comparison": "comparaison", "moves": "déplacements"},
        "yes": "oui",
        "no": "non",
        "none": "—",
    },
    "en": {
        "title": "PUI production plan — blinatumomab, every patient",
        "day_title": "Production sheet, {day}",
        "horizon": "Horizon: {start} to {end} ({weeks} weeks); {n} patient(s), {bags} bag(s).",
        "frozen": "Frozen until {until}: {n} bag(s) unchanged since the previous plan.",
        "solver": "Solver: {status} in {seconds} s; objective {objective}, bound {bound} "
                  "(gap {gap}); vial bound (least drug): {vials}.",
        "status": {"optimal": "optimal (proven)", "within_gap": "within the requested gap",
                   "feasible": "feasible (not proven optimal)"},
        "capacity": "Capacity: {day} preparation(s) a day, {slot} per {slot_min}-min slot; "
                    "reconstituted vial stable {stab} h at 2-8 C.",
        "skipped": "No cycle in the horizon: {ids}.",
        "cols": ("production day", "prepared at ({at})", "patient", "cycle", "bag",
                 "hung at ({at})", "expires at ({at})", "duration (h)", "overfill (h)",
                 "rate (ug/day)", "dose (ug)", "bag volume (mL)", "reconstituted drug (mL)",
                 "NaCl 0.9% (mL)", "stabiliser (mL)", "pump rate (mL/h)", "hung by",
                 "destination", "commune", "leaves the PUI by ({at})", "lots (ug)",
                 "leftover used (ug)"),
        "session_cols": ("production day", "preparations", "total dose (ug)", "vials opened",
                         "lots opened", "leftovers reused (ug)", "waste (ug)", "waste (EUR)",
                         "over capacity"),
        "lot_cols": ("lot", "reconstituted ({at})", "expires ({at})", "vials", "opened for",
                     "bags served", "waste (ug)", "waste (EUR)"),
        "cmp_cols": ("indicator", "joint plan", "single-patient plans", "practice", "unit"),
        "move_cols": ("patient", "cycle", "bag", "prepared before", "hung before",
                      "ended before", "prepared", "hung", "ends"),
        "html_cols": ("prepared", "patient", "cycle/bag", "hung", "destination", "commune",
                      "leaves the PUI by", "dose (ug)",
                      "volume = drug + NaCl + stabiliser (mL)", "ug/day / pump mL/h",
                      "duration + overfill (h)", "expires", "lots (ug)"),
        "figures": {
            "bags": ("bags", "bags"),
            "vials_per_bag": ("vials without sharing", "vials"),
            "vials": ("vials with shared lots", "vials"),
            "euros": ("cost of the vials", "EUR"),
            "waste_ug": ("drug wasted", "ug"),
            "preparations_peak": ("preparations, busiest day", "preparations"),
            "preparations_mean": ("preparations a production day (mean)", "preparations"),
            "preparations_std": ("preparations a day (standard deviation)", "preparations"),
            "days_over_capacity": ("days over the PUI's capacity", "days"),
            "slots_over_capacity": ("slots over the PUI's capacity", "slots"),
            "visits_peak": ("HAD visits, an HAD's busiest day", "visits"),
            "visits_mean": ("HAD visits a visiting day (mean)", "visits"),
            "days_over_had_capacity": ("days over an HAD's capacity", "days"),
            "day_hospital_trips": ("day-hospital visits", "visits"),
        },
        "who": {"inpatient": "inpatient ward (haematology)", "day_hospital": "day hospital",
                "had_nurse": "home, {had}"},
        "reused": "leftover",
        "new": "new",
        "lot_line": "{lot}: {vials} vial(s) reconstituted {at}, use before {until}",
        "day_total": "{n} preparation(s), {dose} ug; {vials} vial(s) opened; {reused} ug of "
                     "leftovers reused; waste {waste} ug ({eur}).",
        "comparison": "Comparison on the same cycles",
        "moves": "Bags moved since the previous plan",
        "no_move": "No bag moved.",
        "sessions": "Production sessions",
        "lots": "Reconstituted vial lots",
        "saved": "The joint plan saves {n} vial(s) ({eur}) over the single-patient plans.",
        "practice_missing": "Practice not computed: {why}.",
        "contents_check": "Bag contents: {stab} mL of stabiliser per bag and one pump rate "
                          "of {rate} mL/h, defaults of data/drugs.yaml (a secondary copy of "
                          "the SmPC, the thesis's practice): check against the current SmPC.",
        "sheet": {"preparations": "preparations", "sessions": "sessions", "lots": "lots",
                  "comparison": "comparison", "moves": "moves"},
        "yes": "yes",
        "no": "no",
        "none": "—",
    },
}
"""Words of the PUI's joint production plan (``export/production_sheet.py``)."""
