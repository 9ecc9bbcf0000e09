"""Monthly counts and the messaging tables.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from civic_common.db.messaging import create_messaging_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_messaging_tables(op.get_bind(), "rapportage")
    op.create_table(
        "monthly_counts",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("municipality_nis", sa.Text, nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("month", "municipality_nis", "metric"),
        schema="rapportage",
    )
