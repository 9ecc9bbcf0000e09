"""The desk's queue by day, paged, and the reason an interpreter declined an offer.

- ``offers.decline_reason``: a code of the closed list (``tolken.domain.requests.DeclineReason``),
  set when the interpreter declines; earlier declines have none.
- Two partial indexes over the open requests (received, offered) in the queue's order: the day
  in Brussels, urgent first, then the moment and the id (the page cursor's keys); one of them
  language first, for the language filter. At a year's volume (50,000 requests) a page of the
  queue then reads only its own rows (bench/year_of_data.py).
- On assignments, what matching reads for a page of candidates at a year's volume: the weekly
  load of interpreters (interpreter, day; bookings held) and whom a person was served by before
  (person). Without them both read every assignment of the year.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"
S = "tolken"
# The expressions of RequestRepository.open_queue, word for word (the planner matches them).
DAY = "date(timezone('Europe/Brussels', coalesce(starts_at, deadline)))"
KEYS = f"({DAY}), (NOT urgent), (coalesce(starts_at, deadline)), id"
OPEN = "WHERE status IN ('received', 'offered')"


def upgrade() -> None:
    op.execute(f"ALTER TABLE {S}.offers ADD COLUMN decline_reason text")
    op.execute(f"CREATE INDEX requests_open_by_day ON {S}.requests ({KEYS}) {OPEN}")
    op.execute(
        f"CREATE INDEX requests_open_by_language_day ON {S}.requests (language, {KEYS}) {OPEN}"
    )
    op.execute(
        f"CREATE INDEX assignments_held_by_interpreter_day ON {S}.assignments"
        " (interpreter_id, day) WHERE released_at IS NULL"
    )
    op.execute(
        f"CREATE INDEX assignments_by_person ON {S}.assignments (person_id, interpreter_id)"
        " WHERE person_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX {S}.assignments_by_person")
    op.execute(f"DROP INDEX {S}.assignments_held_by_interpreter_day")
    op.execute(f"DROP INDEX {S}.requests_open_by_language_day")
    op.execute(f"DROP INDEX {S}.requests_open_by_day")
    op.execute(f"ALTER TABLE {S}.offers DROP COLUMN decline_reason")
