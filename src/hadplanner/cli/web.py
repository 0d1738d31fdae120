"""``hadplanner serve`` (the web application) and ``hadplanner user add`` (its accounts).

Thin wiring over :mod:`hadplanner.web`. Accounts live in the register's
database (``HADPLANNER_DB``), beside the patients they may see.
"""

from __future__ import annotations

from typing import Annotated

import typer

from hadplanner.cli.boundary import guarded

user_app = typer.Typer(name="user", help="Accounts of the web application.",
                       no_args_is_help=True)


@user_app.command("add")
@guarded
def user_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The account's name.")],
    role: Annotated[str, typer.Option(
        "--role", help="coordinator, pharmacist or ars: the screens the account sees.")],
    password: Annotated[str | None, typer.Option(
        "--password", help="The password (at least 10 characters); asked when not given.")]
    = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="Who creates the account, for the audit trail (default: the "
        "operating-system user).")] = None,
) -> None:
    """Create an account of the web application (the password is stored hashed, argon2).

    Example: hadplanner user add infirmiere1 --role coordinator
    """
    from hadplanner.register.service import current_user
    from hadplanner.web.accounts import add_user, check_role

    check_role(role)
    if password is None:
        password = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    add_user(name, role, password, by=current_user(user))
    typer.echo(f"Compte {name} créé (rôle {role}).")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``user`` to ``app``."""
    app.add_typer(user_app, name="user")

    @app.command("serve")
    @guarded
    def serve_command(
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")]
        = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
        territory: Annotated[str, typer.Option("--territory")] = "occitanie",
        workers: Annotated[int, typer.Option(
            "--workers", help="Server processes (sessions are shared through the register); "
            "one per core at most.")] = 1,
        insecure_cookies: Annotated[bool, typer.Option(
            "--insecure-cookies", help="Send the session cookie over plain HTTP to a remote "
            "host too (only behind a TLS proxy that does not say so); by default it is "
            "'Secure', which browsers accept over HTTP from localhost only.")] = False,
    ) -> None:
        """Serve the web application: the coordinator's, the pharmacy's and the ARS's screens.

        Accounts are made with 'hadplanner user add'. The register is HADPLANNER_DB.

        Example: hadplanner serve --port 8000
        """
        from hadplanner.errors import InputError
        from hadplanner.web.app import serve

        if not 1 <= port <= 65535:
            raise InputError(f"--port must be 1-65535, got {port}")
        if not 1 <= workers <= 32:
            raise InputError(f"--workers must be 1-32, got {workers}")
        serve(host=host, port=port, territory=territory,
              secure_cookies=not insecure_cookies, workers=workers)
