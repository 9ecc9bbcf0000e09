"""Settings of intake beyond the shared ones, from ``CIVIC_INTAKE_*`` variables."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVIC_INTAKE_", extra="ignore")

    trajecten_pages_url: str | None = Field(
        None,
        description="Base address of trajecten's pages (e.g. https://trajecten.example); the "
        "person page links to the person's trajectories there (unset: no link)",
    )
    # The data-subject access report reads each other service's section from its API.
    trajecten_api_url: str | None = Field(
        None,
        description="Base address of trajecten's API, for its section of a data-subject report "
        "(unset: the report says that trajecten's section is missing)",
    )
    tolken_api_url: str | None = Field(
        None, description="Base address of tolken's API, for its section of a data-subject report"
    )
    rapportage_api_url: str | None = Field(
        None,
        description="Base address of rapportage's API, for its section of a data-subject report",
    )
    data_subject_timeout_seconds: float = Field(
        15.0,
        gt=0,
        description="How long the data-subject report waits for another service's section "
        "before it names that service as not answering",
    )
