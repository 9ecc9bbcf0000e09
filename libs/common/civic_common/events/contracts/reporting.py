"""Shapes shared by the reportable snapshots trajecten publishes (no personal data in any)."""

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from civic_common.events.contracts.intake import OrganisationType

Region = Literal[
    "Antwerpen",
    "Brussel",
    "Limburg",
    "Oost-Vlaanderen",
    "Vlaams-Brabant",
    "West-Vlaanderen",
    "regio-overschrijdend",
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Session(_Part):
    held_on: date
    half_days: int = Field(ge=1, le=10)
    place: str | None = None
    trainers: list[str] = Field(default_factory=list, description="Trainer names or firms")


class ParticipatingOrganisation(_Part):
    organisation_id: UUID | None = Field(None, description="Set when registered in intake")
    name: str
    organisation_type: OrganisationType
    participants: int = Field(ge=0)


class CostLine(_Part):
    description: str
    amount_eur: Decimal = Field(ge=0)
    borne_by: str = Field(description="Who bears it: an agency (agii, atlas, in-gent), vivo, …")


class Evaluation(_Part):
    invited: int = Field(ge=0)
    responded: int = Field(ge=0)
    satisfied: int = Field(ge=0, description="Respondents satisfied or very satisfied")


ComponentProgressStatus = Literal["planned", "started", "completed"]


class ComponentProgress(_Part):
    """Where one component of an organisation trajectory's template stands (codes and dates
    only): e.g. intake_call, learning_network (its sessions), coaching, evaluation."""

    code: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,60}$",
        description="Component code of the template, e.g. learning_network",
    )
    status: ComponentProgressStatus = "planned"
    started_on: date | None = None
    completed_on: date | None = None


class ReportableFacts(_Part):
    """What a training and an organisation trajectory both report: who organised it, where,
    its sessions, the organisations taking part, what it cost and how it was evaluated."""

    agencies: list[str] = Field(min_length=1, description="Organising agencies; >1 when joint")
    region: Region
    sessions: list[Session] = Field(default_factory=list)
    participating_organisations: list[ParticipatingOrganisation] = Field(default_factory=list)
    cost_lines: list[CostLine] = Field(default_factory=list)
    staff_hours: Decimal = Field(Decimal(0), ge=0, description="Agency staff effort, for VTE")
    evaluation: Evaluation | None = None
