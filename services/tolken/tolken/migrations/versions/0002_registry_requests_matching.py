"""Interpreter registry, requests, offers and assignments (no double booking, by constraint).

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"


SCHEMA = """
        CREATE TABLE tolken.interpreters (
            id uuid PRIMARY KEY,
            version integer NOT NULL,
            name text NOT NULL,
            account text UNIQUE,
            tier text NOT NULL CHECK (tier IN ('certified', 'aspirant', 'language_assistant')),
            certificate_number text,
            certificate_valid_from date,
            certificate_valid_until date,
            languages text[] NOT NULL,
            modalities text[] NOT NULL,
            regions text[] NOT NULL,
            latitude double precision NOT NULL,
            longitude double precision NOT NULL,
            travel_range_km double precision NOT NULL CHECK (travel_range_km >= 0),
            max_assignments_per_week integer NOT NULL CHECK (max_assignments_per_week >= 0),
            weekly jsonb NOT NULL,
            exceptions jsonb NOT NULL,
            leave jsonb NOT NULL,
            organisations jsonb NOT NULL,
            active boolean NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK (tier <> 'certified' OR (certificate_number IS NOT NULL
                AND certificate_valid_from IS NOT NULL AND certificate_valid_until IS NOT NULL))
        );
        CREATE INDEX interpreters_languages ON tolken.interpreters USING gin (languages);

        CREATE TABLE tolken.requests (
            id uuid PRIMARY KEY,
            version integer NOT NULL,
            kind text NOT NULL CHECK (kind IN ('interpreting', 'translation')),
            organisation text NOT NULL,
            language text NOT NULL,
            modality text,
            starts_at timestamptz,
            ends_at timestamptz,
            deadline timestamptz,
            municipality_nis text,
            address text,
            latitude double precision,
            longitude double precision,
            region text,
            subject_category text NOT NULL,
            urgent boolean NOT NULL,
            person_id uuid,
            appointment_id uuid UNIQUE,
            status text NOT NULL,
            interpreter_id uuid REFERENCES tolken.interpreters (id),
            unfulfilled_reason text,
            cancelled_at timestamptz,
            billable boolean,
            actual_minutes integer,
            created_by text NOT NULL,
            received_at timestamptz NOT NULL,
            CHECK (kind <> 'interpreting' OR (modality IS NOT NULL AND starts_at < ends_at)),
            CHECK (kind <> 'translation' OR deadline IS NOT NULL)
        );
        CREATE INDEX requests_open ON tolken.requests (status, starts_at);
        CREATE INDEX requests_organisation ON tolken.requests (organisation, received_at);

        CREATE TABLE tolken.offers (
            id uuid PRIMARY KEY,
            request_id uuid NOT NULL REFERENCES tolken.requests (id),
            interpreter_id uuid NOT NULL REFERENCES tolken.interpreters (id),
            rank integer NOT NULL,
            status text NOT NULL
                CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
            why text[] NOT NULL,
            offered_at timestamptz NOT NULL,
            answer_by timestamptz NOT NULL,
            answered_at timestamptz,
            UNIQUE (request_id, interpreter_id)
        );
        CREATE UNIQUE INDEX offers_one_pending ON tolken.offers (request_id)
            WHERE status = 'pending';
        CREATE INDEX offers_due ON tolken.offers (answer_by) WHERE status = 'pending';

        -- The database, not the application, guarantees: one live assignment per request, and
        -- no interpreter booked twice for overlapping time (travel buffers included in busy).
        CREATE TABLE tolken.assignments (
            id uuid PRIMARY KEY,
            request_id uuid NOT NULL REFERENCES tolken.requests (id),
            interpreter_id uuid NOT NULL REFERENCES tolken.interpreters (id),
            person_id uuid,
            day date NOT NULL,
            busy tstzrange,
            by_desk boolean NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            released_at timestamptz,
            CONSTRAINT assignments_no_double_booking EXCLUDE USING gist
                (interpreter_id WITH =, busy WITH &&) WHERE (released_at IS NULL)
        );
        CREATE UNIQUE INDEX assignments_one_per_request ON tolken.assignments (request_id)
            WHERE released_at IS NULL;
        CREATE INDEX assignments_load ON tolken.assignments (interpreter_id, day)
            WHERE released_at IS NULL;
        CREATE INDEX assignments_person ON tolken.assignments (person_id, interpreter_id);
"""


def upgrade() -> None:
    # asyncpg runs one statement at a time.
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            op.execute(statement)
