"""A transferred case waits for the receiving agency: ``transferred_from`` names the agency it
came from until a counsellor there takes it up.

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
S = "trajecten"


def upgrade() -> None:
    op.add_column("trajectories", sa.Column("transferred_from", sa.Text), schema=S)


def downgrade() -> None:
    op.drop_column("trajectories", "transferred_from", schema=S)
