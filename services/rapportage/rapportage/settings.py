"""Rapportage's own settings (``CIVIC_RAPPORTAGE_*``): the legal and policy parameters."""

from decimal import Decimal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from civic_common.agencies import AGENCIES


class RapportageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVIC_RAPPORTAGE_", extra="ignore")

    annual_hours_per_fte: Decimal = Field(
        Decimal(1596),
        gt=0,
        description="Working hours of one VTE per year: 38 h x 42 weeks net of leave and holidays",
    )
    small_cell_threshold: int = Field(
        5, ge=1, description="Counts below this (but above 0) are suppressed outside the agency"
    )
    publish_interval_seconds: float = Field(
        86400.0, gt=0, description="How often the scheduled reports are published to partners"
    )
    published_reports: list[str] = Field(
        default_factory=lambda: ["trainings-per-region", "intakes-per-month"],
        description="Report ids the schedule publishes",
    )
    agencies: dict[str, str] = Field(
        default_factory=lambda: dict(AGENCIES),
        description="The known agencies, code -> display name (civic_common.agencies): imports "
        "and filters accept these only; partners whose organisation claim is one see their own",
    )
    background_import_rows: int = Field(
        2000, ge=0, description="Imports of more rows than this run as a background job (202)"
    )
    rebuild_batch: int = Field(10000, ge=1, description="Events per fetch while rebuilding")
