"""Read the access rules (who may give the drug under each access status).

The shipped rules are ``data/access_rules.yaml``; see
:mod:`hadplanner.models.access` for what they say and how a decision is taken.
"""

from __future__ import annotations

import functools
from pathlib import Path

from hadplanner.errors import InputError
from hadplanner.io.reading import load_document
from hadplanner.io.validation import validate
from hadplanner.models.access import AccessRules
from hadplanner.paths import data_dir

KIND = "access-rules"
"""Size-limit kind for :func:`hadplanner.io.reading.load_document`: the rules
are a small reference file like the drug catalogue; a dedicated
``"access-rules"`` kind can replace this one in ``LIMITS``."""


def access_rules_path() -> Path:
    """The shipped rules: ``data/access_rules.yaml``."""
    return data_dir() / "access_rules.yaml"


def load_access_rules(path: str | Path | None = None) -> AccessRules:
    """The access rules of ``path`` (default: the shipped file), read once until it changes."""
    from hadplanner.io.reading import file_stamp

    return _cached_rules(file_stamp(access_rules_path() if path is None else path))


@functools.lru_cache(maxsize=8)
def _cached_rules(stamp: tuple[str, int, int]) -> AccessRules:
    return _read_access_rules(stamp[0])


def _read_access_rules(path: str | Path | None = None) -> AccessRules:
    """The access rules of ``path`` (default: the shipped ``data/access_rules.yaml``).

    Raises
    ------
    InputError
        One line ``file:line: rules[2].who.had.may: ...`` for a missing or
        malformed field, an unknown status or organisation, a status given
        twice or missing, a file that is not UTF-8.
    """
    doc = load_document(access_rules_path() if path is None else path, KIND)
    if not isinstance(doc.data, dict):
        raise InputError(f"{doc.path}: expected a mapping with 'drug', 'reviewed', 'rules'")
    rules = doc.data.get("rules")
    if isinstance(rules, list):
        first: dict[str, int] = {}
        for i, rule in enumerate(rules):
            status = rule.get("status") if isinstance(rule, dict) else None
            if not isinstance(status, str):
                continue
            if status in first:
                loc = ("rules", i, "status")
                raise InputError(
                    f"{doc.where(loc)}: rules[{i}].status: status {status!r} has two rules "
                    f"(first at {doc.where(('rules', first[status], 'status'))}): keep one"
                )
            first[status] = i
    return validate(AccessRules, doc.data, doc.where)
