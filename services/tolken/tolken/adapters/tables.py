"""The tolken schema."""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZRANGE, UUID

from civic_common.db.messaging import messaging_tables

metadata = MetaData(schema="tolken")
messaging = messaging_tables(metadata)

language_profiles = Table(
    "language_profiles",
    metadata,
    Column("person_id", UUID(as_uuid=True), primary_key=True),
    Column("languages", ARRAY(Text), nullable=False),
    Column("contact_language", Text),
    Column("interpreter_language", Text),
    Column("interpreter_modality", Text),
    Column("municipality_nis", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

interpreters = Table(
    "interpreters",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("account", Text, unique=True),
    Column("tier", Text, nullable=False),
    Column("certificate_number", Text),
    Column("certificate_valid_from", Date),
    Column("certificate_valid_until", Date),
    Column("languages", ARRAY(Text), nullable=False),
    Column("modalities", ARRAY(Text), nullable=False),
    Column("regions", ARRAY(Text), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("travel_range_km", Float, nullable=False),
    Column("max_assignments_per_week", Integer, nullable=False),
    Column("weekly", JSONB, nullable=False),
    Column("exceptions", JSONB, nullable=False),
    Column("leave", JSONB, nullable=False),
    Column("organisations", JSONB, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

requests = Table(
    "requests",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("modality", Text),
    Column("starts_at", DateTime(timezone=True)),
    Column("ends_at", DateTime(timezone=True)),
    Column("deadline", DateTime(timezone=True)),
    Column("municipality_nis", Text),
    Column("address", Text),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("region", Text),
    Column("subject_category", Text, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("person_id", UUID(as_uuid=True)),
    Column("appointment_id", UUID(as_uuid=True), unique=True),
    Column("status", Text, nullable=False),
    Column("interpreter_id", UUID(as_uuid=True)),
    Column("unfulfilled_reason", Text),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("billable", Boolean),
    Column("actual_minutes", Integer),
    Column("created_by", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

offers = Table(
    "offers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("request_id", UUID(as_uuid=True), nullable=False),
    Column("interpreter_id", UUID(as_uuid=True), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("why", ARRAY(Text), nullable=False),
    Column("offered_at", DateTime(timezone=True), nullable=False),
    Column("answer_by", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    Column("decline_reason", Text),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("request_id", UUID(as_uuid=True), nullable=False),
    Column("interpreter_id", UUID(as_uuid=True), nullable=False),
    Column("person_id", UUID(as_uuid=True)),
    Column("day", Date, nullable=False),
    Column("busy", TSTZRANGE),
    Column("by_desk", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("released_at", DateTime(timezone=True)),
)
