"""The partner edge: subscriptions, partner events, deliveries and their log.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0004"
down_revision = "0003"
S = "trajecten"


def upgrade() -> None:
    op.create_table(
        "partner_subscriptions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False, index=True),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("scope_municipality", sa.Text),
        sa.Column("scope_vdab", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("endpoint_url", sa.Text, nullable=False),
        sa.Column("event_types", JSONB, nullable=False),
        sa.Column("filters", JSONB, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=S,
    )
    op.create_table(
        "partner_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("trajectory_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("person_id", UUID(as_uuid=True), index=True),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", JSONB, nullable=False),
        schema=S,
    )
    op.create_table(
        "partner_deliveries",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "subscription_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.partner_subscriptions.id"),
            nullable=False,
        ),
        sa.Column(
            "event_pk", sa.BigInteger, sa.ForeignKey(f"{S}.partner_events.id"), nullable=False
        ),
        sa.Column("trajectory_id", UUID(as_uuid=True), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=S,
    )
    op.create_index(
        "partner_deliveries_due", "partner_deliveries", ["status", "next_attempt_at"], schema=S
    )
    op.create_index(
        "partner_deliveries_order",
        "partner_deliveries",
        ["subscription_id", "trajectory_id", "status"],
        schema=S,
    )
    op.create_table(
        "partner_delivery_attempts",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.partner_deliveries.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        schema=S,
    )


def downgrade() -> None:
    for name in (
        "partner_delivery_attempts",
        "partner_deliveries",
        "partner_events",
        "partner_subscriptions",
    ):
        op.drop_table(name, schema=S)
