"""Historical imports as batches, with the totals their files declare; rows know their batch
and a batch shows once all its rows are in.

Existing historical rows (from before batches) have no import_id: they stay visible.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008"
down_revision = "0007"
S = "rapportage"


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("import_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("imported", sa.Integer, nullable=False),
        sa.Column("rejected", JSONB, nullable=False),
        sa.Column("declared", JSONB, nullable=False),
        sa.Column("rows", JSONB, nullable=False),
        sa.Column("rows_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rows_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("replaces", UUID(as_uuid=True)),
        schema=S,
    )
    op.create_table(
        "batch_rows",
        sa.Column("import_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("applied", sa.Integer, nullable=False),
        schema=S,
    )
    for table in ("trainings", "organisation_trajectories"):
        op.add_column(table, sa.Column("import_id", UUID(as_uuid=True)), schema=S)


def downgrade() -> None:
    for table in ("trainings", "organisation_trajectories"):
        op.drop_column(table, "import_id", schema=S)
    op.drop_table("batch_rows", schema=S)
    op.drop_table("import_batches", schema=S)
