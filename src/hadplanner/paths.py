"""Where hadplanner finds its shipped data (``data/``, ``territories/``, ``examples/``).

In a source checkout (editable install) these are the folders at the repository
root; in a wheel they are bundled under ``hadplanner/_bundled``. The environment
variable ``HADPLANNER_HOME`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def project_root() -> Path:
    """The folder holding ``data/`` and ``territories/``."""
    env = os.environ.get("HADPLANNER_HOME")
    if env:
        return Path(env)
    checkout = _PACKAGE.parent.parent
    if (checkout / "territories").is_dir() and (checkout / "data").is_dir():
        return checkout
    return _PACKAGE / "_bundled"


def data_dir() -> Path:
    return project_root() / "data"


def territories_dir() -> Path:
    return project_root() / "territories"


def examples_dir() -> Path:
    return project_root() / "examples"


def territory_dir(name_or_path: str | Path) -> Path:
    """A territory by name (``occitanie``) or by folder path."""
    p = Path(name_or_path)
    if p.is_dir():
        return p
    return territories_dir() / str(name_or_path)
