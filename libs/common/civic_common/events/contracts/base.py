"""The contract base class, the registry of event types and the topics they travel on."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

# Every topic with its partition count; created explicitly (auto-creation is off on the broker).
TOPICS: dict[str, int] = {
    "intake.persons": 3,
    "intake.organisations": 3,
    "intake.candidacies": 3,
    "trajecten.trajectories": 3,
    "trajecten.organisation-trajectories": 3,
    "trajecten.trainings": 3,
    "trajecten.partner-alerts": 1,
    "tolken.interpreters": 3,
    "tolken.requests": 3,
    "rapportage.historical": 1,
    "rapportage.reports": 1,
}
SERVICES = ("intake", "trajecten", "tolken", "rapportage")


def deadletter_topic(service: str) -> str:
    """Where a service's consumers park events they cannot validate, with the reason."""
    return f"{service}.deadletter"


CONTRACTS: dict[str, type["EventData"]] = {}


class EventData(BaseModel):
    """The data of one event type. Readers ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]
    summary: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.event_type in CONTRACTS:
            raise TypeError(f"event type {cls.event_type} defined twice")
        if cls.topic not in TOPICS:
            raise TypeError(f"{cls.event_type}: unknown topic {cls.topic}")
        CONTRACTS[cls.event_type] = cls


def contract_for(event_type: str) -> type[EventData] | None:
    return CONTRACTS.get(event_type)
