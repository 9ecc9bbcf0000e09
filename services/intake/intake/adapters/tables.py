"""The intake schema."""

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from civic_common.db.messaging import messaging_tables

metadata = MetaData(schema="intake")
messaging = messaging_tables(metadata)

persons = Table(
    "persons",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("insz", Text, unique=True),
    Column("given_name", Text),
    Column("family_name", Text),
    Column("birth_date", Date),
    Column("sex", Text),
    Column("nationality", Text),
    Column("municipality_nis", Text, nullable=False),
    Column("street", Text),
    Column("house_number", Text),
    Column("postal_code", Text),
    Column("languages", ARRAY(Text), nullable=False),
    Column("contact_language", Text),
    Column("interpreter_language", Text),
    Column("interpreter_modality", Text),
    Column("residence_category", Text),
    Column("household", JSONB, nullable=False),
    Column("education", Text),
    Column("literacy", Text),
    Column("dutch_level", Text),
    Column("needs_childcare", Boolean, nullable=False),
    Column("needs_mobility_support", Boolean, nullable=False),
    Column("consent_data_sharing", Boolean),
    Column("legal_basis", Text),
    Column("target_group", Text),
    Column("target_group_reason", Text),
    Column("target_group_rules_version", Text),
    Column("possible_duplicates", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("erased_at", DateTime(timezone=True)),
    # A record merged into another (the survivor) names it; it is shown nowhere any more.
    Column("merged_into", UUID(as_uuid=True), ForeignKey("persons.id")),
    Column("merged_at", DateTime(timezone=True)),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", Text, nullable=False),
    Column("agency", Text, nullable=False),
    # The names folded and reduced for the tolerant name search (domain/search.py).
    Column("search_key", Text, nullable=False, server_default=""),
)

# The distinct words of every search key, kept equal to them by triggers (migration 0009): the
# name search looks typed words up here first, then the persons by the words found.
search_words = Table("search_words", metadata, Column("word", Text, primary_key=True))

# Every change to a person: who, when, and per field the old and the new value.
person_history = Table(
    "person_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("person_id", UUID(as_uuid=True), ForeignKey("persons.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", Text, nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changes", JSONB, nullable=False),
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("enterprise_number", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("organisation_type", Text, nullable=False),
    Column("staff_size", Integer, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", Text, nullable=False),
)

candidacies = Table(
    "candidacies",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), ForeignKey("organisations.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("call_id", UUID(as_uuid=True)),
    Column("participant_roles", ARRAY(Text), nullable=False),
    Column("motivation", Text, nullable=False),
    Column("theme", Text),
    Column("eligibility", JSONB, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("submitted_by", Text, nullable=False),
)
