"""Where a person lives, on their language profile: a partner may name only its own
municipality's inhabitants in its interpreter requests. Profiles made before get it with the
person's next registration or correction event; until then partners cannot name them
(fail-closed).

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
S = "tolken"


def upgrade() -> None:
    op.add_column("language_profiles", sa.Column("municipality_nis", sa.Text), schema=S)


def downgrade() -> None:
    op.drop_column("language_profiles", "municipality_nis", schema=S)
