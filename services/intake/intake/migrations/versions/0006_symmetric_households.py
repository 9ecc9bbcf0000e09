"""Households made symmetric: one link per pair of persons, seen from both sides with inverse
relations, and no link to an erased person. Repairs what earlier versions stored: a duplicate
link keeps its first relation, a one-way link gets its inverse, a link to an erased or unknown
person goes. Versions do not change (this is a repair of the stored form, not a correction).

Revision ID: 0006
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
S = "intake"
INVERSE = {"partner": "partner", "child": "parent", "parent": "child", "other": "other"}


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id::text, household, erased_at FROM {S}.persons"))
    persons = {r.id: (list(r.household or []), r.erased_at) for r in rows}
    live = {pid for pid, (_, erased_at) in persons.items() if erased_at is None}
    wanted: dict[str, dict[str, str]] = {pid: {} for pid in persons}
    for pid, (links, _) in persons.items():
        if pid not in live:
            continue
        for link in links:
            member, relation = str(link.get("person_id")), link.get("relation")
            if member not in live or member == pid or relation not in INVERSE:
                continue
            if member in wanted[pid]:
                continue  # a duplicate: the first relation stands
            wanted[pid][member] = relation
            wanted[member].setdefault(pid, INVERSE[relation])
    for pid, (links, _) in persons.items():
        repaired = [{"person_id": m, "relation": r} for m, r in wanted[pid].items()]
        if repaired != links:
            conn.execute(
                sa.text(f"UPDATE {S}.persons SET household = CAST(:h AS jsonb) WHERE id = :id"),
                {"h": json.dumps(repaired), "id": pid},
            )


def downgrade() -> None:
    pass  # the repaired form is valid for the earlier code too
