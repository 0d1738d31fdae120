"""Words and date formats shared by the plan's outputs (table, calendar, timeline).

French is the default language of every output (the users are the coordinator
nurse, the pharmacy and the HAD teams of a French hospital); English is offered
for readers outside it. Dates always carry their UTC offset, because a plan can
straddle a daylight-saving change and "10:00" alone would then be ambiguous.
"""

from __future__ import annotations

import datetime as dt
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
