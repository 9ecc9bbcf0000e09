"""The embedded OAuth2 token issuer for partner clients (client credentials, RFC 6749 §4.4).

Infrastructure of the embedded default, not a domain service: no Kafka, no outbox. It signs
with the same key pair as ``civic-token`` (``issuer.ensure_keys``), so the JWKS the services
validate against stays the same. Production replaces it with a real OpenID provider.
Admins manage clients at /api/v1/partner-clients; secrets are shown once and stored as scrypt
hashes; every change is written to the append-only ``issuer.audit_trail``.
"""

import asyncio
import base64
import binascii
import json
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    MetaData,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from civic_common.api.guard import EdgeGuard, GuardedModel, bad_character, line
from civic_common.api.openapi import truthful
from civic_common.api.problems import Problem, install_problem_handlers
from civic_common.api.ratelimit import TokenBuckets
from civic_common.auth.dpop import InvalidProof, Proof, verify_proof
from civic_common.auth.issuer import ensure_keys, mint
from civic_common.auth.partner_clients import (
    DUMMY_HASH,
    ScopeNotAllowed,
    granted_scopes,
    hash_secret,
    new_client_id,
    new_secret,
    verify_secret,
)
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import InvalidToken, StaffIssuer, TokenValidator, require_roles
from civic_common.db.engine import create_engine
from civic_common.db.messaging import proof_registry_table
from civic_common.db.migrate import upgrade
from civic_common.db.proofs import ProofRegistry
from civic_common.web.security import SecurityHeaders

SCHEMA = "issuer"
MIGRATIONS = str(Path(__file__).parent / "issuer_migrations")


class IssuerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVIC_ISSUER_", extra="ignore")

    database_url: SecretStr = Field(description="SQLAlchemy URL of the issuer role")
    keys_dir: Path = Field(Path(".state/jwt"), description="Key pair folder (issuer-key.pem)")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    token_ttl: int = Field(
        300, description="Lifetime of an access token, seconds: how long a revoked client lasts"
    )
    rotation_grace: float = Field(
        24 * 3600.0, description="Seconds the previous secret keeps working after a rotation"
    )
    jwt_issuer: str = "civic-local"
    jwt_audience: str = "civic"
    log_level: str = "INFO"
    # Token requests are throttled before the (deliberately costly) secret check, so a flood of
    # wrong secrets cannot starve the issuer and with it every partner's introspection.
    token_rate_per_client: float = Field(1.0, gt=0, description="Token requests/s per client id")
    token_burst_per_client: int = Field(10, gt=0)
    token_rate_per_address: float = Field(
        5.0, gt=0, description="Token requests/s per source address"
    )
    token_burst_per_address: int = Field(30, gt=0)
    # Partner organisations' staff sign in at the same OpenID provider as the agency's; their
    # access token (role partner, the organisation as org claim) opens /api/v1/own-partner-clients.
    oidc_issuer: str | None = Field(
        None,
        validation_alias=AliasChoices("CIVIC_ISSUER_OIDC_ISSUER", "CIVIC_OIDC_ISSUER"),
        description="The sign-in provider (unset: no partner staff self-service)",
    )
    oidc_discovery_url: str | None = Field(
        None,
        validation_alias=AliasChoices(
            "CIVIC_ISSUER_OIDC_DISCOVERY_URL", "CIVIC_OIDC_DISCOVERY_URL"
        ),
    )


metadata = MetaData(schema=SCHEMA)
clients = Table(
    "partner_clients",
    metadata,
    Column("client_id", Text, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("municipality", Text),
    Column("allowed_scopes", ARRAY(Text), nullable=False),
    Column("legal_bases", ARRAY(Text), nullable=False, server_default="{}"),
    Column("secret_hash", Text, nullable=False),
    Column("previous_secret_hash", Text),
    Column("previous_valid_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("sender_constrained", Boolean, nullable=False),
)
dpop_proofs = proof_registry_table(metadata)
audit_trail = Table(
    "audit_trail",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("client_id", Text, nullable=False),
)


# ---------------------------------------------------------------- token endpoint


_OAUTH_ERROR = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {
                "error": {"type": "string"},
                "error_description": {"type": "string"},
            },
            "required": ["error"],
        }
    }
}
# responses= of the OAuth endpoints: their errors are RFC 6749 §5.2 JSON, not problem details.
OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid_request and the like", "content": _OAUTH_ERROR},
    401: {"description": "invalid_client", "content": _OAUTH_ERROR},
    429: {"description": "slow_down; see Retry-After", "content": _OAUTH_ERROR},
}


