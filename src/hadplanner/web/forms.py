"""The coordinator's forms: what was typed, checked field by field, in French.

A form is turned into the same request (and event) the CLI reads from a file,
then validated by the same model (:func:`hadplanner.models.request.parse_request`);
the common mistakes are caught first with a French message next to their field,
and anything the model still refuses is shown next to the field its message names.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hadplanner.web.labels import ERRORS

CYCLE_ROWS = 3
"""Cycles the form offers (a request may hold more: use the API or the CLI)."""

_PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")

# The model's field paths, as the form names them.
_FIELD_OF_PATH = (
    ("patient.id", "pseudonym"),
    ("patient.weight_kg", "weight_kg"),
    ("patient.height_cm", "height_cm"),
    ("patient.home", "commune"),
    ("patient", "weight_kg"),
    ("access_status", "access_status"),
    ("supply_until", "supply_until"),
    ("change_mode", "change_mode"),
    *((f"cycles[{i}].start", f"start{i + 1}") for i in range(CYCLE_ROWS)),
    *((f"cycles[{i}].regimen", f"regimen{i + 1}") for i in range(CYCLE_ROWS)),
    *((f"cycles[{i}]", f"start{i + 1}") for i in range(CYCLE_ROWS)),
    ("cycles", "start1"),
)


@dataclass
class Checked:
    """A form's values as typed, its errors by field, and what it became when valid."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.general is None


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _fr(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _local(text: str) -> str | None:
    """``2027-04-05T10:00`` from the browser's field, or ``05/04/2027 10:00`` typed."""
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2})[:h](\d{2})", text)
    if m:
        d, mo, y, h, mi = (int(g) for g in m.groups())
        text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}"
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.strftime("%Y-%m-%dT%H:%M") if value.tzinfo is None and len(text) > 10 else None


def _day(text: str) -> str | None:
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        d, mo, y = (int(g) for g in m.groups())
        text = f"{y:04d}-{mo:02d}-{d:02d}"
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


_FRENCH = (
    (re.compile(r"^cycle (\d+) \(start ([^)]+)\) (overlaps|is closer than) cycle (\d+) plus "
                r"its (\d+) days off: it may start at (\S+) at the earliest$"),
     lambda m: (f"start{m.group(1)}",
                f"le cycle {m.group(1)} "
                f"{'chevauche le' if m.group(3) == 'overlaps' else 'est trop proche du'} "
                f"cycle {m.group(4)} et ses {m.group(5)} jours d'arrêt : il peut commencer au "
                f"plus tôt le {_fr_instant(m.group(6))}")),
    (re.compile(r"^cycle (\d+) is listed after cycle (\d+): list cycles in order$"),
     lambda m: (f"start{m.group(1)}", "les cycles doivent être dans l'ordre")),
)


def _fr_instant(text: str) -> str:
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return f"{t:%d/%m/%Y à %H:%M}"


def field_of(message: str) -> tuple[str | None, str]:
    """The form field a model message names (``request: patient.weight_kg: ...``), and
    the message without its location (in French for the model's usual refusals)."""
    text = message.removeprefix("request: ")
    for pattern, french in _FRENCH:
        m = pattern.match(text)
        if m:
            return french(m)
    for path, name in _FIELD_OF_PATH:
        if text.startswith(path + ":") or text.startswith(path + "."):
            return name, text.split(": ", 1)[1] if ": " in text else text
    return None, text


