"""The intake schema."""

from sqlalchemy import ARRAY, Column, Date, DateTime, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from civic_common.db.messaging import messaging_tables

metadata = MetaData(schema="intake")
messaging = messaging_tables(metadata)

persons = Table(
    "persons",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("languages", ARRAY(Text), nullable=False),
    Column("contact_language", Text),
    Column("interpreter_language", Text),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", Text, nullable=False),
)