def oauth_error(error: str, status: int = 400, description: str | None = None) -> JSONResponse:
    """RFC 6749 §5.2; invalid_client challenges for Basic, as §5.2 asks for a 401."""
    body = {"error": error} | ({"error_description": description} if description else {})
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="civic-issuer"'
    return JSONResponse(body, status_code=status, headers=headers)


def _throttled(request: Request, client_id: str) -> float:
    """Seconds to wait, or 0: a bucket per client id and one per source address."""
    now = time.monotonic()
    by_client, by_address = request.app.state.token_buckets
    address = request.client.host if request.client else "unknown"
    return max(by_client.take(client_id, now), by_address.take(address, now))


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")  # malformed: treated as a failed authentication
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    return (unquote(client_id), unquote(secret)) if sep else ("", "")


async def _authenticate(engine: AsyncEngine, client_id: str, secret: str) -> dict[str, Any] | None:
    """The client row if the secret matches its current or (in grace) previous secret."""
    if len(client_id) > 200 or bad_character(client_id, multiline=False) is not None:
        return None  # no client id of ours (and nothing a query should carry)
    async with engine.connect() as conn:
        row = (
            (await conn.execute(select(clients).where(clients.c.client_id == client_id)))
            .mappings()
            .first()
        )
    if row is None:
        await asyncio.to_thread(verify_secret, secret, DUMMY_HASH)  # same cost: no enumeration
        return None
    hashes = [row["secret_hash"]]
    if row["previous_secret_hash"] and row["previous_valid_until"] > datetime.now(UTC):
        hashes.append(row["previous_secret_hash"])
    matches = [await asyncio.to_thread(verify_secret, secret, h) for h in hashes]
    if not any(matches) or row["revoked_at"] is not None:
        return None
    return dict(row)


async def _proof_of_possession(
    request: Request, required: bool
) -> tuple[Proof | None, JSONResponse | None]:
    """The checked DPoP proof of a token request, if any (RFC 9449 §5); a sender-constrained
    client must send one. A proof is accepted once."""
    proofs = request.headers.getlist("dpop")
    if not proofs:
        if required:
            return None, oauth_error("invalid_dpop_proof", description="this client needs DPoP")
        return None, None
    try:
        if len(proofs) > 1:
            raise InvalidProof("one DPoP header")
        proof = verify_proof(proofs[0], request.method, str(request.url))
    except InvalidProof as exc:
        return None, oauth_error("invalid_dpop_proof", description=str(exc))
    registry: ProofRegistry = request.app.state.proof_registry
    if not await registry.first_use(proof):
        return None, oauth_error("invalid_dpop_proof", description="proof already used")
    return proof, None


token_router = APIRouter(tags=["oauth2"])


