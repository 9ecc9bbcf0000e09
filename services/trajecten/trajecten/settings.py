"""Settings of trajecten beyond the shared ones, from ``CIVIC_TRAJECTEN_*`` variables."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TrajectenSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVIC_TRAJECTEN_", extra="ignore")

    deadline_check_seconds: float = Field(
        300.0, gt=0, description="How often the worker looks for missed deadlines"
    )
    vdab_organisations: list[str] = Field(
        default_factory=lambda: ["vdab"],
        description="Organisation claims (org) allowed on the VDAB partner endpoints",
    )
