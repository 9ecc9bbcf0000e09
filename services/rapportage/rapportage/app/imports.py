"""Importing historical registrations: validate every row, then publish the valid ones as
events in one transaction (all of them or none), so the projections take them in exactly as
they take live data. Rejected rows are reported with their line and reason."""

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from civic_common.agencies import AGENCIES
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.events.contracts.rapportage import (
    HistoricalOrganisationTrajectoryImported,
    HistoricalTrainingsImported,
)
from rapportage.adapters.spreadsheets import Sheet
from rapportage.adapters.tables import batch_rows, import_batches
from rapportage.domain import historical
from rapportage.domain.historical import RowError

NAMESPACE = uuid.UUID("0b7f3f55-1f0c-4a43-9a8c-6b5f5a0e2c11")
Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000  # rows between progress reports


@dataclass(frozen=True)
class Kind:
    name: str
    required: tuple[str, ...]
    parse: Callable[[Mapping[str, str], int, Mapping[str, str]], dict[str, Any]]
    key: Callable[[dict[str, Any]], str]
    event: type[EventData]


KINDS: dict[str, Kind] = {
    "trainings": Kind(
        "trainings",
        historical.TRAINING_REQUIRED,
        historical.parse_training,
        historical.training_key,
        HistoricalTrainingsImported,
    ),
    "organisation-trajectories": Kind(
        "organisation-trajectories",
        historical.TRAJECTORY_REQUIRED,
        historical.parse_trajectory,
        historical.trajectory_key,
        HistoricalOrganisationTrajectoryImported,
    ),
}


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass
class ImportResult:
    kind: str
    import_id: uuid.UUID
    imported: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    declared: list[dict[str, Any]] = field(default_factory=list)  # the file's "Totaal" rows


class MissingColumns(ValueError):
    def __init__(self, columns: list[str]) -> None:
        super().__init__(", ".join(columns))
        self.columns = columns


def _reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def _registered(data: dict[str, Any]) -> dict[str, Any]:
    """An empty cost or staff-hours cell travels as 0 with ``*_registered = False``."""
    out = dict(data)
    for field_name, flag in (
        ("cost_eur", "cost_registered"),
        ("staff_hours", "staff_hours_registered"),
    ):
        out[flag] = out.get(field_name) is not None
        if out[field_name] is None:
            out[field_name] = 0
    return out


def _summary(line: int, data: dict[str, Any]) -> dict[str, Any]:
    """What the reconciliation needs of an imported row."""
    return {
        "line": line,
        "year": data.get("year") or int(str(data.get("edition", "0"))[:4]),
        "agencies": data["agencies"],
        "label": data.get("theme") or data.get("goal") or "",
        "trainings": data.get("trainings", 1),
        "cost_eur": str(data["cost_eur"]) if data.get("cost_eur") is not None else None,
    }


class UnknownBatch(LookupError):
    """No import batch with that id."""


class NotReplaceable(ValueError):
    """Only a whole import of the same kind can be corrected."""


