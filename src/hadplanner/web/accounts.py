"""Accounts and sessions of the web application, kept in the register's database.

- A password is hashed with argon2id (``argon2-cffi``'s defaults) and only the
  hash is stored; it is never logged nor written to the audit trail.
- A session is a random token (256 bits) in an HTTP-only, ``Secure``,
  ``SameSite=Strict`` cookie; the database keeps its SHA-256 only, so a copy of
  the database does not sign anyone in. Each session has its own CSRF token,
  which every form (and every htmx request, as a header) sends back.
- Sign-in, sign-out and account creation are audited with the account's name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from hadplanner.errors import InputError
from hadplanner.register.db import transaction
from hadplanner.register.schema import AuditRow, SessionRow, UserRow

ROLES = ("coordinator", "pharmacist", "ars")
"""The three users: the coordinator nurse, the hospital pharmacy (PUI), the ARS."""

SESSION_HOURS = 10.0
"""A session lasts a working day; then the user signs in again."""

MIN_PASSWORD = 10
"""Shortest password accepted."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,119}$")

_HASHER: Any = None


def _hasher() -> Any:
    global _HASHER
    if _HASHER is None:
        from argon2 import PasswordHasher

        _HASHER = PasswordHasher()
    return _HASHER


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; the only form ever stored)."""
    return str(_hasher().hash(password))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _audit(s: Any, user: str, action: str, **detail: Any) -> None:
    s.add(AuditRow(user=user, action=action, patient_id=None,
                   detail_json=json.dumps(detail, ensure_ascii=False)))


@dataclass(frozen=True)
class Account:
    """A signed-in user, as each request sees them."""

    name: str
    role: str
    csrf: str
    session_id: int


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"--role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def add_user(name: str, role: str, password: str, *, by: str, url: str | None = None) -> None:
    """Create an account (audited as ``user.add`` by ``by``; the password is not audited).

    Raises
    ------
    InputError
        A malformed name, an unknown role, a short password, a name already taken.
    """
    if not _NAME.match(name):
        raise InputError(f"user name {name!r}: use 1-120 letters, digits, '_', '.', '@' or "
                         "'-', starting with a letter or digit")
    check_role(role)
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password: at least {MIN_PASSWORD} characters")
    hashed = hash_password(password)
    with transaction(url) as s:
        if s.scalars(select(UserRow).where(UserRow.name == name)).first() is not None:
            raise InputError(f"user {name!r} already exists")
        s.add(UserRow(name=name, role=role, password_hash=hashed, active=True, created_by=by))
        _audit(s, by, "user.add", name=name, role=role)


def sign_in(name: str, password: str, *, url: str | None = None) -> tuple[str, Account] | None:
    """Check the password; a new session (its cookie token and the account), or None.

    A wrong name costs the same hash verification as a wrong password.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    with transaction(url) as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        stored = row.password_hash if row is not None and row.active else None
    try:
        ok = _hasher().verify(stored or _DUMMY_HASH(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        with transaction(url) as s:
            _audit(s, name[:120] or "?", "user.login_failed")
        return None
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with transaction(url) as s:
        # Old sessions of everyone are swept now and then.
        s.execute(delete(SessionRow).where(SessionRow.expires_at < _utc()))
        srow = SessionRow(token_sha256=_digest(token), user_id=row.id, csrf=csrf,
                          expires_at=_utc() + dt.timedelta(hours=SESSION_HOURS))
        s.add(srow)
        if _hasher().check_needs_rehash(row.password_hash):
            s.get(UserRow, row.id).password_hash = hash_password(password)
        s.flush()
        _audit(s, row.name, "user.login")
        sid = srow.id
    return token, Account(row.name, row.role, csrf, sid)


_DUMMY: list[str] = []


def _DUMMY_HASH() -> str:  # noqa: N802 - a constant computed once
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def session_account(token: str | None, *, url: str | None = None) -> Account | None:
    """The account of a session cookie's token, or None (unknown, expired, disabled)."""
    if not token or len(token) > 200:
        return None
    with transaction(url) as s:
        row = s.execute(select(SessionRow, UserRow).join(UserRow, SessionRow.user_id == UserRow.id)
                        .where(SessionRow.token_sha256 == _digest(token))).first()
        if row is None:
            return None
        srow, user = row
        if _aware(srow.expires_at) < _utc() or not user.active:
            return None
        return Account(user.name, user.role, srow.csrf, srow.id)


def sign_out(account: Account, *, url: str | None = None) -> None:
    """End the session (audited)."""
    with transaction(url) as s:
        s.execute(delete(SessionRow).where(SessionRow.id == account.session_id))
        _audit(s, account.name, "user.logout")


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two CSRF tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
