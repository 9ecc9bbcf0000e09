"""Housekeeping: a periodic job in every worker that deletes what has outlived its use.

What is kept, and why, per table (docs/runbook.md, "Retention"):
- ``idempotency_keys``: a stored answer is replayed for ``idempotency_retention_hours``
  (24 h by default, as Stripe does); after that the same key is a new request.
- ``dpop_proofs``: a proof id only matters until the proof expires (60 s); rows are also pruned
  as new proofs arrive, so this catches a quiet service.
- ``inbox``: never pruned. It is what makes a redelivered event a no-op, and an event can come
  back from the start of its topic (topics keep events; a consumer group whose offsets expired
  reads from the earliest). At about 100 bytes a row, a million events take some 100 MB.
- ``outbox``: rows leave as they are sent. ``audit_log``: kept (legal retention, its own
  schema, not the service's to delete).
"""

from datetime import timedelta

from prometheus_client import Counter
from sqlalchemy import delete, func

from civic_common.periodic import PeriodicJob
from civic_common.runtime import Runtime

DELETED = Counter(
    "civic_housekeeping_deleted_total", "Rows deleted by housekeeping", ["service", "table"]
)


def housekeeping_job(runtime: Runtime) -> PeriodicJob:
    settings = runtime.settings
    tables = runtime.tables
    keep_answers = timedelta(hours=settings.idempotency_retention_hours)

    async def run() -> None:
        keys, proofs = tables.idempotency_keys, tables.dpop_proofs
        async with runtime.engine.begin() as conn:
            answers = await conn.execute(
                delete(keys).where(keys.c.created_at < func.now() - keep_answers)
            )
            expired = await conn.execute(delete(proofs).where(proofs.c.expires_at < func.now()))
        DELETED.labels(runtime.service, "idempotency_keys").inc(answers.rowcount or 0)
        DELETED.labels(runtime.service, "dpop_proofs").inc(expired.rowcount or 0)

    return PeriodicJob("housekeeping", settings.housekeeping_seconds, run)
