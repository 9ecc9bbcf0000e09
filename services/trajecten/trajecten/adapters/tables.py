"""The trajecten schema."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    Sequence,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from civic_common.db.messaging import messaging_tables

metadata = MetaData(schema="trajecten")
messaging = messaging_tables(metadata)

attest_numbers = Sequence("attest_numbers", metadata=metadata)

trajectories = Table(
    "trajectories",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("person_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("kind", Text, nullable=False),
    Column("template_version", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("target_group", Text),
    Column("job_seeker", Boolean, nullable=False, server_default="false"),
    Column("suspended_on", Date),
    Column("attest_number", Text, unique=True),
    Column("closed_at", DateTime(timezone=True)),
    Column("agency", Text, index=True),
    Column("transferred_from", Text),
)

components = Table(
    "components",
    metadata,
    Column("trajectory_id", ForeignKey("trajectories.id"), primary_key=True),
    Column("code", Text, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("required", Boolean, nullable=False),
    Column("deadline", Date),
    Column("status", Text, nullable=False),
    Column("hours", Numeric(8, 2), nullable=False),
    Column("result", Text),
    Column("cefr_level", Text),
    Column("provider", Text),
    Column("referred_deadline", Date),
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("trajectory_id", ForeignKey("trajectories.id"), nullable=False, index=True),
    Column("sequence", Integer, nullable=False),
    Column("action", Text, nullable=False),
    Column("component", Text),
    Column("from_status", Text, nullable=False),
    Column("to_status", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", Text),
    Column("details", JSONB, nullable=False),
)

partner_updates = Table(
    "partner_updates",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("trajectory_id", ForeignKey("trajectories.id"), nullable=False, index=True),
    Column("organisation", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("trajectory_id", ForeignKey("trajectories.id"), nullable=False, index=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("location", Text),
    Column("subject_category", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("scheduled_by", Text, nullable=False),
)


def _document(name: str) -> Table:
    """Organisation-side aggregates: the validated state as JSON, versioned for If-Match."""
    return Table(
        name,
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("version", Integer, nullable=False),
        Column("data", JSONB, nullable=False),
    )


calls = _document("calls")
candidacies = _document("candidacies")
trainings = _document("trainings")
organisation_trajectories = _document("organisation_trajectories")

organisations = Table(
    "organisations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("organisation_type", Text, nullable=False),
    Column("staff_size", Integer, nullable=False),
    Column("municipality_nis", Text, nullable=False),
)
