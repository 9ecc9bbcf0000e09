"""How a person is best interpreted for (on site, phone, video), for case-driven booking.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column("persons", sa.Column("interpreter_modality", sa.Text), schema="intake")
