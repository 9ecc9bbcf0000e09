"""Trajectory lifecycle: status and overdue on trajectories, and the components table.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"

STATEMENTS = (
    "ALTER TABLE rapportage.trajectories ADD COLUMN status_at TIMESTAMP WITH TIME ZONE",
    "ALTER TABLE rapportage.trajectories ADD COLUMN overdue BOOLEAN NOT NULL DEFAULT false",
    """CREATE TABLE rapportage.components (
    trajectory_id UUID NOT NULL,
    component TEXT NOT NULL,
    status TEXT NOT NULL,
    status_at TIMESTAMP WITH TIME ZONE NOT NULL,
    cefr_level TEXT,
    PRIMARY KEY (trajectory_id, component)
)""",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
