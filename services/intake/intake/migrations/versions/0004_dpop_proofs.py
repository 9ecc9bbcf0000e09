"""The DPoP replay registry (sender-constrained partner tokens, RFC 9449).

Revision ID: 0004
"""

from alembic import op

from civic_common.db.messaging import create_proof_registry

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    create_proof_registry(op.get_bind(), "intake")
