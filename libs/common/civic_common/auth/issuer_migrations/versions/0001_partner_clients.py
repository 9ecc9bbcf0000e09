"""Partner clients and their append-only audit trail.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "partner_clients",
        sa.Column("client_id", sa.Text, primary_key=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("municipality", sa.Text),
        sa.Column("allowed_scopes", ARRAY(sa.Text), nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("previous_secret_hash", sa.Text),
        sa.Column("previous_valid_until", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("rotated_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        schema="issuer",
    )
    op.create_table(
        "audit_trail",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        schema="issuer",
    )
    op.execute(
        """CREATE FUNCTION issuer.audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit_trail is append-only'; END $$"""
    )
    op.execute(
        """CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
            ON issuer.audit_trail FOR EACH STATEMENT
            EXECUTE FUNCTION issuer.audit_trail_append_only()"""
    )
