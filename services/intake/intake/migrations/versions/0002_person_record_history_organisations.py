"""The full person record, its history, organisations and candidacies.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0002"
down_revision = "0001"

S = "intake"


def upgrade() -> None:
    for name in ("given_name", "family_name", "birth_date"):  # erasure empties them
        op.alter_column("persons", name, nullable=True, schema=S)
    text_columns = (
        "insz",
        "sex",
        "nationality",
        "street",
        "house_number",
        "postal_code",
        "residence_category",
        "education",
        "literacy",
        "dutch_level",
        "legal_basis",
        "target_group",
        "target_group_reason",
        "target_group_rules_version",
    )
    for name in text_columns:
        op.add_column("persons", sa.Column(name, sa.Text), schema=S)
    op.add_column(
        "persons",
        sa.Column("household", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        schema=S,
    )
    for name in ("needs_childcare", "needs_mobility_support"):
        op.add_column(
            "persons",
            sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false()),
            schema=S,
        )
    op.add_column("persons", sa.Column("consent_data_sharing", sa.Boolean), schema=S)
    op.add_column(
        "persons",
        sa.Column(
            "possible_duplicates",
            ARRAY(UUID(as_uuid=True)),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
        schema=S,
    )
    op.add_column("persons", sa.Column("erased_at", sa.DateTime(timezone=True)), schema=S)
    op.create_unique_constraint("persons_insz_key", "persons", ["insz"], schema=S)
    # Near-duplicate look-up and name search.
    op.execute(
        "CREATE INDEX persons_name_birth ON intake.persons "
        "(lower(family_name), lower(given_name), birth_date)"
    )
    op.create_index("persons_municipality", "persons", ["municipality_nis"], schema=S)

    op.create_table(
        "person_history",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "person_id", UUID(as_uuid=True), sa.ForeignKey("intake.persons.id"), nullable=False
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", JSONB, nullable=False),
        schema=S,
    )
    op.create_index("person_history_person", "person_history", ["person_id", "id"], schema=S)

    op.create_table(
        "organisations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("enterprise_number", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("organisation_type", sa.Text, nullable=False),
        sa.Column("staff_size", sa.Integer, nullable=False),
        sa.Column("municipality_nis", sa.Text, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.Text, nullable=False),
        schema=S,
    )
    op.create_table(
        "candidacies",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "organisation_id",
            UUID(as_uuid=True),
            sa.ForeignKey("intake.organisations.id"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("call_id", UUID(as_uuid=True)),
        sa.Column("participant_roles", ARRAY(sa.Text), nullable=False),
        sa.Column("motivation", sa.Text, nullable=False),
        sa.Column("theme", sa.Text),
        sa.Column("eligibility", JSONB, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.Text, nullable=False),
        schema=S,
    )
