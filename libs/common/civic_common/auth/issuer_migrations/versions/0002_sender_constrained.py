"""Sender-constrained (DPoP) clients and the issuer's DPoP replay registry.

Clients registered before keep bearer tokens (false); the admin API registers new ones with DPoP
unless asked otherwise.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from civic_common.db.messaging import create_proof_registry

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column(
        "partner_clients",
        sa.Column("sender_constrained", sa.Boolean, nullable=False, server_default=sa.false()),
        schema="issuer",
    )
    create_proof_registry(op.get_bind(), "issuer")
