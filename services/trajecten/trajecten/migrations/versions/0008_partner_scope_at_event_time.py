"""Partner scope at the time of the event: each event kept for partners records the
municipality, kind and VDAB referral of its trajectory when it happened, and the feed selects on
these, so a partner gets what happened while the person was in its scope (an OCMW while they
lived there, VDAB from the referral on), not what the trajectory is today.

Events kept before this revision take their trajectory's current values.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
S = "trajecten"


def upgrade() -> None:
    op.add_column("partner_events", sa.Column("municipality_nis", sa.Text), schema=S)
    op.add_column("partner_events", sa.Column("kind", sa.Text), schema=S)
    op.add_column(
        "partner_events",
        sa.Column("vdab", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=S,
    )
    op.execute(
        sa.text(
            f"UPDATE {S}.partner_events e SET municipality_nis = t.municipality_nis, "
            f"kind = t.kind FROM {S}.trajectories t WHERE t.id = e.trajectory_id"
        )
    )
    op.execute(
        sa.text(
            f"UPDATE {S}.partner_events e SET vdab = true WHERE EXISTS ("
            f"SELECT 1 FROM {S}.components c WHERE c.trajectory_id = e.trajectory_id "
            "AND c.code = 'vdab_referral' AND c.required)"
        )
    )


def downgrade() -> None:
    for column in ("vdab", "kind", "municipality_nis"):
        op.drop_column("partner_events", column, schema=S)
