"""Accounts: ``hadplanner user add``, its refusals, and migration 0002 both ways."""

from __future__ import annotations

import pytest


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = str(tmp_path / "register.sqlite")
    monkeypatch.setenv("HADPLANNER_DB", path)
    return path


def run(*args, input=None):
    from typer.testing import CliRunner

    from hadplanner.cli import app

    return CliRunner().invoke(app, list(args), input=input)


def test_user_add_creates_an_account_that_signs_in(db):
    from hadplanner.web.accounts import session_account, sign_in

    r = run("user", "add", "emma", "--role", "pharmacist", "--password", "emma-pharmacie-1")
    assert r.exit_code == 0 and "Compte emma créé (rôle pharmacist)" in r.output
    token, account = sign_in("emma", "emma-pharmacie-1", url=db)
    assert account.role == "pharmacist"
    assert session_account(token, url=db) == account
    assert sign_in("emma", "wrong-password-1", url=db) is None
    assert sign_in("nobody", "emma-pharmacie-1", url=db) is None


@pytest.mark.parametrize(("args", "message"), [
    (("zoe", "--role", "admin", "--password", "long-enough-1"), "--role must be one of"),
    (("zoe", "--role", "ars", "--password", "short"), "at least 10 characters"),
    (("zoe x", "--role", "ars", "--password", "long-enough-1"), "user name"),
])
def test_user_add_refuses_in_one_line(db, args, message):
    r = run("user", "add", *args)
    assert r.exit_code == 1
    assert message in r.output and "Traceback" not in r.output


def test_a_name_is_taken_once(db):
    r = run("user", "add", "yann", "--role", "ars", "--password", "yann-ars-occ-1")
    assert r.exit_code == 0
    r = run("user", "add", "yann", "--role", "ars", "--password", "yann-ars-occ-2")
    assert r.exit_code == 1 and "already exists" in r.output


def test_migration_0002_goes_down_and_up(db):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from hadplanner.register.db import engine_for

    engine = engine_for(db)
    assert {"users", "web_sessions"} <= set(inspect(engine).get_table_names())
    cfg = Config()
    from pathlib import Path

    import hadplanner.register.db as regdb

    cfg.set_main_option("script_location", str(Path(regdb.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not {"users", "web_sessions"} & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert {"users", "web_sessions"} <= set(inspect(engine).get_table_names())
