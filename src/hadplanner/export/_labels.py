"""Words and date formats shared by the plan's outputs (table, calendar, timeline).

French is the default language of every output (the users are the coordinator
nurse, the pharmacy and the HAD teams of a French hospital); English is offered
for readers outside it. Dates always carry their UTC offset, because a plan can
straddle a daylight-saving change and "10:00" alone would then be ambiguous.
"""

from __future__ import annotations

import datetime as dt
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
