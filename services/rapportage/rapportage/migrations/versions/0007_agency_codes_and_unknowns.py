"""One code per agency, who bore the cost, and figures that are not registered.

- ``agencies`` of trainings and organisation trajectories become the canonical codes of
  ``civic_common.agencies`` (``AgII`` -> ``agii``), each once, and ``joint`` follows them;
- ``cost_by`` keeps the cost per bearer (filled again by a rebuild; existing single-agency rows
  get their agency as bearer);
- organisation trajectories keep sessions, groups and evaluation (question 310), intakes the
  agency whose case it is (newcomer indicators per agency);
- ``cost_eur`` and ``staff_hours`` may be NULL: not registered, which reports never sum as 0.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from civic_common.agencies import AGENCIES

revision = "0007"
down_revision = "0006"
S = "rapportage"
TABLES = ("trainings", "organisation_trajectories")


def upgrade() -> None:
    # Display names and codes of the reference list to codes; anything else folded to lower case.
    names = ", ".join(f"('{name.lower()}', '{code}')" for code, name in AGENCIES.items())
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("cost_by", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
            schema=S,
        )
        op.alter_column(table, "cost_eur", nullable=True, schema=S)
        op.alter_column(table, "staff_hours", nullable=True, schema=S)
        op.execute(
            sa.text(
                f"""
                UPDATE {S}.{table} AS t SET agencies = fixed.codes
                FROM (
                    SELECT id, array_agg(code ORDER BY first) AS codes FROM (
                        SELECT id, code, min(position) AS first FROM (
                            SELECT x.{
                    "training_id" if table == "trainings" else "organisation_trajectory_id"
                } AS id,
                                   coalesce(n.code, lower(trim(a.agency))) AS code,
                                   a.position
                            FROM {S}.{table} x,
                                 unnest(x.agencies) WITH ORDINALITY AS a(agency, position)
                            LEFT JOIN (VALUES {names}) AS n(name, code)
                              ON n.name = lower(trim(a.agency))
                        ) coded GROUP BY id, code
                    ) once GROUP BY id
                ) fixed
                WHERE t.{
                    "training_id" if table == "trainings" else "organisation_trajectory_id"
                } = fixed.id
                """
            )
        )
        op.execute(
            sa.text(
                f"UPDATE {S}.{table} SET cost_by = jsonb_build_object(agencies[1], cost_eur::text)"
                " WHERE cardinality(agencies) = 1 AND cost_eur > 0"
            )
        )
    op.execute(sa.text(f"UPDATE {S}.trainings SET joint = cardinality(agencies) > 1"))
    # Question 310: sessions, groups and evaluation per edition; filled by a rebuild.
    for column in ("sessions", "groups", "invited", "responded", "satisfied"):
        op.add_column("organisation_trajectories", sa.Column(column, sa.Integer), schema=S)
    # The agency whose case a newcomer is: newcomer indicators per agency; filled by a rebuild.
    op.add_column("intakes", sa.Column("agency", sa.Text), schema=S)


def downgrade() -> None:
    op.drop_column("intakes", "agency", schema=S)
    for column in ("sessions", "groups", "invited", "responded", "satisfied"):
        op.drop_column("organisation_trajectories", column, schema=S)
    for table in TABLES:
        op.execute(sa.text(f"UPDATE {S}.{table} SET cost_eur = coalesce(cost_eur, 0)"))
        op.execute(sa.text(f"UPDATE {S}.{table} SET staff_hours = coalesce(staff_hours, 0)"))
        op.alter_column(table, "cost_eur", nullable=False, schema=S)
        op.alter_column(table, "staff_hours", nullable=False, schema=S)
        op.drop_column(table, "cost_by", schema=S)
