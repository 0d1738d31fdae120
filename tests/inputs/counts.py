"""How many generated inputs the property tests checked, per kind and outcome."""

from __future__ import annotations

from collections import Counter

CHECKED: Counter[str] = Counter()
