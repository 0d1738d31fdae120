"""The package's exceptions.

Every error a user can cause derives from :class:`HadPlannerError`; the CLI turns
each into one line and an exit status. The message must say *what* is wrong and
*where* (file and line, commune code, instant), never rely on a traceback.
"""

from __future__ import annotations


class HadPlannerError(Exception):
    """Base of every error hadplanner reports to a user (exit status 1)."""

    exit_code = 1


class InputError(HadPlannerError):
    """A file, a field or an argument is malformed or refers to something unknown."""


class TerritoryError(InputError):
    """The territory's data is inconsistent (unknown commune, HAD, broken geometry...)."""


class UnknownCommuneError(TerritoryError):
    """An INSEE commune code, or a point, that the territory does not know."""


class ScenarioError(InputError):
    """A what-if scenario names something the territory does not know."""


class InfeasiblePlanError(HadPlannerError):
    """A request that cannot be planned safely: names the constraint and the instant.

    Exit status 2, and nothing is written.
    """

    exit_code = 2


class UnsafePlanError(HadPlannerError):
    """A plan broke an invariant of the model: a bug, never shown to a user as a plan."""

    exit_code = 2
