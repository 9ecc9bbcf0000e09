"""Trainings keep the theme catalogue's code trajecten sends (``theme_code``); the report per
theme groups on it. Rows from before the catalogue and imported history have none (NULL) and
group by their text; trajecten's migration 0013 republishes its trainings with their codes.

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
S = "rapportage"


def upgrade() -> None:
    op.add_column("trainings", sa.Column("theme_code", sa.Text), schema=S)


def downgrade() -> None:
    op.drop_column("trainings", "theme_code", schema=S)
