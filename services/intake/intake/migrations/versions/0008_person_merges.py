"""Merging two records of one person: the record merged away names the surviving one
(``merged_into``) and when (``merged_at``). Searches, the duplicate check and household links
leave merged records out; an index finds the records merged into a survivor (its erasure takes
them along).

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0008"
down_revision = "0007"
S = "intake"


def upgrade() -> None:
    op.add_column(
        "persons",
        sa.Column("merged_into", UUID(as_uuid=True), sa.ForeignKey(f"{S}.persons.id")),
        schema=S,
    )
    op.add_column("persons", sa.Column("merged_at", sa.DateTime(timezone=True)), schema=S)
    op.create_index(
        "persons_merged_into",
        "persons",
        ["merged_into"],
        schema=S,
        postgresql_where=sa.text("merged_into IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("persons_merged_into", "persons", schema=S)
    op.drop_column("persons", "merged_at", schema=S)
    op.drop_column("persons", "merged_into", schema=S)
