"""Settings of trajecten beyond the shared ones, from ``CIVIC_TRAJECTEN_*`` variables."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TrajectenSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVIC_TRAJECTEN_", extra="ignore")

    deadline_check_seconds: float = Field(
        300.0, gt=0, description="How often the worker looks for missed deadlines"
    )
    # Intake, another host: its pages for links, its API for names shown to counsellors.
    intake_pages_url: str | None = Field(
        None,
        description="Base address of intake's pages (e.g. https://onthaal.example); trajectory "
        "pages and Mijn dossiers link to the person's page there (unset: no link)",
    )
    intake_api_url: str | None = Field(
        None,
        description="Base address of intake's API; pages fetch the name and INSZ of the "
        "persons shown there at render time, with the signed-in counsellor's own token (unset: "
        "only the person number is shown)",
    )
    intake_timeout_seconds: float = Field(
        2.0, gt=0, description="How long a page waits for intake's answer before showing none"
    )
    vdab_organisations: list[str] = Field(
        default_factory=lambda: ["vdab"],
        description="Organisation claims (org) allowed on the VDAB partner endpoints",
    )

    # The partner edge: subscriptions, signed webhooks, the feed.
    webhooks_allow_private: bool = Field(
        False,
        description="Allow http and loopback/private endpoint addresses (tests, local receivers)",
    )
    delivery_retry_seconds: list[float] = Field(
        default_factory=lambda: [10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800],
        description="Waits before each retry of a failed webhook (≈ 16 h); dead after the last",
    )
    delivery_jitter: float = Field(0.2, ge=0, lt=1, description="± share of a wait, at random")
    delivery_timeout_seconds: float = Field(10.0, gt=0)
    delivery_poll_seconds: float = Field(0.2, gt=0, description="Pause when nothing is due")
    delivery_batch: int = Field(50, gt=0)
    partner_client_status_url: str | None = Field(
        None,
        description="The issuer's /oauth2/client-status: asked before every delivery whether the "
        "subscribing client is still active and holds the subscription's legal basis (unset: "
        "not asked; then a revocation stops tokens but not webhooks)",
    )
    partner_client_status_cache_seconds: float = Field(5.0, ge=0)
    issuer_url: str | None = Field(
        None,
        description="Base address of the partner clients' token issuer: the partner portal reads "
        "a signed-in partner organisation's clients there (their scopes and legal bases are what "
        "its staff may do) and rotates their secrets, with the staff member's own token (unset: "
        "the portal serves partner client tokens only)",
    )
    issuer_timeout_seconds: float = Field(5.0, gt=0, description="How long the portal waits")
    disable_after_failures: int = Field(
        50, gt=0, description="Consecutive failed attempts after which a subscription is disabled"
    )
    secret_grace_hours: float = Field(
        24.0, ge=0, description="How long the previous secret still signs after a rotation"
    )
    webhook_secret_keys: SecretStr = Field(
        SecretStr(""),
        description="Keyring sealing webhook secrets at rest: kid:base64-of-32-bytes, comma-"
        "separated; the first seals, all open. No default: required once a secret is touched",
    )
    max_filter_values: int = Field(50, gt=0, description="Values per subscription filter")

    # Limits an operator sets on the retry policy a partner may choose per subscription.
    retry_min_seconds: float = Field(
        5.0, gt=0, description="Shortest wait a partner may set between two attempts"
    )
    retry_max_seconds: float = Field(
        86400.0, gt=0, description="Longest wait a partner may set between two attempts"
    )
    retry_max_steps: int = Field(20, gt=0, description="Most retries a partner may set")
    disable_after_failures_min: int = Field(
        2, gt=0, description="Fewest consecutive failures a partner may set before disabling"
    )
    disable_after_failures_max: int = Field(
        200, gt=0, description="Most consecutive failures a partner may set before disabling"
    )
    warn_after_failures: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of the disable threshold at which the partner is warned of failures",
    )
    replay_max_days: int = Field(31, gt=0, description="Longest time range of one replay")
    replay_max_events: int = Field(10000, gt=0, description="Most deliveries one replay queues")

    # Alerts to the partner's operational contact (trajecten.partner-alerts, consumed here).
    smtp_host: str | None = Field(None, description="SMTP server for alert mails (unset: no mail)")
    smtp_port: int = Field(25, gt=0, lt=65536)
    smtp_starttls: bool = Field(False, description="STARTTLS before sending")
    mail_from: str = Field("partners@civic.invalid", description="Sender of alert mails")
    notification_retry_seconds: list[float] = Field(
        default_factory=lambda: [10, 60, 300, 900, 3600],
        description="Waits before each retry of a failed alert; dead after the last",
    )
    basis_expiry_warn_days: int = Field(
        30, gt=0, description="How long before a legal basis ends its partners are told"
    )
    basis_expiry_check_seconds: float = Field(3600.0, gt=0)
    delivery_log_retention_days: float = Field(
        90.0,
        gt=0,
        description="How long delivered and dead webhook deliveries (with their attempts) and "
        "sent or dead partner alerts stay in the log (runbook: retention)",
    )