def record_id_of(name: str) -> str:
    """``str(uuid.uuid5(NAMESPACE, name))`` without the object (50,000 per import)."""
    b = bytearray(hashlib.sha1(NAMESPACE.bytes + name.encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def payload(record_id: uuid.UUID | str, import_id: uuid.UUID, data: dict[str, Any]) -> bytes:
    """A valid row's event as JSON, written at once: the parser's rules are the event's
    contract (``tests/unit/test_historical`` holds every parsed row against the event model),
    and an import of 50,000 rows cannot afford an event object per row."""
    body = {"record_id": str(record_id), "import_id": str(import_id), **_registered(data)}
    return json.dumps(body, default=str, separators=(",", ":"), ensure_ascii=False).encode()


def validate(
    kind: Kind,
    sheet: Sheet,
    today: date,
    agencies: Mapping[str, str],
    import_id: uuid.UUID,
    progress: Progress | None = None,
) -> tuple[ImportResult, list[tuple[str, bytes]], list[dict[str, Any]]]:
    """Every row parsed and validated (pure CPU work: run in a thread, so the API stays
    responsive during a large import). -> the result, ``(key, event JSON)`` per valid row,
    and what the reconciliation needs of each."""
    result = ImportResult(kind.name, import_id)
    valid: list[tuple[str, bytes]] = []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    total = len(sheet.rows)
    for done, (line, row) in enumerate(sheet.rows, start=1):
        try:
            if historical.is_total(row):
                if kind.name == "trainings":
                    declared = historical.declared_total(row, today.year, agencies)
                    result.declared.append({"line": line, **declared})
                continue
            data = kind.parse(row, today.year, agencies)
            key = kind.key(data)
            if key in seen:
                raise RowError(f"dezelfde registratie als lijn {seen[key]}")
            record_id = record_id_of(f"{kind.name}:{key}")
            valid.append((record_id, payload(record_id, result.import_id, data)))
            seen[key] = line
            rows.append(_summary(line, data))
        except RowError as exc:
            result.rejected.append(Rejection(line, str(exc)))
        except ValidationError as exc:
            result.rejected.append(Rejection(line, _reason(exc)))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    return result, valid, rows


async def import_sheet(
    uow: UnitOfWork,
    kind: Kind,
    sheet: Sheet,
    today: date,
    progress: Progress | None = None,
    *,
    agencies: Mapping[str, str] = AGENCIES,
    filename: str = "",
    import_id: uuid.UUID | None = None,
    replaces: uuid.UUID | None = None,
) -> ImportResult:
    """The same registration (same key) imported again replaces the earlier import: its
    record_id is derived from the key, and a later import carries a higher sequence. The
    import is recorded as a batch with the totals the file declares ("Totaal" rows, never
    imported as registrations), in the same transaction as its events: all or nothing.

    ``replaces``: the batch this file corrects. It is marked replaced in the same transaction,
    so its rows that the correction no longer holds leave the reports: a correction replaces,
    never adds. ``import_id``: the batch a background job already announced."""
    if missing := historical.missing_columns(sheet.header, kind.required):
        raise MissingColumns(missing)
    total = len(sheet.rows)
    result, valid, rows = await asyncio.to_thread(
        validate, kind, sheet, today, agencies, import_id or uuid.uuid4(), progress
    )
    result.imported = len(valid)
    if not (valid or result.declared or import_id or replaces):
        return result
    sequence = time.time_ns() // 1000  # a later import of the same registration wins
    async with uow:
        b = import_batches.c
        if replaces is not None:
            old = (
                await uow.session.execute(
                    select(b.kind, b.status).where(b.import_id == replaces).with_for_update()
                )
            ).first()
            if old is None:
                raise UnknownBatch(str(replaces))
            if old.kind != kind.name or old.status != "imported":
                raise NotReplaceable(f"{old.kind}, {old.status}")
            await uow.session.execute(
                import_batches.update().where(b.import_id == replaces).values(status="replaced")
            )
        await uow.publish_payloads(kind.event, valid, sequence)
        values = {
            "kind": kind.name,
            "filename": filename,
            "imported_at": datetime.now(UTC),
            "status": "imported",
            "imported": result.imported,
            "rejected": [{"line": r.line, "reason": r.reason} for r in result.rejected],
            "declared": result.declared,
            "rows": rows,
            "rows_total": total,
            "rows_done": total,
            "replaces": replaces,
        }
        statement = insert(import_batches).values(import_id=result.import_id, **values)
        await uow.session.execute(
            statement.on_conflict_do_update(index_elements=["import_id"], set_=values)
        )
        await uow.commit()
    return result


async def announce(
    uow: UnitOfWork, kind: Kind, filename: str, total: int, replaces: uuid.UUID | None
) -> uuid.UUID:
    """A background import's batch, running, so its progress can be followed at once."""
    import_id = uuid.uuid4()
    async with uow:
        await uow.session.execute(
            import_batches.insert().values(
                import_id=import_id,
                kind=kind.name,
                filename=filename,
                imported_at=datetime.now(UTC),
                status="running",
                imported=0,
                rejected=[],
                declared=[],
                rows=[],
                rows_total=total,
                rows_done=0,
                replaces=replaces,
            )
        )
        await uow.commit()
    return import_id


async def run_in_background(
    new_uow: Callable[[], UnitOfWork],
    kind: Kind,
    read: Callable[[], Sheet],
    today: date,
    *,
    import_id: uuid.UUID,
    agencies: Mapping[str, str],
    filename: str,
    replaces: uuid.UUID | None,
) -> None:
    """The import of a large file, its state in ``import_batches``: progress as it goes,
    ``imported`` when it committed, ``failed`` (with the reason) when it could not."""
    b = import_batches.c
    seen = {"done": 0}

    def progress(done: int, total: int) -> None:  # called from the validating thread
        seen["done"] = done

    async def report() -> None:
        written = 0
        while True:
            await asyncio.sleep(0.5)
            if seen["done"] != written:
                written = seen["done"]
                async with new_uow() as uow:
                    await uow.session.execute(
                        import_batches.update()
                        .where(b.import_id == import_id, b.status == "running")
                        .values(rows_done=written)
                    )
                    await uow.commit()

    reporter = asyncio.create_task(report())
    try:
        sheet = await asyncio.to_thread(read)
        async with new_uow() as uow:
            await uow.session.execute(
                import_batches.update()
                .where(b.import_id == import_id)
                .values(rows_total=len(sheet.rows))
            )
            await uow.commit()
        await import_sheet(
            new_uow(),
            kind,
            sheet,
            today,
            progress,
            agencies=agencies,
            filename=filename,
            import_id=import_id,
            replaces=replaces,
        )
    except Exception as exc:  # the job's state must say it failed, whatever the cause
        expected = isinstance(exc, UnknownBatch | NotReplaceable | MissingColumns | ValueError)
        reason = (
            "het gecorrigeerde import bestaat niet of is niet meer geldig"
            if isinstance(exc, UnknownBatch | NotReplaceable)
            else f"ontbrekende kolommen: {exc}"
            if isinstance(exc, MissingColumns)
            else str(exc)
            if isinstance(exc, ValueError)  # an unreadable file, said in Dutch
            else "de import is mislukt"
        )
        async with new_uow() as uow:
            await uow.session.execute(
                import_batches.update()
                .where(b.import_id == import_id)
                .values(status="failed", rejected=[{"line": 0, "reason": reason}])
            )
            await uow.commit()
        if not expected:
            raise
    finally:
        reporter.cancel()


async def batches(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every import batch, newest first, with how far the projections have it."""
    b, r = import_batches.c, batch_rows.c
    query = (
        select(
            b.import_id, b.kind, b.filename, b.imported_at, b.status, b.imported,
            b.rows_total, b.rows_done, b.replaces, func.jsonb_array_length(b.rejected),
            func.coalesce(r.applied, 0),
        )
        .select_from(import_batches.outerjoin(batch_rows, r.import_id == b.import_id))
        .order_by(b.imported_at.desc(), b.import_id)
    )  # fmt: skip
    async with uow:
        return [_view(row) for row in (await uow.session.execute(query)).all()]


def _view(row: Any) -> dict[str, Any]:
    (import_id, kind, filename, at, status, imported, total, done, replaces, rejected, applied) = (
        row
    )
    return {
        "import_id": str(import_id),
        "kind": kind,
        "filename": filename,
        "imported_at": at.isoformat(),
        "status": status,
        "rows_total": total,
        "rows_done": done,
        "imported": imported,
        "rejected_count": rejected,
        "applied": min(applied, imported),
        "visible": status == "imported" and applied >= imported,
        "replaces": str(replaces) if replaces else None,
    }


async def batch(uow: UnitOfWork, import_id: uuid.UUID) -> dict[str, Any]:
    b, r = import_batches.c, batch_rows.c
    query = (
        select(
            b.import_id, b.kind, b.filename, b.imported_at, b.status, b.imported,
            b.rows_total, b.rows_done, b.replaces, func.jsonb_array_length(b.rejected),
            func.coalesce(r.applied, 0), b.rejected, b.declared,
        )
        .select_from(import_batches.outerjoin(batch_rows, r.import_id == b.import_id))
        .where(b.import_id == import_id)
    )  # fmt: skip
    async with uow:
        row = (await uow.session.execute(query)).first()
    if row is None:
        raise UnknownBatch(str(import_id))
    return _view(row[:11]) | {"rejected": row[11], "declared": row[12]}


async def withdraw(uow: UnitOfWork, principal: Principal, import_id: uuid.UUID) -> None:
    """A withdrawn batch leaves every report at once (its rows stay in the read models, hidden,
    and a rebuild keeps them hidden: the batch record is rapportage's own)."""
    b = import_batches.c
    async with uow:
        status = (
            await uow.session.execute(
                select(b.status).where(b.import_id == import_id).with_for_update()
            )
        ).scalar()
        if status is None:
            raise UnknownBatch(str(import_id))
        if status not in ("imported", "failed"):
            raise NotReplaceable(status)
        await uow.session.execute(
            import_batches.update().where(b.import_id == import_id).values(status="withdrawn")
        )
        await uow.audit(principal, "withdraw", "import", str(import_id))
        await uow.commit()
