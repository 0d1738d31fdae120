"""The register's first schema: patients, identities, treatments, events, plans, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pseudonym", sa.String(40), nullable=False, unique=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False,
                  index=True),
        sa.Column("family_name", sa.String(200)),
        sa.Column("given_name", sa.String(200)),
        sa.Column("birth_date", sa.String(10)),
        sa.Column("recorded_at", STAMP, nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False,
                  index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("request_json", sa.Text, nullable=False),
        sa.Column("drug", sa.String(80), nullable=False),
        sa.Column("access_status", sa.String(20), nullable=False),
        sa.Column("home_insee", sa.String(5)),
        sa.Column("had_id", sa.String(60)),
        sa.Column("care_status", sa.String(30)),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("patient_id", "version"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("event_json", sa.Text, nullable=False),
        sa.Column("applied_in_plan", sa.Integer),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False,
                  index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("treatment_version", sa.Integer, nullable=False),
        sa.Column("plan_json", sa.Text, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("diff_json", sa.Text),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("patient_id", "version"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id")),
        sa.Column("detail_json", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_patient", "audit", ["patient_id"])


def downgrade() -> None:
    for table in ("audit", "plans", "events", "treatments", "identities", "patients"):
        op.drop_table(table)
