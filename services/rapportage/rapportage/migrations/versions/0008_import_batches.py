"""Historical imports as batches, with the totals their files declare.

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
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("import_batches", schema=S)
