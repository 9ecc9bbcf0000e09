"""Persons and the messaging tables.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from civic_common.db.messaging import create_messaging_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_messaging_tables(op.get_bind(), "intake")
    op.create_table(
        "persons",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("given_name", sa.Text, nullable=False),
        sa.Column("family_name", sa.Text, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("municipality_nis", sa.Text, nullable=False),
        sa.Column("languages", ARRAY(sa.Text), nullable=False),
        sa.Column("contact_language", sa.Text),
        sa.Column("interpreter_language", sa.Text),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.Text, nullable=False),
        schema="intake",
    )
