"""Opening the register's database: SQLite by default, PostgreSQL by URL.

``HADPLANNER_DB`` names it: a ``postgresql://`` (or any SQLAlchemy) URL, or a
file path for SQLite; by default ``register.sqlite`` in the user's data
directory (``platformdirs``: ``~/.local/share/hadplanner`` on Linux).

SQLite is opened for a register a few coordinators write to:

- WAL journal (readers never block the writer) and ``synchronous=FULL``: a
  process killed in the middle of a write leaves the last committed state;
- every transaction starts ``BEGIN IMMEDIATE``: it takes the write lock at its
  start, so a read-then-write (the next plan version) cannot interleave with
  another process's; a second writer waits up to ``busy_timeout`` (30 s), then
  gets a clear one-line error, never a corrupt register;
- foreign keys enforced.

The schema is kept current by Alembic (``register/migrations``) every time the
register is opened: the first schema is migration 0001.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hadplanner.errors import InputError, OutputError

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another one before giving up with a clear error."""


def database_url(value: str | None = None) -> str:
    """The register's SQLAlchemy URL: ``value``, else ``HADPLANNER_DB``, else the default file."""
    value = value or os.environ.get("HADPLANNER_DB")
    if not value:
        import platformdirs

        folder = Path(platformdirs.user_data_dir("hadplanner"))
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'register.sqlite'}"
    if "://" in value:
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value[len("postgresql://"):]
        return value
    path = Path(value).expanduser()
    if path.is_dir():
        raise InputError(f"HADPLANNER_DB={value}: is a folder; give a file path or a URL")
    if not path.parent.exists():
        raise InputError(f"HADPLANNER_DB={value}: folder {path.parent} does not exist")
    return f"sqlite:///{path.resolve()}"


def make_engine(url: str) -> Any:
    """An engine with the register's settings (see the module's docstring)."""
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None  # transactions are begun below
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # an unknown dialect or a missing driver
        raise InputError(f"HADPLANNER_DB: cannot use {url.split('://')[0]}:// ({exc})") from None


def upgrade(engine: Any) -> None:
    """Bring the schema to the latest migration (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_ENGINES: dict[str, Any] = {}


def engine_for(url: str | None = None) -> Any:
    """The engine of the register at ``url`` (opened and migrated once per process)."""
    resolved = database_url(url)
    if resolved not in _ENGINES:
        engine = make_engine(resolved)
        try:
            upgrade(engine)
        except Exception as exc:
            raise _clear(exc, resolved) from None
        _ENGINES[resolved] = engine
    return _ENGINES[resolved]


def _clear(exc: Exception, url: str) -> Exception:
    """A database error as one line a coordinator can act on."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    text = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
    where = url.split("@")[-1]
    if isinstance(exc, OperationalError) and "locked" in text:
        return OutputError(f"the register {where} is busy (another hadplanner is writing it "
                           f"for more than {BUSY_TIMEOUT_S:.0f} s): try again; nothing was "
                           "changed")
    if isinstance(exc, IntegrityError):
        return OutputError(f"the register {where} changed under this command (another "
                           "coordinator wrote at the same time): try again; nothing was changed")
    if isinstance(exc, OperationalError):
        return OutputError(f"the register {where} cannot be used: {text}")
    return exc


@contextmanager
def transaction(url: str | None = None) -> Iterator[Any]:
    """A session in one transaction: committed whole at the end, or rolled back whole."""
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.orm import Session

    engine = engine_for(url)
    session = Session(engine, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    except (OperationalError, IntegrityError) as exc:
        raise _clear(exc, str(engine.url)) from None
    finally:
        session.close()
