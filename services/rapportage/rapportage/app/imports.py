"""Importing historical registrations: validate every row, then publish the valid ones as
events in one transaction (all of them or none), so the projections take them in exactly as
they take live data. Rejected rows are reported with their line and reason."""

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from civic_common.agencies import AGENCIES
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.events.contracts.rapportage import (
    HistoricalOrganisationTrajectoryImported,
    HistoricalTrainingsImported,
)
from rapportage.adapters.spreadsheets import Sheet
from rapportage.adapters.tables import import_batches
from rapportage.domain import historical
from rapportage.domain.historical import RowError

NAMESPACE = uuid.UUID("0b7f3f55-1f0c-4a43-9a8c-6b5f5a0e2c11")
Progress = Callable[[int, int], None]


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


async def import_sheet(
    uow: UnitOfWork,
    kind: Kind,
    sheet: Sheet,
    today: date,
    progress: Progress | None = None,
    *,
    agencies: Mapping[str, str] = AGENCIES,
    filename: str = "",
) -> ImportResult:
    """The same registration (same key) imported again replaces the earlier import: its
    record_id is derived from the key, and a later import carries a higher sequence. The
    import is recorded as a batch with the totals the file declares ("Totaal" rows, never
    imported as registrations), in the same transaction as its events."""
    if missing := historical.missing_columns(sheet.header, kind.required):
        raise MissingColumns(missing)
    result = ImportResult(kind.name, uuid.uuid4())
    valid: list[EventData] = []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
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
            record_id = uuid.uuid5(NAMESPACE, f"{kind.name}:{key}")
            valid.append(
                kind.event(  # type: ignore[call-arg]
                    record_id=record_id, import_id=result.import_id, **_registered(data)
                )
            )
            seen[key] = line
            rows.append(_summary(line, data))
        except RowError as exc:
            result.rejected.append(Rejection(line, str(exc)))
        except ValidationError as exc:
            result.rejected.append(Rejection(line, _reason(exc)))
        if progress:
            progress(done, len(sheet.rows))
    result.imported = len(valid)
    if valid or result.declared:
        sequence = time.time_ns() // 1000  # a later import of the same registration wins
        async with uow:
            for event in valid:
                record_id = event.record_id  # type: ignore[attr-defined]
                await uow.publish(event, key=record_id, sequence=sequence)
            await uow.session.execute(
                import_batches.insert().values(
                    import_id=result.import_id,
                    kind=kind.name,
                    filename=filename,
                    imported_at=datetime.now(UTC),
                    status="imported",
                    imported=result.imported,
                    rejected=[{"line": r.line, "reason": r.reason} for r in result.rejected],
                    declared=result.declared,
                    rows=rows,
                )
            )
            await uow.commit()
    return result
