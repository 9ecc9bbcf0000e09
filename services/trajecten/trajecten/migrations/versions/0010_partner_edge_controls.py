"""Partner edge controls: paused subscriptions, a per-subscription retry policy and payload
format, test events (to the subscription's endpoint or another checked one), the partner
organisations' operational contacts and the notifications sent to them, the retry limits an
admin sets, and the legal basis expiry a subscription was last warned of.

Revision ID: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0010"
down_revision = "0009"
S = "trajecten"


def upgrade() -> None:
    op.add_column(
        "partner_subscriptions",
        sa.Column("format", sa.Text, nullable=False, server_default="standard-webhooks"),
        schema=S,
    )
    op.add_column("partner_subscriptions", sa.Column("retry_seconds", JSONB), schema=S)
    op.add_column(
        "partner_subscriptions", sa.Column("disable_after_failures", sa.Integer), schema=S
    )
    op.add_column("partner_subscriptions", sa.Column("basis_expiry_warned", sa.Date), schema=S)
    op.add_column(
        "partner_events",
        sa.Column("test", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=S,
    )
    op.add_column("partner_deliveries", sa.Column("endpoint_url", sa.Text), schema=S)
    op.create_table(
        "partner_contacts",
        sa.Column("organisation", sa.Text, primary_key=True),
        sa.Column("email", sa.Text),
        sa.Column("webhook_url", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "partner_notifications",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("alert_type", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=S,
    )
    op.create_index(
        "partner_notifications_due",
        "partner_notifications",
        ["status", "next_attempt_at"],
        schema=S,
    )
    op.create_table(
        "partner_retry_limits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("min_seconds", sa.Float, nullable=False),
        sa.Column("max_seconds", sa.Float, nullable=False),
        sa.Column("max_steps", sa.Integer, nullable=False),
        sa.Column("disable_min", sa.Integer, nullable=False),
        sa.Column("disable_max", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_index(
        "partner_deliveries_subscription_event",
        "partner_deliveries",
        ["subscription_id", "event_pk"],
        schema=S,
    )


def downgrade() -> None:
    op.drop_index("partner_deliveries_subscription_event", "partner_deliveries", schema=S)
    op.drop_table("partner_retry_limits", schema=S)
    op.drop_table("partner_notifications", schema=S)
    op.drop_table("partner_contacts", schema=S)
    op.drop_column("partner_deliveries", "endpoint_url", schema=S)
    op.drop_column("partner_events", "test", schema=S)
    for column in ("basis_expiry_warned", "disable_after_failures", "retry_seconds", "format"):
        op.drop_column("partner_subscriptions", column, schema=S)
