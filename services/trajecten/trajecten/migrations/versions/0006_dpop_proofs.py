"""The DPoP replay registry (sender-constrained partner tokens, RFC 9449).

Revision ID: 0006
"""

from alembic import op

from civic_common.db.messaging import create_proof_registry

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    create_proof_registry(op.get_bind(), "trajecten")
