"""Events published by rapportage.

Historical registrations (from before the system) enter as events of their own, on the topic
rapportage.historical, and rapportage's projections apply them exactly as they apply trajecten's
live snapshots: a report cannot tell them apart, and a rebuild from the topics restores them
like live data. They stay rapportage's facts: trajecten's topics carry only what trajecten itself
decided.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from civic_common.events.contracts.base import EventData
from civic_common.events.contracts.reporting import Region


class HistoricalTrainingsImported(EventData):
    event_type = "rapportage.historical-trainings.imported.v1"
    topic = "rapportage.historical"
    summary = (
        "One row of a historical import: one training, or a number of trainings of one year, "
        "agency, region and theme registered before the system. Re-importing the same file "
        "yields the same record_id, so the projection upserts instead of counting twice."
    )

    record_id: UUID = Field(description="Stable id: derived from the file's content and line")
    import_id: UUID
    year: int = Field(ge=1990, le=2100)
    agencies: list[str] = Field(min_length=1)
    offer: Literal["open", "custom"] | None = None
    region: Region
    theme: str
    title: str = ""
    description: str = ""
    trainings: int = Field(1, ge=1, description="How many trainings the row stands for")
    organisers: list[str] = Field(default_factory=list)
    local_government_participants: int = Field(0, ge=0)
    other_participants: int = Field(0, ge=0)
    other_organisations: list[str] = Field(default_factory=list)
    cost_eur: Decimal = Field(Decimal(0), ge=0)
    staff_hours: Decimal = Field(Decimal(0), ge=0)
    cost_registered: bool = Field(
        True, description="False: the file gave no cost (not registered, which is not 0)"
    )
    staff_hours_registered: bool = Field(
        True, description="False: the file gave no staff hours (not registered, not 0)"
    )
    invited: int | None = Field(None, ge=0)
    responded: int | None = Field(None, ge=0)
    satisfied: int | None = Field(None, ge=0)
    outcome: Literal["continued", "stopped", "adjusted"] | None = None


class HistoricalOrganisationTrajectoryImported(EventData):
    event_type = "rapportage.historical-organisation-trajectory.imported.v1"
    topic = "rapportage.historical"
    summary = (
        "One historical learning and coaching trajectory for organisations (e.g. the 2016-2017 "
        "edition with VIVO), for the reports of written question 310."
    )

    record_id: UUID
    import_id: UUID
    edition: str = Field(pattern=r"^\d{4}(-\d{4})?$")
    agencies: list[str] = Field(min_length=1)
    partners: list[str] = Field(default_factory=list)
    region: Region
    goal: str
    content: str
    organisations: int = Field(0, ge=0)
    participants: int = Field(0, ge=0)
    organisation_names: list[str] = Field(default_factory=list)
    cost_eur: Decimal = Field(Decimal(0), ge=0)
    staff_hours: Decimal = Field(Decimal(0), ge=0)
    cost_registered: bool = Field(
        True, description="False: the file gave no cost (not registered, which is not 0)"
    )
    staff_hours_registered: bool = Field(
        True, description="False: the file gave no staff hours (not registered, not 0)"
    )
    results: str | None = None
    evaluation_criteria: list[str] = Field(default_factory=list)
    sessions: int | None = Field(None, ge=0, description="Work sessions; None: not registered")
    groups: int | None = Field(None, ge=0, description="Groups; None: not registered")
    invited: int | None = Field(None, ge=0)
    responded: int | None = Field(None, ge=0)
    satisfied: int | None = Field(None, ge=0)


class ReportPublished(EventData):
    event_type = "rapportage.report.published.v1"
    topic = "rapportage.reports"
    summary = (
        "A scheduled report was published for partners. Carries aggregates only, small cells "
        "already suppressed; fetch it again at /partners/v1/publications/{publication_id}."
    )

    publication_id: UUID
    report_id: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    published_at: datetime
    tables: list[dict[str, Any]] = Field(
        default_factory=list, description="Each {title, columns, rows}; suppressed cells null"
    )
