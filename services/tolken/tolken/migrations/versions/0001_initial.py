"""Language profiles and the messaging tables.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from civic_common.db.messaging import create_messaging_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_messaging_tables(op.get_bind(), "tolken")
    op.create_table(
        "language_profiles",
        sa.Column("person_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("languages", ARRAY(sa.Text), nullable=False),
        sa.Column("contact_language", sa.Text),
        sa.Column("interpreter_language", sa.Text),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema="tolken",
    )
