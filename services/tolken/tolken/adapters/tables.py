"""The tolken schema."""

from sqlalchemy import ARRAY, Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

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
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