@token_router.post("/oauth2/token", responses=OAUTH_ERRORS)
async def token(request: Request) -> JSONResponse:
    settings: IssuerSettings = request.app.state.settings
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    basic = _basic_credentials(request)
    if basic is not None and "client_secret" in fields:
        return oauth_error("invalid_request", description="one client authentication method")
    client_id, secret = basic or (fields.get("client_id", ""), fields.get("client_secret", ""))
    grant_type = fields.get("grant_type")
    if not grant_type:
        return oauth_error("invalid_request", description="grant_type is required")
    if grant_type != "client_credentials":
        return oauth_error("unsupported_grant_type")
    if not client_id or not secret:
        return oauth_error("invalid_client", 401)
    if (wait := _throttled(request, client_id)) > 0:
        response = oauth_error("slow_down", 429, description="too many token requests")
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    client = await _authenticate(request.app.state.engine, client_id, secret)
    if client is None:
        return oauth_error("invalid_client", 401)
    proof, problem = await _proof_of_possession(request, client["sender_constrained"])
    if problem is not None:
        return problem
    try:
        scopes = granted_scopes(fields.get("scope"), frozenset(client["allowed_scopes"]))
    except ScopeNotAllowed as exc:
        return oauth_error("invalid_scope", description=f"not allowed: {exc}")
    scope = " ".join(sorted(scopes))
    access_token = mint(
        settings.keys_dir,
        ["partner"],
        client["client_id"],
        client["organisation"],
        client["municipality"],
        scope,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.token_ttl,
        key_thumbprint=proof.thumbprint if proof else None,
        legal_bases=list(client["legal_bases"]),
    )
    body = {
        "access_token": access_token,
        "token_type": "DPoP" if proof else "Bearer",
        "expires_in": settings.token_ttl,
        "scope": scope,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@token_router.post("/oauth2/client-status", responses=OAUTH_ERRORS)
async def client_status(request: Request) -> JSONResponse:
    """Whether a partner client is active and which legal bases it holds: services ask before
    every webhook delivery (cached briefly), so a revocation or a withdrawn basis stops
    deliveries at once. No caller authentication, like introspection: it says nothing about any
    person, and client ids are random."""
    form = await request.form()
    client_id = form.get("client_id")
    if not isinstance(client_id, str) or not client_id or len(client_id) > 200:
        return oauth_error("invalid_request", description="client_id is required")
    async with request.app.state.engine.connect() as conn:
        row = (
            await conn.execute(
                select(clients.c.revoked_at, clients.c.legal_bases).where(
                    clients.c.client_id == client_id
                )
            )
        ).first()
    active = row is not None and row.revoked_at is None
    return JSONResponse(
        {"active": active, "legal_bases": sorted(row.legal_bases) if active and row else []},
        headers={"Cache-Control": "no-store"},
    )


@token_router.post("/oauth2/introspect", responses=OAUTH_ERRORS)
async def introspect(request: Request) -> JSONResponse:
    """RFC 7662: whether a token is active — validly signed, unexpired, of a partner client that
    still exists and is not revoked. Services ask this for every partner token (cached briefly).
    No caller authentication: the answer tells nothing the token's holder cannot read in it, and
    signed tokens cannot be guessed."""
    form = await request.form()
    token = form.get("token")
    if not isinstance(token, str) or not token:
        return oauth_error("invalid_request", description="token is required")
    inactive = JSONResponse({"active": False}, headers={"Cache-Control": "no-store"})
    validator: TokenValidator = request.app.state.token_validator
    try:
        claims = validator.claims(token)
    except InvalidToken:
        return inactive
    if "partner" not in claims.get("roles", []):
        return inactive
    async with request.app.state.engine.connect() as conn:
        revoked_at = (
            await conn.execute(
                select(clients.c.revoked_at).where(clients.c.client_id == claims["sub"])
            )
        ).first()
    if revoked_at is None or revoked_at[0] is not None:
        return inactive
    body = {
        "active": True,
        "client_id": claims["sub"],
        "scope": claims.get("scope", ""),
        "exp": claims["exp"],
        "token_type": "DPoP" if "cnf" in claims else "Bearer",
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------- admin API


Scope = Annotated[str, Field(max_length=100, pattern=r"^[\x21\x23-\x5b\x5d-\x7e]+$")]
LegalBasis = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,100}$")]
ClientId = Annotated[str, PathParam(max_length=200)]


class ClientIn(GuardedModel):
    display_name: line(200, min_length=1)  # type: ignore[valid-type]
    organisation: line(200, min_length=1)  # type: ignore[valid-type]
    municipality: line(200, min_length=1) | None = None  # type: ignore[valid-type]
    allowed_scopes: list[Scope] = Field(min_length=1, max_length=50)
    sender_constrained: bool = Field(
        True, description="Tokens bound to the client's DPoP key (RFC 9449); false: bearer tokens"
    )
    legal_bases: list[LegalBasis] = Field(
        default_factory=list,
        max_length=20,
        description="The legal bases (codes) under which this partner may receive data; it "
        "cannot name another",
    )


class LegalBasesIn(GuardedModel):
    legal_bases: list[LegalBasis] = Field(max_length=20)


class ClientOut(BaseModel):
    client_id: str
    display_name: str
    organisation: str
    municipality: str | None
    allowed_scopes: list[str]
    legal_bases: list[str]
    sender_constrained: bool
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    previous_secret_valid_until: datetime | None

    @classmethod
    def of(cls, row: Any) -> "ClientOut":
        return cls(
            **{k: row[k] for k in cls.model_fields if k in row},
            previous_secret_valid_until=row["previous_valid_until"],
        )


class ClientWithSecret(ClientOut):
    client_secret: str = Field(description="Shown once; only its hash is stored")


Admin = Annotated[Principal, Depends(require_roles("admin"))]
admin_router = APIRouter(prefix="/api/v1/partner-clients", tags=["partner clients"])


def _engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


Engine = Annotated[AsyncEngine, Depends(_engine)]


async def _audit(conn: AsyncConnection, principal: Principal, action: str, client_id: str) -> None:
    await conn.execute(
        insert(audit_trail).values(
            at=datetime.now(UTC), actor=principal.subject, action=action, client_id=client_id
        )
    )


async def _row(conn: AsyncConnection, client_id: str, lock: bool = False) -> Any:
    query = select(clients).where(clients.c.client_id == client_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise Problem(404, "Niet gevonden", "Geen partnerclient met dit id.")
    return row


@admin_router.post("", status_code=201, response_model=ClientWithSecret)
async def create_client(body: ClientIn, principal: Admin, engine: Engine) -> JSONResponse:
    client_id, secret = new_client_id(), new_secret()
    secret_hash = await asyncio.to_thread(hash_secret, secret)
    async with engine.begin() as conn:
        await conn.execute(
            insert(clients).values(
                client_id=client_id,
                display_name=body.display_name,
                organisation=body.organisation,
                municipality=body.municipality,
                allowed_scopes=sorted(set(body.allowed_scopes)),
                legal_bases=sorted(set(body.legal_bases)),
                sender_constrained=body.sender_constrained,
                secret_hash=secret_hash,
                created_at=datetime.now(UTC),
            )
        )
        await _audit(conn, principal, "create", client_id)
        row = await _row(conn, client_id)
    out = ClientWithSecret(**ClientOut.of(row).model_dump(), client_secret=secret)
    return JSONResponse(
        out.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/partner-clients/{client_id}", "Cache-Control": "no-store"},
    )


@admin_router.get("")
async def list_clients(_: Admin, engine: Engine) -> list[ClientOut]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(clients).order_by(clients.c.created_at))).mappings()
        return [ClientOut.of(row) for row in rows]


