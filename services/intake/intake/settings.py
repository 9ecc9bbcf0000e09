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
    # trajecten's API: eligibility decisions for candidacies, and its section of a data-subject
    # report; the other services' APIs for their sections.
    trajecten_api_url: str | None = Field(
        None,
        description="Base address of trajecten's API: candidacies for a call show trajecten's "
        "eligibility decision, asked with the counter's own token (unset: refused with 503), "
        "and the data-subject report reads trajecten's section there (unset: named as missing)",
    )
    trajecten_timeout_seconds: float = Field(
        5.0, gt=0, description="How long a candidacy waits for trajecten's decision"
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
