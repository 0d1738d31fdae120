"""The register's tables (SQLAlchemy 2): append-only, every write audited.

Nothing is updated in place: a treatment change adds a treatment *version*, a
new plan adds a plan *version*, an identity correction adds an identity row;
the current one is the latest. Identities live in their own table, apart from
everything that is exported (exports use the pseudonym only).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime


class Base(DeclarativeBase):
    """Declarative base of the register's tables."""


def _utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


Stamp = DateTime(timezone=True)


class PatientRow(Base):
    """A patient, known by a pseudonym only."""

    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp, default=_utc)
    created_by: Mapped[str] = mapped_column(String(120))


class IdentityRow(Base):
    """Identity fields of a patient, kept apart; the latest row is in force."""

    __tablename__ = "identities"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    family_name: Mapped[str | None] = mapped_column(String(200))
    given_name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    recorded_at: Mapped[dt.datetime] = mapped_column(Stamp, default=_utc)
    recorded_by: Mapped[str] = mapped_column(String(120))


class TreatmentRow(Base):
    """One version of a patient's treatment: the request in force and the care chosen."""

    __tablename__ = "treatments"
    __table_args__ = (UniqueConstraint("patient_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    version: Mapped[int]
    request_json: Mapped[str] = mapped_column(Text)
    drug: Mapped[str] = mapped_column(String(80))
    access_status: Mapped[str] = mapped_column(String(20))
    home_insee: Mapped[str | None] = mapped_column(String(5))
    had_id: Mapped[str | None] = mapped_column(String(60))
    care_status: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(Stamp, default=_utc)
    created_by: Mapped[str] = mapped_column(String(120))


class EventRow(Base):
    """An event the coordinator recorded (pump failure, interruption...)."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime] = mapped_column(Stamp)
    event_json: Mapped[str] = mapped_column(Text)
    applied_in_plan: Mapped[int | None]
    """The plan version that took it into account (None: not re-planned yet)."""
    created_at: Mapped[dt.datetime] = mapped_column(Stamp, default=_utc)
    created_by: Mapped[str] = mapped_column(String(120))


class PlanRow(Base):
    """One version of a patient's plan (checked), and why it was made."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("patient_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    version: Mapped[int]
    treatment_version: Mapped[int]
    plan_json: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(200))
    diff_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp, default=_utc)
    created_by: Mapped[str] = mapped_column(String(120))


class AuditRow(Base):
    """Who did what, when: one row per write, never changed."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_patient", "patient_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Stamp, default=_utc)
    user: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    detail_json: Mapped[str] = mapped_column(Text, default="{}")


class UserRow(Base):
    """An account of the web application (``hadplanner user add``): a role and an argon2
    hash of the password, never the password itself."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    """``coordinator``, ``pharmacist`` or ``ars``."""
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp, default=_utc)
    created_by: Mapped[str] = mapped_column(String(120))


class SessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie's token (never the token), its
    CSRF token and when it expires; deleted at sign-out."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Stamp, default=_utc)
    expires_at: Mapped[dt.datetime] = mapped_column(Stamp)