@admin_router.get("/{client_id}")
async def get_client(client_id: ClientId, _: Admin, engine: Engine) -> ClientOut:
    async with engine.connect() as conn:
        return ClientOut.of(await _row(conn, client_id))


@admin_router.post("/{client_id}/rotation", response_model=ClientWithSecret)
async def rotate_secret(
    client_id: ClientId, request: Request, principal: Admin, engine: Engine
) -> JSONResponse:
    return await _rotated(request.app.state.settings, engine, principal, client_id)


async def _rotated(
    settings: "IssuerSettings",
    engine: AsyncEngine,
    principal: Principal,
    client_id: str,
    organisation: str | None = None,
) -> JSONResponse:
    """A new secret (shown once), the previous one valid for the grace period; ``organisation``:
    only a client of that organisation (404 for any other, as for an unknown id)."""
    secret = new_secret()
    secret_hash = await asyncio.to_thread(hash_secret, secret)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        row = await _row(conn, client_id, lock=True)
        if organisation is not None and row["organisation"] != organisation:
            raise Problem(404, "Niet gevonden", "Geen partnerclient met dit id.")
        if row["revoked_at"] is not None:
            raise Problem(409, "Ingetrokken", "Een ingetrokken client krijgt geen nieuw geheim.")
        await conn.execute(
            update(clients)
            .where(clients.c.client_id == client_id)
            .values(
                secret_hash=secret_hash,
                previous_secret_hash=row["secret_hash"],
                previous_valid_until=now + timedelta(seconds=settings.rotation_grace),
                rotated_at=now,
            )
        )
        await _audit(conn, principal, "rotate", client_id)
        row = await _row(conn, client_id)
    out = ClientWithSecret(**ClientOut.of(row).model_dump(), client_secret=secret)
    return JSONResponse(out.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@admin_router.post("/{client_id}/revocation")
async def revoke_client(client_id: ClientId, principal: Admin, engine: Engine) -> ClientOut:
    async with engine.begin() as conn:
        row = await _row(conn, client_id, lock=True)
        if row["revoked_at"] is None:
            await conn.execute(
                update(clients)
                .where(clients.c.client_id == client_id)
                .values(revoked_at=datetime.now(UTC))
            )
            await _audit(conn, principal, "revoke", client_id)
        return ClientOut.of(await _row(conn, client_id))


@admin_router.put("/{client_id}/legal-bases")
async def grant_legal_bases(
    client_id: ClientId, body: LegalBasesIn, principal: Admin, engine: Engine
) -> ClientOut:
    """The legal bases the client may use from now on (replacing the earlier grant); a basis
    taken away stops the client's subscriptions under it at their next delivery."""
    async with engine.begin() as conn:
        await _row(conn, client_id, lock=True)
        await conn.execute(
            update(clients)
            .where(clients.c.client_id == client_id)
            .values(legal_bases=sorted(set(body.legal_bases)))
        )
        await _audit(conn, principal, "legal-bases", client_id)
        return ClientOut.of(await _row(conn, client_id))


# ---------------------------------------------------------------- partner staff's own clients


async def _partner_staff(request: Request) -> Principal:
    """A partner organisation's staff member signed in at the sign-in provider (its access
    token, passed on by the partner portal): 401 for anyone else."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Niet aangemeld", "Een bearer-token van de aanmeldserver is vereist.")
    validator: TokenValidator = request.app.state.token_validator
    try:
        return validator.signed_in_partner(token.strip())
    except InvalidToken:
        raise Problem(
            401, "Niet aangemeld", "Alleen medewerkers van een partnerorganisatie."
        ) from None


PartnerStaff = Annotated[Principal, Depends(_partner_staff)]
own_router = APIRouter(prefix="/api/v1/own-partner-clients", tags=["partner clients"])


@own_router.get("")
async def own_clients(principal: PartnerStaff, engine: Engine) -> list[ClientOut]:
    """The clients of the signed-in staff member's own organisation (never a secret)."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(clients)
                .where(clients.c.organisation == principal.organisation)
                .order_by(clients.c.created_at)
            )
        ).mappings()
        return [ClientOut.of(row) for row in rows]


