"""`hadplanner run`: the main job on the embedded territory and example patients."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""

    @app.command("run")
    def run_command() -> None:
        """Run the main job: territory summary, coverage, plans and pharmacy sheets under out/."""
        typer.echo("nothing yet")
