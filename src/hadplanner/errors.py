"""The package's exceptions and the command line's exit statuses.

Every error a user can cause derives from :class:`HadPlannerError`; the CLI turns
each into one line and an exit status. The message must say *what* is wrong and
*where* (file and line, commune code, instant), never rely on a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """One exit status per outcome of a command (documented in the README)."""

    OK = 0
    """Done."""
    BAD_INPUT = 1
    """A file, a field or an option value is wrong (the line says which and where)."""
    INFEASIBLE = 2
    """No safe plan exists for the request (the line names the constraint and the instant)."""
    USAGE = 64
    """The command line itself is wrong: unknown option, missing argument (BSD EX_USAGE)."""
    INTERNAL = 70
    """A bug in hadplanner: the line points to a log file with the details (EX_SOFTWARE)."""
    CANNOT_WRITE = 73
    """The outputs could not be written (disk full, permission); nothing was changed
    (EX_CANTCREAT)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C or SIGTERM; nothing was written."""


class HadPlannerError(Exception):
    """Base of every error hadplanner reports to a user (exit status 1)."""

    exit_code = ExitCode.BAD_INPUT


class InputError(HadPlannerError):
    """A file, a field or an argument is malformed or refers to something unknown."""


class TerritoryError(InputError):
    """The territory's data is inconsistent (unknown commune, HAD, broken geometry...)."""


class UnknownCommuneError(TerritoryError):
    """An INSEE commune code, or a point, that the territory does not know."""


class ScenarioError(InputError):
    """A what-if scenario names something the territory does not know."""


class OutputError(HadPlannerError):
    """The outputs could not be written; nothing was changed (exit status 73)."""

    exit_code = ExitCode.CANNOT_WRITE


class InfeasiblePlanError(HadPlannerError):
    """A request that cannot be planned safely: names the constraint and the instant.

    Exit status 2, and nothing is written.
    """

    exit_code = ExitCode.INFEASIBLE


class UnsafePlanError(HadPlannerError):
    """A plan broke an invariant of the model: a bug, never shown to a user as a plan.

    Exit status 70 (internal error): the planner produced something the checker refuses.
    """

    exit_code = ExitCode.INTERNAL
