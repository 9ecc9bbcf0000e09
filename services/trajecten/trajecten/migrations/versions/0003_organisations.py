"""Calls, candidacies, trainings, organisation trajectories and the organisations intake knows.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0003"
down_revision = "0002"
S = "trajecten"


def upgrade() -> None:
    for name in ("calls", "candidacies", "trainings", "organisation_trajectories"):
        op.create_table(
            name,
            sa.Column("id", UUID(as_uuid=True), primary_key=True),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("data", JSONB, nullable=False),
            schema=S,
        )
    op.create_table(
        "organisations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("organisation_type", sa.Text, nullable=False),
        sa.Column("staff_size", sa.Integer, nullable=False),
        sa.Column("municipality_nis", sa.Text, nullable=False),
        schema=S,
    )
