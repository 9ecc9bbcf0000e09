""" "Mijn dossiers": the trajectories a counsellor acted on are found through the timeline's
actor, so index it.

Revision ID: 0011
"""

from alembic import op

revision = "0011"
down_revision = "0010"
S = "trajecten"


def upgrade() -> None:
    op.create_index("transitions_actor", "transitions", ["actor", "trajectory_id"], schema=S)


def downgrade() -> None:
    op.drop_index("transitions_actor", "transitions", schema=S)
