"""Event contracts: one pydantic model per event type, grouped by the service that publishes it.

A model is a published promise. Change it only compatibly (add optional fields); anything else
is a new type version (``.v2``). ``tests/contract`` checks the exported JSON Schemas.
"""

from civic_common.events.contracts.base import (
    CONTRACTS,
    TOPICS,
    EventData,
    contract_for,
    deadletter_topic,
)
from civic_common.events.contracts.intake import PersonRegistered
from civic_common.events.contracts.trajecten import TrajectoryOpened

__all__ = [
    "CONTRACTS",
    "TOPICS",
    "EventData",
    "PersonRegistered",
    "TrajectoryOpened",
    "contract_for",
    "deadletter_topic",
]
