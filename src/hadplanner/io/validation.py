"""Validating parsed data with a model, and saying what is wrong in the user's words.

Pydantic's messages name its own internals ("Tuple should have at least 1
item after validation", "Input tag 'x' found using 'kind'..."). Here each
error becomes one line in the user's terms: the field path as written in the
file (``cycles[1].start``), what is wrong, what would be accepted, and the
line of the file when it is known.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hadplanner.errors import InputError
from hadplanner.models.base import show

M = TypeVar("M", bound=BaseModel)


def field_path(loc: Sequence[Any]) -> str:
    """``cycles[1].start`` for the location ``("cycles", 1, "start")``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_of(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation can hold (through Optional, Annotated, unions, tuples, dicts)."""
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
            continue
        origin = typing.get_origin(a)
        if origin is typing.Annotated:
            stack.append(typing.get_args(a)[0])
        elif origin in (typing.Union, types.UnionType, tuple, list, frozenset, set, dict):
            stack.extend(x for x in typing.get_args(a) if x is not Ellipsis)
    return found


def clean_loc(model: type[BaseModel], loc: Sequence[Any]) -> tuple[tuple[Any, ...], list[str]]:
    """The location without pydantic's union tags and validator names, and the field
    names known where it ends (for "did you mean").
    """
    out: list[Any] = []
    candidates: list[type[BaseModel]] = [model]
    known: list[str] = sorted(model.model_fields)
    for part in loc:
        if isinstance(part, str) and part.startswith(("function-", "json-or-python")):
            continue
        if isinstance(part, int):
            out.append(part)
            continue
        tagged = [m for m in candidates if _tag_of(m) == part]
        if tagged and not any(part in m.model_fields for m in candidates):
            candidates = tagged
            known = sorted(tagged[0].model_fields)
            continue
        out.append(part)
        nxt: list[type[BaseModel]] = []
        for m in candidates:
            f = m.model_fields.get(part)
            if f is not None:
                nxt.extend(_model_of(f.annotation))
        if nxt:
            candidates = nxt
            known = sorted({name for m in nxt for name in m.model_fields})
        else:
            known = []
            # a dict key or a field without sub-fields: keep the candidates for tags
    return tuple(out), known


def _tag_of(model: type[BaseModel]) -> str | None:
    kind = model.model_fields.get("kind")
    if kind is None:
        return None
    args = typing.get_args(kind.annotation)
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


_TYPE_WORDS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "date_type": "a date YYYY-MM-DD",
    "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_inexact": "a date YYYY-MM-DD without a time",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "datetime_type": "a date-time YYYY-MM-DDTHH:MM",
    "datetime_parsing": "a date-time YYYY-MM-DDTHH:MM",
    "time_type": "a time of day HH:MM",
    "time_parsing": "a time of day HH:MM",
}


def describe(err: Any, known: Sequence[str] = ()) -> str:
    """One pydantic error, in words a user of hadplanner understands."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing":
        return "missing (required)"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1]) if err.get("loc") else "?"
        near = difflib.get_close_matches(name, list(known), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else (
            f" (known: {', '.join(known)})" if known and len(known) <= 20 else "")
        return f"unknown field{hint}"
    if kind == "value_error":
        msg = err["msg"]
        return msg.removeprefix("Value error, ")
    if kind == "assertion_error":
        return err["msg"].removeprefix("Assertion failed, ")
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}, got {show(value)}"
    if kind == "finite_number":
        return f"must be a finite number, got {show(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
                "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"must be {sign} {bound}, got {show(value)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        if isinstance(value, str):
            return "must not be empty"
        return f"must list at least {n} item{'s' if n != 1 else ''}"
    if kind == "too_long":
        n = ctx.get("max_length", "?")
        if isinstance(value, str):
            return f"is too long (at most {n} characters)"
        return f"lists too many items (at most {n})"
    if kind in ("string_too_short",):
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "string_pattern_mismatch":
        return f"{show(value)} is not in the expected form ({ctx.get('pattern')})"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"must be one of {expected}, got {show(value)}"
    if kind == "union_tag_invalid":
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"kind {show(ctx.get('tag'))} is unknown: use one of {expected}"
    if kind == "union_tag_not_found":
        return f"needs a {str(ctx.get('discriminator', 'kind')).strip(chr(39))} field"
    if kind == "frozen_instance":
        return "cannot be changed"
    return err["msg"]


def message(
    model: type[BaseModel],
    exc: ValidationError,
    where: Callable[[Sequence[Any]], str] | str,
    prefix: Sequence[Any] = (),
    names: dict[tuple[Any, ...], str] | None = None,
) -> str:
    """The one-line message for a validation error: ``file:line: field: what (and N more)``.

    Parameters
    ----------
    model
        The model validated (to name known fields and drop union tags).
    exc
        The error.
    where
        ``file`` or a function giving ``file:line`` for a location.
    prefix
        The location of the validated data inside the file (``("hads", 3)``).
    names
        The user's name for a model location, when the file is not shaped like
        the model (a CSV column: ``{("authorisations", 0, "valid_from"):
        "chemo_valid_from"}``); the longest matching start of the location wins.
    """
    errors = exc.errors()
    # A failing item of a list also makes pydantic report the list "too short":
    # report the item's own error first.
    # A misspelt field is reported as unknown before the field it lacks.
    errors.sort(key=lambda e: (e["type"] == "too_short", len(e["loc"]) == 0,
                               e["type"] != "extra_forbidden"))
    err = errors[0]
    loc, known = clean_loc(model, err["loc"])
    if err["type"] == "extra_forbidden":  # the fields of the mapping that has the stranger
        known = clean_loc(model, err["loc"][:-1])[1]
    full = (*prefix, *loc)
    place = where(full) if callable(where) else where
    text = describe(err, known)
    # Errors on a list or mapping that holds the first error are its echo, not more.
    first = tuple(err["loc"])
    others = {tuple(e["loc"]) for e in errors} - {first}
    more = len({o for o in others if first[:len(o)] != o})
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    name = field_path(full)
    for key in sorted(names or {}, key=len, reverse=True):
        if tuple(loc[:len(key)]) == key:
            name = (names or {})[key]
            break
    return f"{place}: {name}: {text}{tail}" if name else f"{place}: {text}{tail}"


def validate(
    model: type[M],
    data: Any,
    where: Callable[[Sequence[Any]], str] | str,
    prefix: Sequence[Any] = (),
    error: type[InputError] = InputError,
    names: dict[tuple[Any, ...], str] | None = None,
) -> M:
    """``model.model_validate(data)``, any error becoming one :class:`InputError` line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(message(model, exc, where, prefix, names)) from None
