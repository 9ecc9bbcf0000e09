"""Spelling-tolerant search by name: a search key per person (domain/search.py) with a trigram
index, and an index for the duplicate check at registration (same agency, same birth date).

The trigram operators come from the ``pg_trgm`` extension, which only a superuser may create:
``civic-provision`` creates it in the intake schema (civic_common/provision.py). The key is
filled here for the persons registered before, with the same Python function the service uses;
erased persons keep an empty key.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

from intake.domain.search import search_key

revision = "0007"
down_revision = "0006"
S = "intake"


def upgrade() -> None:
    conn = op.get_bind()
    if not conn.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        raise RuntimeError(
            "pg_trgm is missing: run civic-provision (it creates the extension as superuser)"
        )
    op.add_column(
        "persons",
        sa.Column("search_key", sa.Text, nullable=False, server_default=""),
        schema=S,
    )
    rows = conn.execute(
        sa.text(f"SELECT id, given_name, family_name FROM {S}.persons WHERE erased_at IS NULL")
    ).all()
    for row in rows:
        conn.execute(
            sa.text(f"UPDATE {S}.persons SET search_key = :key WHERE id = :id"),
            {"key": search_key(row.given_name, row.family_name), "id": row.id},
        )
    op.execute(
        f"CREATE INDEX persons_search_key ON {S}.persons USING gin (search_key gin_trgm_ops)"
    )
    op.create_index("persons_agency_birth", "persons", ["agency", "birth_date"], schema=S)


def downgrade() -> None:
    op.drop_index("persons_agency_birth", "persons", schema=S)
    op.execute(f"DROP INDEX {S}.persons_search_key")
    op.drop_column("persons", "search_key", schema=S)
