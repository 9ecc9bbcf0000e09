"""The agency whose case a person is: staff of the city agencies and of AgII see only their own.

A person's case belongs to the agency of the staff member who registered it (the lower-cased
``org`` claim of their token). Rows registered before this revision are given ``agii``: the
Flemish agency, and the default organisation of ``civic-token``, under which they were
registered. The default is dropped afterwards so every new row must name its agency.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column(
        "persons",
        sa.Column("agency", sa.Text, nullable=False, server_default="agii"),
        schema="intake",
    )
    op.alter_column("persons", "agency", server_default=None, schema="intake")
