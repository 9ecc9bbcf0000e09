"""The person's preferred interpreting modality, from intake, for case-driven booking.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column("language_profiles", sa.Column("interpreter_modality", sa.Text), schema="tolken")
