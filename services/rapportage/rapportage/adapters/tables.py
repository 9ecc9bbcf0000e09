"""The rapportage schema: read models only, rebuildable from the topics."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from civic_common.db.messaging import messaging_tables

metadata = MetaData(schema="rapportage")
messaging = messaging_tables(metadata)

monthly_counts = Table(
    "monthly_counts",
    metadata,
    Column("month", Date, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("month", "municipality_nis", "metric"),
)

# Snapshot projections keep the highest ce_sequence per id; "source" tells live from imported.
trainings = Table(
    "trainings",
    metadata,
    Column("training_id", UUID(as_uuid=True), primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("source", Text, nullable=False),
    Column("year", Integer),
    Column("agencies", ARRAY(Text), nullable=False),
    Column("joint", Boolean, nullable=False),
    Column("offer", Text),
    # The theme in Dutch; theme_code is the catalogue's code when trajecten sent one (NULL for
    # records from before the catalogue and imported history: those group by their text).
    Column("theme", Text, nullable=False),
    Column("theme_code", Text),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("region", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("trainings", Integer, nullable=False),
    Column("organisers", ARRAY(Text), nullable=False),
    Column("local_government_participants", Integer, nullable=False),
    Column("other_participants", Integer, nullable=False),
    Column("local_governments", ARRAY(Text), nullable=False),
    Column("other_organisations", ARRAY(Text), nullable=False),
    # NULL: not registered (an import said nothing), never summed as 0.
    Column("cost_eur", Numeric(14, 2)),
    # Who bore the cost: {bearer code: amount as text}; {} when not registered per bearer.
    Column("cost_by", JSONB, nullable=False, server_default="{}"),
    Column("staff_hours", Numeric(12, 2)),
    Column("invited", Integer),
    Column("responded", Integer),
    Column("satisfied", Integer),
    Column("outcome", Text),
    # The import batch a historical row came with (NULL: live): shown once its batch is whole.
    Column("import_id", UUID(as_uuid=True)),
)

organisation_trajectories = Table(
    "organisation_trajectories",
    metadata,
    Column("organisation_trajectory_id", UUID(as_uuid=True), primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("source", Text, nullable=False),
    Column("edition", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("agencies", ARRAY(Text), nullable=False),
    Column("partners", ARRAY(Text), nullable=False),
    Column("region", Text, nullable=False),
    Column("goal", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("organisations", Integer, nullable=False),
    Column("participants", Integer, nullable=False),
    Column("organisation_names", ARRAY(Text), nullable=False),
    # NULL: not registered (an import said nothing), never summed as 0.
    Column("cost_eur", Numeric(14, 2)),
    # Who bore the cost: {bearer code: amount as text}; {} when not registered per bearer.
    Column("cost_by", JSONB, nullable=False, server_default="{}"),
    Column("staff_hours", Numeric(12, 2)),
    Column("results", Text),
    Column("evaluation_criteria", ARRAY(Text), nullable=False),
    # NULL: not registered (historical rows that do not say).
    Column("sessions", Integer),
    Column("groups", Integer),
    Column("invited", Integer),
    Column("responded", Integer),
    Column("satisfied", Integer),
    Column("import_id", UUID(as_uuid=True)),
)

# Newcomer facts keyed by pseudonymous ids only; reports expose aggregates, never these ids.
intakes = Table(
    "intakes",
    metadata,
    Column("person_id", UUID(as_uuid=True), primary_key=True),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("month", Date, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("target_group", Text),
    Column("nationality", Text),
    Column("residence_category", Text),
    Column("interpreter_language", Text),
    Column("dutch_level", Text),
    Column("agency", Text),  # whose case it is (canonical code); follows a transfer
)

trajectories = Table(
    "trajectories",
    metadata,
    Column("trajectory_id", UUID(as_uuid=True), primary_key=True),
    # Pseudonymous: on erasure it is replaced, in step with intakes.person_id.
    Column("person_id", UUID(as_uuid=True), index=True),
    Column("kind", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("month", Date, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("status", Text, nullable=False),
    # The moment of the latest lifecycle fact: an older one arriving late does not undo it.
    Column("status_at", DateTime(timezone=True)),
    Column("overdue", Boolean, nullable=False, server_default="false"),
)

components = Table(
    "components",
    metadata,
    Column("trajectory_id", UUID(as_uuid=True), nullable=False),
    Column("component", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("status_at", DateTime(timezone=True), nullable=False),
    Column("cefr_level", Text),
    Column("result", Text),
    PrimaryKeyConstraint("trajectory_id", "component"),
)

interpreter_requests = Table(
    "interpreter_requests",
    metadata,
    Column("request_id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("modality", Text),
    Column("urgent", Boolean, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("month", Date, nullable=False),
    Column("assigned_at", DateTime(timezone=True)),
    Column("status", Text, nullable=False),
    Column("status_at", DateTime(timezone=True)),
    Column("actual_minutes", Integer),
)

appointments = Table(
    "appointments",
    metadata,
    Column("appointment_id", UUID(as_uuid=True), primary_key=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("month", Date, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("subject_category", Text, nullable=False),
)

organisations = Table(
    "organisations",
    metadata,
    Column("organisation_id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("organisation_type", Text, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

candidacies = Table(
    "candidacies",
    metadata,
    Column("candidacy_id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("municipality_nis", Text, nullable=False),
    Column("theme", Text),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

publications = Table(
    "publications",
    metadata,
    Column("publication_id", UUID(as_uuid=True), primary_key=True),
    Column("report_id", Text, nullable=False),
    Column("parameters", JSONB, nullable=False),
    Column("tables", JSONB, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

# Every historical import as a batch: rapportage's own record (a rebuild keeps it). ``rows``
# summarises each imported row (line, year, agencies, count) and ``declared`` the file's
# "Totaal" rows, for the reconciliation of declared totals against the sum of the rows.
import_batches = Table(
    "import_batches",
    metadata,
    Column("import_id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    # running (a background import) | imported | failed | withdrawn | replaced
    Column("status", Text, nullable=False),
    Column("imported", Integer, nullable=False),
    Column("rejected", JSONB, nullable=False),
    Column("declared", JSONB, nullable=False),
    Column("rows", JSONB, nullable=False),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("rows_done", Integer, nullable=False, server_default="0"),
    Column("replaces", UUID(as_uuid=True)),  # the batch this one corrects
)

# How many rows of each import batch the projections hold: a batch shows in the reports only
# once all of its rows are in (``applied`` = ``import_batches.imported``), never half of it.
batch_rows = Table(
    "batch_rows",
    metadata,
    Column("import_id", UUID(as_uuid=True), primary_key=True),
    Column("applied", Integer, nullable=False),
)

# Everything a rebuild empties; publications are rapportage's own records, not projections.
PROJECTIONS = (
    monthly_counts,
    batch_rows,
    trainings,
    organisation_trajectories,
    intakes,
    trajectories,
    components,
    interpreter_requests,
    appointments,
    organisations,
    candidacies,
)