def patient_form(form: dict[str, str], state: Any) -> Checked:
    """Check the new-patient form; on success ``result`` is ``(Request, Identity)``."""
    from hadplanner.errors import InputError
    from hadplanner.models.drug import load_drug
    from hadplanner.models.request import BMI, HEIGHT_CM, WEIGHT_KG, parse_request
    from hadplanner.register.service import Identity
    from hadplanner.web.labels import ACCESS_NAMES, CHANGE_MODES

    v = {k: str(form.get(k, "")).strip()[:200] for k in (
        "pseudonym", "commune", "weight_kg", "height_cm", "access_status", "supply_until",
        "change_mode", "family_name", "given_name", "birth_date",
        *(f"start{i}" for i in range(1, CYCLE_ROWS + 1)),
        *(f"regimen{i}" for i in range(1, CYCLE_ROWS + 1)))}
    out = Checked(v)
    err = out.errors
    for name in ("pseudonym", "commune", "weight_kg", "height_cm"):
        if not v[name]:
            err[name] = ERRORS["required"]
    if v["pseudonym"] and not _PSEUDONYM.match(v["pseudonym"]):
        err["pseudonym"] = ERRORS["pseudonym"]
    insee = None
    if v["commune"]:
        insee, problem = state.commune_code(v["commune"])
        if problem:
            err["commune"] = ERRORS[problem].format(value=v["commune"])
        else:
            v["commune"] = state.commune_label(insee)
    numbers: dict[str, float] = {}
    for name, (low, high), unit, why in (
            ("weight_kg", WEIGHT_KG, "kg", "d'un nourrisson d'un mois au plus lourd des adultes"),
            ("height_cm", HEIGHT_CM, "cm", "d'un nourrisson d'un mois au plus grand des "
                                           "adultes")):
        if v[name] and name not in err:
            x = _number(v[name])
            if x is None:
                err[name] = ERRORS["number"].format(value=v[name])
            elif not low <= x <= high:
                err[name] = ERRORS["range"].format(low=_fr(low), high=_fr(high), unit=unit,
                                                   why=why)
            else:
                numbers[name] = x
    if len(numbers) == 2:
        bmi = numbers["weight_kg"] / (numbers["height_cm"] / 100) ** 2
        if not BMI[0] <= bmi <= BMI[1]:
            err["weight_kg"] = ERRORS["bmi"].format(
                w=_fr(numbers["weight_kg"]), h=_fr(numbers["height_cm"]),
                bmi=_fr(round(bmi, 1)), low=_fr(BMI[0]), high=_fr(BMI[1]))
    access = v["access_status"] or "amm"
    if access not in ACCESS_NAMES:
        err["access_status"] = ERRORS["choice"]
    supply: str | None = None
    if access == "continuity":
        if not v["supply_until"]:
            err["supply_until"] = ERRORS["supply"]
        else:
            supply = _day(v["supply_until"])
            if supply is None:
                err["supply_until"] = ERRORS["date"].format(value=v["supply_until"])
    mode = v["change_mode"] or "had_nurse"
    if mode not in CHANGE_MODES:
        err["change_mode"] = ERRORS["choice"]
    regimens = load_drug("blinatumomab").regimens
    cycles = []
    for i in range(1, CYCLE_ROWS + 1):
        start, regimen = v[f"start{i}"], v[f"regimen{i}"]
        if not start and (not regimen or i > 1):
            if i == 1:
                err["start1"] = ERRORS["no_cycle"]
            continue
        when: str | None = _local(start) if start else None
        if not start:
            err[f"start{i}"] = ERRORS["cycle_pair"]
        elif when is None:
            err[f"start{i}"] = ERRORS["datetime"].format(value=start)
        if regimen not in regimens:
            err[f"regimen{i}"] = ERRORS["choice"]
        if when is not None and regimen in regimens:
            cycles.append({"number": i, "start": when, "regimen": regimen})
    birth: str | None = None
    if v["birth_date"]:
        birth = _day(v["birth_date"])
        if birth is None:
            err["birth_date"] = ERRORS["date"].format(value=v["birth_date"])
    if err:
        return out
    data: dict[str, Any] = {
        "patient": {"id": v["pseudonym"], "weight_kg": numbers["weight_kg"],
                    "height_cm": numbers["height_cm"], "home": {"commune": insee}},
        "drug": "blinatumomab", "access_status": access, "change_mode": mode,
        "cycles": cycles,
    }
    if supply is not None:
        data["supply_until"] = supply
    try:
        request = parse_request(data, "request")
    except InputError as exc:
        where, text = field_of(str(exc))
        if where is None:
            out.general = ERRORS["other"].format(why=text)
        else:
            raw = str(exc).removeprefix("request: ")
            french = any(p.match(raw) for p, _ in _FRENCH)
            err[where] = text if french else ERRORS["other"].format(why=text)
        return out
    out.result = (request, Identity(v["family_name"] or None, v["given_name"] or None, birth))
    return out


EVENT_FIELDS = ("kind", "at", "until", "rate", "note")


def event_form(form: dict[str, str]) -> Checked:
    """Check the event form; on success ``result`` is the ``Event``.

    Raises
    ------
    ImportError
        The events' domain (``register/events.py``) is not installed.
    """
    from hadplanner.errors import InputError
    from hadplanner.register.events import Event
    from hadplanner.web.labels import EVENT_NAMES

    v = {k: str(form.get(k, "")).strip()[:500] for k in EVENT_FIELDS}
    out = Checked(v)
    err = out.errors
    kind = v["kind"]
    if kind not in EVENT_NAMES:
        err["kind"] = ERRORS["choice"]
    closure = kind in ("had_unavailable", "pui_closed")
    data: dict[str, Any] = {"kind": kind, "note": v["note"]}
    for name in ("at", "until"):
        text = v[name]
        if not text:
            if name == "at" or kind in ("interruption", "readmission"):
                err[name] = ERRORS["required"]
            continue
        value: str | None = (_day(text) if len(text.strip()) <= 10 and closure
                             else _local(text))
        if value is None:
            err[name] = ERRORS["date" if closure else "datetime"].format(value=text)
        else:
            data[name] = value
    if kind == "dose_change":
        rate = _number(v["rate"]) if v["rate"] else None
        if rate is None or not 0.01 <= rate <= 1000:
            err["rate"] = ERRORS["event_rate"]
        else:
            data["rate_ug_per_day"] = rate
    if err:
        return out
    from hadplanner.io.validation import validate

    try:
        out.result = validate(Event, data, "event")
    except InputError as exc:
        text = str(exc).removeprefix("event: ")
        where = next((f for f in ("until", "at") if text.startswith(f + ":")), None)
        if where is None and text.startswith("rate_ug_per_day:"):
            where = "rate"
        if where is None:
            out.general = ERRORS["other"].format(why=text)
        else:
            err[where] = ERRORS["other"].format(why=text.split(": ", 1)[-1])
    return out
