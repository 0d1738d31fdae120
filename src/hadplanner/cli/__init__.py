"""The ``hadplanner`` command line: thin wiring over the library.

Each area registers its commands from its own module (``territory``,
``coverage``, ``plan``, ``run``). Errors of the package become one line on
stderr and an exit status (1 for bad input, 2 for a request that cannot be
planned safely); never a traceback.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from hadplanner.cli import coverage, plan, run, territory
from hadplanner.errors import HadPlannerError

app = typer.Typer(
    name="hadplanner",
    help="HAD planning for 28-day continuous chemotherapy infusions (blinatumomab).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """HAD planning for 28-day continuous chemotherapy infusions (blinatumomab).

    Outputs are in French by default; most commands take --lang en.
    """


for _module in (territory, coverage, plan, run):
    _module.register(app)


def format_validation_error(exc: ValidationError, where: str = "") -> str:
    """One line per field path, joined: 'file: cycles.0.start: Input should be...'."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "input"
        parts.append(f"{loc}: {err['msg']}")
    prefix = f"{where}: " if where else ""
    return prefix + "; ".join(parts)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except HadPlannerError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except ValidationError as exc:
        typer.echo(f"error: {format_validation_error(exc)}", err=True)
        sys.exit(1)
