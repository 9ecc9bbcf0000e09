"""Erasure notices in the feed: a partner that read a person's events in the feed (without a
webhook) finds the notice of their erasure there, addressed to its organisation only, and when
it fetched it is kept.

Revision ID: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
S = "trajecten"


def upgrade() -> None:
    op.add_column("partner_events", sa.Column("addressee", sa.Text()), schema=S)
    op.add_column("partner_events", sa.Column("fetched_at", sa.DateTime(timezone=True)), schema=S)
    op.create_index("ix_partner_events_addressee", "partner_events", ["addressee"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_partner_events_addressee", "partner_events", schema=S)
    op.drop_column("partner_events", "fetched_at", schema=S)
    op.drop_column("partner_events", "addressee", schema=S)
