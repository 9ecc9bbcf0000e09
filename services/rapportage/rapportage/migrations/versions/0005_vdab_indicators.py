"""What the VDAB indicators need: the Dutch level at intake, the person of a trajectory
(pseudonymous) and a component's result.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0005"
down_revision = "0004"
S = "rapportage"


def upgrade() -> None:
    op.add_column("intakes", sa.Column("dutch_level", sa.Text), schema=S)
    op.add_column("trajectories", sa.Column("person_id", UUID(as_uuid=True)), schema=S)
    op.create_index("trajectories_person_id", "trajectories", ["person_id"], schema=S)
    op.add_column("components", sa.Column("result", sa.Text), schema=S)
