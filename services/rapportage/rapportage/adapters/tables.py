"""The rapportage schema: read models only, rebuildable from the topics."""

from sqlalchemy import Column, Date, Integer, MetaData, PrimaryKeyConstraint, Table, Text

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
