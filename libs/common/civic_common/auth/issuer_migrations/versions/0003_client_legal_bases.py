"""The legal bases a partner client may use: a partner no longer picks its own.

Clients registered before get none: an admin grants theirs (runbook) before they can subscribe
or read the feed again. Fail-closed on purpose.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column(
        "partner_clients",
        sa.Column("legal_bases", ARRAY(sa.Text), nullable=False, server_default="{}"),
        schema="issuer",
    )


def downgrade() -> None:
    op.drop_column("partner_clients", "legal_bases", schema="issuer")
