"""The trajecten schema."""

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from civic_common.db.messaging import messaging_tables

metadata = MetaData(schema="trajecten")
messaging = messaging_tables(metadata)

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
)
