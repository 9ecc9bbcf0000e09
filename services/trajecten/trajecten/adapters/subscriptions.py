"""Tables of the partner edge: subscriptions, the events partners may receive, deliveries and
their log."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from trajecten.adapters.tables import metadata

subscriptions = Table(
    "partner_subscriptions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation", Text, nullable=False, index=True),
    Column("created_by", Text, nullable=False),
    Column("scope_municipality", Text),  # the data scope, from the creating token
    Column("scope_vdab", Boolean, nullable=False, server_default="false"),
    Column("endpoint_url", Text, nullable=False),
    Column("event_types", JSONB, nullable=False),
    Column("filters", JSONB, nullable=False),
    Column("legal_basis", Text, nullable=False),
    # Sealed (adapters/sealing.py), never in clear; NULL once the subscription is deleted.
    Column("sealed_secret", Text),
    Column("sealed_previous_secret", Text),
    Column("previous_secret_until", DateTime(timezone=True)),
    Column("status", Text, nullable=False),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # standard-webhooks, cloudevents-binary or cloudevents-structured (0010)
    Column("format", Text, nullable=False, server_default="standard-webhooks"),
    Column("retry_seconds", JSONB),  # the partner's own schedule; NULL: the default
    Column("disable_after_failures", Integer),  # the partner's own; NULL: the default
    Column("basis_expiry_warned", Date),  # the basis expiry last announced to the partner
)

# Every trajectory event as consumed, in arrival order: the feed and the source of deliveries.
partner_events = Table(
    "partner_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("event_type", Text, nullable=False),
    Column("trajectory_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("person_id", UUID(as_uuid=True), index=True),
    Column("sequence", Integer, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("data", JSONB, nullable=False),
    # The trajectory's scope when the event happened: the feed selects on these (0008).
    Column("municipality_nis", Text),
    Column("kind", Text),
    Column("vdab", Boolean, nullable=False, server_default="false"),
    # A synthetic event a partner asked for ("send test event"): never in the feed (0010).
    Column("test", Boolean, nullable=False, server_default="false"),
    # An erasure notice in the feed of one organisation that read the person there (migration 0012):
    # only that organisation's feed shows it; when it first fetched it.
    Column("addressee", Text, index=True),
    Column("fetched_at", DateTime(timezone=True)),
)

deliveries = Table(
    "partner_deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "subscription_id",
        UUID(as_uuid=True),
        ForeignKey("partner_subscriptions.id"),
        nullable=False,
    ),
    Column("event_pk", BigInteger, ForeignKey("partner_events.id"), nullable=False),
    Column("trajectory_id", UUID(as_uuid=True), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("status", Text, nullable=False),  # pending, delivered, dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Another endpoint than the subscription's, for a test event only (0010).
    Column("endpoint_url", Text),
    Index("partner_deliveries_due", "status", "next_attempt_at"),
    Index("partner_deliveries_order", "subscription_id", "trajectory_id", "status"),
    Index("partner_deliveries_subscription_event", "subscription_id", "event_pk"),
)

delivery_attempts = Table(
    "partner_delivery_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        UUID(as_uuid=True),
        ForeignKey("partner_deliveries.id"),
        nullable=False,
        index=True,
    ),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)

# A partner organisation's operational contact: told of failing deliveries, a disabled
# subscription and a legal basis nearing its end (0010).
contacts = Table(
    "partner_contacts",
    metadata,
    Column("organisation", Text, primary_key=True),
    Column("email", Text),
    Column("webhook_url", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One alert to one contact channel, sent and retried by the worker's notification loop.
notifications = Table(
    "partner_notifications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation", Text, nullable=False),
    Column("channel", Text, nullable=False),  # email or webhook
    Column("recipient", Text, nullable=False),
    Column("alert_type", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("status", Text, nullable=False),  # pending, sent, dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("sent_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("partner_notifications_due", "status", "next_attempt_at"),
)

# The limits an admin sets on the retry policies partners choose (one row, id 1); without it
# the operator's settings hold (0010).
retry_limits = Table(
    "partner_retry_limits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("min_seconds", Float, nullable=False),
    Column("max_seconds", Float, nullable=False),
    Column("max_steps", Integer, nullable=False),
    Column("disable_min", Integer, nullable=False),
    Column("disable_max", Integer, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