@own_router.post("/{client_id}/rotation", response_model=ClientWithSecret)
async def rotate_own_secret(
    client_id: ClientId, request: Request, principal: PartnerStaff, engine: Engine
) -> JSONResponse:
    """A new secret for one of the organisation's own clients, shown once; audited as the
    staff member's."""
    return await _rotated(
        request.app.state.settings, engine, principal, client_id, principal.organisation
    )


# ---------------------------------------------------------------- app


def build_issuer_app(settings: IssuerSettings) -> FastAPI:
    jwks_path = ensure_keys(settings.keys_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url.get_secret_value())
        await upgrade(engine, MIGRATIONS, SCHEMA)
        app.state.engine = engine
        app.state.proof_registry = ProofRegistry(engine, dpop_proofs)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="civic issuer", lifespan=lifespan)
    app.state.settings = settings
    app.state.token_buckets = (
        TokenBuckets(settings.token_rate_per_client, settings.token_burst_per_client),
        TokenBuckets(settings.token_rate_per_address, settings.token_burst_per_address),
    )
    app.state.token_validator = TokenValidator(
        str(jwks_path),
        settings.jwt_issuer,
        settings.jwt_audience,
        StaffIssuer(settings.oidc_issuer, settings.jwt_audience, settings.oidc_discovery_url)
        if settings.oidc_issuer
        else None,
    )
    app.add_middleware(EdgeGuard)
    install_problem_handlers(app)
    app.add_middleware(SecurityHeaders)
    truthful(app)

    @app.get("/.well-known/jwks.json", tags=["oauth2"])
    async def jwks() -> JSONResponse:
        return JSONResponse(json.loads(jwks_path.read_text()))

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Ready once its database answers (migrations ran before serving began)."""
        try:
            async with app.state.engine.connect() as conn:
                await conn.execute(select(1))
        except Exception:  # not ready, whatever the cause
            return JSONResponse({"status": "not ready"}, status_code=503)
        return JSONResponse({"status": "ready"})

    app.include_router(token_router)
    app.include_router(admin_router)
    app.include_router(own_router)
    return app


def main() -> None:
    settings = IssuerSettings()
    uvicorn.run(
        build_issuer_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
