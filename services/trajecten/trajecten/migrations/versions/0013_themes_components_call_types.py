"""Domain rules as the seeds describe them (issue 18):

- trainings: the free-text theme becomes a code of the theme catalogue 2021.1 (its label or an
  alias, without case or accents); a theme no code matches gets ``overig-ongemapt`` and keeps
  its text in ``unmapped_theme`` (never lost). Each changed training gets a new version and its
  snapshot goes to the outbox, so reports group it by its code at once;
- organisation trajectories track their template's components: all planned (completed for a
  trajectory already completed, without a date: the day is not known);
- calls that follow the 2019.1 template's rules unchanged are for care and welfare
  organisations (seed 002), as the template now says.

Revision ID: 0013
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from civic_common.events.contracts.trajecten import TrainingRecorded
from civic_common.events.envelope import Envelope
from trajecten.domain.themes import UNMAPPED, theme_catalogue

revision = "0013"
down_revision = "0012"
S = "trajecten"
CATALOGUE = "2021.1"
COMPONENTS = ("intake_call", "learning_network", "coaching", "evaluation")
SEED_002_RULES = {
    "min_staff": 10,
    "required_participant_roles": ["manager", "diversity_officer"],
    "recommended_participants": 2,
}


def _documents(conn: sa.Connection, table: str) -> list[Any]:
    return list(conn.execute(sa.text(f"SELECT id, version, data FROM {S}.{table} FOR UPDATE")))


def _save(conn: sa.Connection, table: str, id_: Any, version: int, data: dict) -> None:
    conn.execute(
        sa.text(f"UPDATE {S}.{table} SET version = :v, data = CAST(:d AS jsonb) WHERE id = :id"),
        {"v": version, "d": json.dumps(data), "id": id_},
    )


def _publish_training(conn: sa.Connection, data: dict, label: str) -> None:
    event = TrainingRecorded.model_validate(data | {"training_id": data["id"], "theme": label})
    envelope = Envelope(
        type=event.event_type,
        source=f"/civic/{S}",
        partitionkey=str(data["id"]),
        sequence=data["version"],
        data=event.model_dump(mode="json"),
    )
    conn.execute(
        sa.text(
            f"INSERT INTO {S}.outbox (event_id, topic, partition_key, event_type, headers, payload)"
            " VALUES (:id, :topic, :key, :type, CAST(:headers AS jsonb), :payload)"
        ),
        {
            "id": envelope.id,
            "topic": event.topic,
            "key": envelope.partitionkey,
            "type": envelope.type,
            "headers": json.dumps(envelope.headers()),
            "payload": envelope.value(),
        },
    )


def upgrade() -> None:
    conn = op.get_bind()
    themes = theme_catalogue(CATALOGUE)
    for id_, version, data in _documents(conn, "trainings"):
        if "theme_code" in data:
            continue
        text = str(data.pop("theme", "")).strip()
        code = themes.match(text)
        data |= {"theme_code": code, "theme_catalogue": CATALOGUE, "version": version + 1}
        data["unmapped_theme"] = (text or "(geen thema)") if code == UNMAPPED else None
        _save(conn, "trainings", id_, version + 1, data)
        _publish_training(conn, data, data["unmapped_theme"] or themes.label(code))

    for id_, version, data in _documents(conn, "organisation_trajectories"):
        if "components" in data:
            continue
        done = data.get("status") == "completed"
        data["components"] = [
            {"code": code, "status": "completed" if done else "planned"} for code in COMPONENTS
        ]
        _save(conn, "organisation_trajectories", id_, version, data)

    for id_, version, data in _documents(conn, "calls"):
        rules = data.get("eligibility") or {}
        if data.get("template_version") == "2019.1" and rules == SEED_002_RULES:
            data["eligibility"] = rules | {"organisation_types": ["care_and_welfare"]}
            _save(conn, "calls", id_, version, data)


def downgrade() -> None:
    conn = op.get_bind()
    themes = theme_catalogue(CATALOGUE)
    for id_, version, data in _documents(conn, "trainings"):
        code = data.pop("theme_code", None)
        if code is None:
            continue
        data.pop("theme_catalogue", None)
        data["theme"] = data.pop("unmapped_theme", None) or themes.label(code)
        _save(conn, "trainings", id_, version, data)
    for id_, version, data in _documents(conn, "organisation_trajectories"):
        data.pop("components", None)
        _save(conn, "organisation_trajectories", id_, version, data)
    for id_, version, data in _documents(conn, "calls"):
        if (data.get("eligibility") or {}).pop("organisation_types", None) is not None:
            _save(conn, "calls", id_, version, data)
