"""Interpreter requests, for the tolken indicators.

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"

STATEMENTS = (
    """CREATE TABLE rapportage.interpreter_requests (
    request_id UUID NOT NULL,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    modality TEXT,
    urgent BOOLEAN NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    month DATE NOT NULL,
    assigned_at TIMESTAMP WITH TIME ZONE,
    status TEXT NOT NULL,
    status_at TIMESTAMP WITH TIME ZONE,
    actual_minutes INTEGER,
    PRIMARY KEY (request_id)
)""",
    "CREATE INDEX interpreter_requests_month ON rapportage.interpreter_requests (month)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
