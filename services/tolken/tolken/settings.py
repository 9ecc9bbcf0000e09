"""Tolken's own configuration (``CIVIC_TOLKEN_*``): the legal and operational parameters."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tolken.domain.policy import Policy

_DEFAULT = Policy()


class TolkenSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVIC_TOLKEN_", extra="ignore")

    subjects: set[str] = Field(set(_DEFAULT.subjects), description="Allowed subject categories")
    certified_subjects: set[str] = Field(
        set(_DEFAULT.certified_subjects),
        description="Subjects needing a certified interpreter with a valid certificate",
    )
    travel_buffer_minutes: int = Field(_DEFAULT.travel_buffer_minutes, ge=0)
    offer_answer_minutes: int = Field(_DEFAULT.offer_answer_minutes, gt=0)
    urgent_offer_answer_minutes: int = Field(_DEFAULT.urgent_offer_answer_minutes, gt=0)
    free_cancellation_working_days: int = Field(_DEFAULT.free_cancellation_working_days, ge=0)
    candidates_shown: int = Field(_DEFAULT.candidates_shown, gt=0)
    timer_seconds: float = Field(10.0, gt=0, description="How often the worker checks deadlines")
    offer_stream_seconds: float = Field(
        3.0,
        gt=0,
        description="How often an interpreter's open offers page (server-sent events) looks for "
        "new offers",
    )

    def policy(self) -> Policy:
        return Policy(
            subjects=frozenset(self.subjects | self.certified_subjects),
            certified_subjects=frozenset(self.certified_subjects),
            travel_buffer_minutes=self.travel_buffer_minutes,
            offer_answer_minutes=self.offer_answer_minutes,
            urgent_offer_answer_minutes=self.urgent_offer_answer_minutes,
            free_cancellation_working_days=self.free_cancellation_working_days,
            candidates_shown=self.candidates_shown,
        )
