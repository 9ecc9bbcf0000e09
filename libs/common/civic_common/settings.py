"""Process settings, read from ``CIVIC_*`` environment variables."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from civic_common.db.engine import MAX_OVERFLOW, POOL_SIZE


class ServiceSettings(BaseSettings):
    """Everything an api or worker process of one service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CIVIC_", extra="ignore")

    database_url: SecretStr = Field(
        description="SQLAlchemy URL of the service's own role, e.g. postgresql+asyncpg://intake:…@host/civic",
    )
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers")
    topic_prefix: str = Field(
        "", description="Prefix of every topic name; tests isolate runs with it"
    )
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(
        None, description="Port of the api; defaults to the service's own"
    )
    jwt_jwks: str = Field(description="JWKS of the token issuer: an https URL or a file path")
    jwt_issuer: str = "civic-local"
    jwt_audience: str = "civic"
    jwt_introspection_url: str | None = Field(
        None,
        description="RFC 7662 introspection endpoint of the issuer; partner tokens are checked "
        "there, so a revoked client is refused at once",
    )
    jwt_introspection_cache_seconds: float = Field(
        30.0, ge=0, description="How long an introspection answer is reused"
    )
    oidc_issuer: str | None = Field(
        None,
        description="OpenID Connect issuer staff sign in at (Keycloak: <url>/realms/civic); pages "
        "sign in there and the APIs accept its access tokens for staff. Unset: pages cannot "
        "sign in (scripts still can, with tokens of the local issuer)",
    )
    oidc_discovery_url: str | None = Field(
        None,
        description="Where the services reach the provider when its public address (the issuer) "
        "is not reachable from inside, e.g. http://keycloak:8180/realms/civic in containers "
        "(unset: the issuer)",
    )
    oidc_client_id: str = Field("civic-pages", description="The pages' public client there")
    oidc_session_check_seconds: float = Field(
        0.0,
        ge=0,
        description="How often a page session asks the provider whether the sign-in still "
        "lives (0: on every page view, so a sign-out on one service ends all at once)",
    )
    oidc_session_max_seconds: float = Field(
        36000.0, gt=0, description="A page session ends after this long, whatever the provider"
    )
    log_level: str = "INFO"
    partner_rate_per_second: float = Field(
        20.0, gt=0, description="Requests per second a partner may make at a partner edge"
    )
    partner_burst: int = Field(40, gt=0, description="Requests a partner may make in a burst")
    db_pool_size: int = Field(
        POOL_SIZE, gt=0, description="Database connections a process keeps (runbook: budget)"
    )
    db_max_overflow: int = Field(
        MAX_OVERFLOW, ge=0, description="Connections a process may open beyond its pool"
    )
    housekeeping_seconds: float = Field(
        3600.0, gt=0, description="How often a worker prunes what has outlived its use"
    )
    idempotency_retention_hours: float = Field(
        24.0, gt=0, description="How long an Idempotency-Key's stored answer is replayed"
    )
    worker_metrics_port: int | None = Field(
        None,
        description="Port on which the worker serves Prometheus metrics at /metrics (consumer "
        "outcomes and lag, outbox backlog, periodic jobs); unset: not served",
    )
    worker_heartbeat_file: str | None = Field(
        None, description="File the worker touches while healthy (container health checks)"
    )
    worker_instance_id: str | None = Field(
        None,
        description="Static consumer-group membership id of this worker process: unique per "
        "process, the same across its restarts, so a restarted worker takes its partitions "
        "back without a rebalance; `hostname` makes it <service>-<host name>, which suits "
        "containers (unset: dynamic membership)",
    )
    # Consumer group timing. A worker that dies and does not come back holds its partitions for
    # the session timeout; tests lower these further.
    broker_session_timeout: float = 10.0
    broker_rebalance_timeout: float = 30.0
    broker_heartbeat_interval: float = 3.0
    broker_retry_max_backoff: float = Field(
        1.0,
        gt=0,
        description="Longest wait, in seconds, between a relay's or consumer's attempts to "
        "reach an unavailable broker. An attempt costs one refused connection, so retrying "
        "often is cheap, and a broker back after an outage is used within this time",
    )
