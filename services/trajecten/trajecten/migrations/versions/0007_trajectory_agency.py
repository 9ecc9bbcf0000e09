"""The agency a trajectory belongs to: staff see only their own agency's trajectories.

Trajectories opened before this revision get 'agii': the Flemish agency (Agentschap Integratie
en Inburgering), the only agency using the platform until now and the default organisation of
civic-token. New ones take the agency from intake's PersonRegistered event or the caller's org
claim; NULL means no agency is known and only admins see the trajectory.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
S = "trajecten"


def upgrade() -> None:
    op.add_column("trajectories", sa.Column("agency", sa.Text), schema=S)
    op.execute(sa.text(f"UPDATE {S}.trajectories SET agency = 'agii'"))
    op.create_index("ix_trajectories_agency", "trajectories", ["agency"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_trajectories_agency", "trajectories", schema=S)
    op.drop_column("trajectories", "agency", schema=S)
