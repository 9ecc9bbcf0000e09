"""The worklist's open work: required components not done yet, by deadline, in a partial index
(a year's data: some 200,000 trajectories with five components each; bench/year_of_data.py).

Revision ID: 0014
"""

from alembic import op

revision = "0014"
down_revision = "0013"
S = "trajecten"


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX components_open_required_deadline ON {S}.components "
        "(deadline, trajectory_id) WHERE required AND status NOT IN ('completed', 'exempted')"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX {S}.components_open_required_deadline")
