"""Components, the transition log, partner updates, appointments and attest numbers.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
S = "trajecten"


def upgrade() -> None:
    op.execute(sa.text(f"CREATE SEQUENCE {S}.attest_numbers"))
    for column in (
        sa.Column("target_group", sa.Text),
        sa.Column("job_seeker", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("suspended_on", sa.Date),
        sa.Column("attest_number", sa.Text, unique=True),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    ):
        op.add_column("trajectories", column, schema=S)
    op.create_table(
        "components",
        sa.Column(
            "trajectory_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.trajectories.id"),
            primary_key=True,
        ),
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.Column("deadline", sa.Date),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("hours", sa.Numeric(8, 2), nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("cefr_level", sa.Text),
        sa.Column("provider", sa.Text),
        sa.Column("referred_deadline", sa.Date),
        schema=S,
    )
    # The worklist and the deadline timer look for open components by deadline.
    op.create_index(
        "components_open_deadline",
        "components",
        ["deadline"],
        schema=S,
        postgresql_where=sa.text("status NOT IN ('completed', 'exempted')"),
    )
    op.create_table(
        "transitions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "trajectory_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.trajectories.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("component", sa.Text),
        sa.Column("from_status", sa.Text, nullable=False),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("details", JSONB, nullable=False),
        schema=S,
    )
    op.create_table(
        "partner_updates",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "trajectory_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.trajectories.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "appointments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "trajectory_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.trajectories.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.Text),
        sa.Column("subject_category", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("scheduled_by", sa.Text, nullable=False),
        schema=S,
    )
