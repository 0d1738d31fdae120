"""The ``hadplanner`` command line: thin wiring over the library.

Each area registers its commands from its own module (``territory``,
``coverage``, ``plan``, ``run``); every command is wrapped by
:func:`hadplanner.cli.boundary.guarded`, and :func:`main` runs the whole
invocation inside :func:`hadplanner.cli.boundary.run_cli`: errors become one
line on stderr and an exit status (:class:`hadplanner.errors.ExitCode`),
never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hadplanner import __version__
from hadplanner.cli import coverage, pathway, pharmacy, plan, register, run, territory, web
from hadplanner.cli.boundary import run_cli

app = typer.Typer(
    name="hadplanner",
    help="HAD planning for 28-day continuous chemotherapy infusions (blinatumomab).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hadplanner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print hadplanner's version and exit.")] = False,
) -> None:
    """HAD planning for 28-day continuous chemotherapy infusions (blinatumomab).

    Outputs are in French by default; most commands take --lang en.
    Exit status: 0 done, 1 bad input, 2 no safe plan, 64 usage error,
    70 internal error, 73 outputs not writable, 130 interrupted.
    """


for _module in (territory, coverage, plan, pathway, pharmacy, register, run, web):
    _module.register(app)


def main() -> None:
    """Console entry point: the exit status of :func:`run_cli`."""
    sys.exit(run_cli(app))
