"""Projections for the report catalogue: trainings, organisation trajectories, newcomer facts,
organisations, candidacies, and the published reports.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"

# Frozen DDL: later changes to adapters/tables.py come as new revisions, never by editing this.
STATEMENTS = (
    """CREATE TABLE rapportage.trainings (
    training_id UUID NOT NULL,
    sequence BIGINT NOT NULL,
    source TEXT NOT NULL,
    year INTEGER,
    agencies TEXT[] NOT NULL,
    joint BOOLEAN NOT NULL,
    offer TEXT,
    theme TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    region TEXT NOT NULL,
    status TEXT NOT NULL,
    trainings INTEGER NOT NULL,
    organisers TEXT[] NOT NULL,
    local_government_participants INTEGER NOT NULL,
    other_participants INTEGER NOT NULL,
    local_governments TEXT[] NOT NULL,
    other_organisations TEXT[] NOT NULL,
    cost_eur NUMERIC(14, 2) NOT NULL,
    staff_hours NUMERIC(12, 2) NOT NULL,
    invited INTEGER,
    responded INTEGER,
    satisfied INTEGER,
    outcome TEXT,
    PRIMARY KEY (training_id)
)""",
    """CREATE TABLE rapportage.organisation_trajectories (
    organisation_trajectory_id UUID NOT NULL,
    sequence BIGINT NOT NULL,
    source TEXT NOT NULL,
    edition TEXT NOT NULL,
    year INTEGER NOT NULL,
    agencies TEXT[] NOT NULL,
    partners TEXT[] NOT NULL,
    region TEXT NOT NULL,
    goal TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,
    organisations INTEGER NOT NULL,
    participants INTEGER NOT NULL,
    organisation_names TEXT[] NOT NULL,
    cost_eur NUMERIC(14, 2) NOT NULL,
    staff_hours NUMERIC(12, 2) NOT NULL,
    results TEXT,
    evaluation_criteria TEXT[] NOT NULL,
    PRIMARY KEY (organisation_trajectory_id)
)""",
    """CREATE TABLE rapportage.intakes (
    person_id UUID NOT NULL,
    registered_at TIMESTAMP WITH TIME ZONE NOT NULL,
    month DATE NOT NULL,
    municipality_nis TEXT NOT NULL,
    target_group TEXT,
    nationality TEXT,
    residence_category TEXT,
    interpreter_language TEXT,
    PRIMARY KEY (person_id)
)""",
    """CREATE TABLE rapportage.trajectories (
    trajectory_id UUID NOT NULL,
    kind TEXT NOT NULL,
    opened_at TIMESTAMP WITH TIME ZONE NOT NULL,
    month DATE NOT NULL,
    municipality_nis TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (trajectory_id)
)""",
    """CREATE TABLE rapportage.appointments (
    appointment_id UUID NOT NULL,
    starts_at TIMESTAMP WITH TIME ZONE NOT NULL,
    month DATE NOT NULL,
    municipality_nis TEXT NOT NULL,
    subject_category TEXT NOT NULL,
    PRIMARY KEY (appointment_id)
)""",
    """CREATE TABLE rapportage.organisations (
    organisation_id UUID NOT NULL,
    name TEXT NOT NULL,
    organisation_type TEXT NOT NULL,
    municipality_nis TEXT NOT NULL,
    registered_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (organisation_id)
)""",
    """CREATE TABLE rapportage.candidacies (
    candidacy_id UUID NOT NULL,
    organisation_id UUID NOT NULL,
    kind TEXT NOT NULL,
    municipality_nis TEXT NOT NULL,
    theme TEXT,
    submitted_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (candidacy_id)
)""",
    """CREATE TABLE rapportage.publications (
    publication_id UUID NOT NULL,
    report_id TEXT NOT NULL,
    parameters JSONB NOT NULL,
    tables JSONB NOT NULL,
    published_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (publication_id)
)""",
    "CREATE INDEX trainings_year ON rapportage.trainings (year)",
    "CREATE INDEX intakes_month ON rapportage.intakes (month)",
    "CREATE INDEX trajectories_month ON rapportage.trajectories (month)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
