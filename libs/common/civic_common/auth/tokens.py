"""Access token validation against the issuer's JWKS (bearer, or DPoP-bound with a proof), and
the role check every route makes."""

import json
import math
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request, Security
from fastapi.openapi.models import HTTPBase
from fastapi.security.base import SecurityBase

from civic_common.api.problems import Problem
from civic_common.api.ratelimit import TokenBuckets
from civic_common.auth.dpop import ALGORITHMS, InvalidProof, Proof, verify_proof
from civic_common.auth.introspection import IntrospectionUnavailable, Introspector
from civic_common.auth.principal import Principal
from civic_common.db.proofs import ProofRegistry

STAFF_ROLES = frozenset(
    {"counter", "counsellor", "interpreter_desk", "interpreter", "analyst", "admin"}
)
ROLES = STAFF_ROLES | {"partner"}


class InvalidToken(Exception):
    pass


def signed_in_principal(claims: dict[str, Any]) -> Principal:
    """The person a sign-in provider's token names: a staff member with the platform's staff
    roles, or a partner organisation's staff member (realm role ``partner`` with its
    organisation as the ``org`` claim, and no staff role beside it: such a person only ever
    sees the partner portal of that organisation). A provider's own roles never count."""
    roles = frozenset(r for r in claims.get("roles") or [] if isinstance(r, str))
    org = claims.get("org") if isinstance(claims.get("org"), str) and claims.get("org") else None
    staff = roles & STAFF_ROLES
    return Principal(
        subject=str(claims["sub"]),
        roles=staff or (frozenset({"partner"}) if "partner" in roles and org else frozenset()),
        organisation=org,
        municipality=(
            claims.get("municipality") if isinstance(claims.get("municipality"), str) else None
        ),
    )


class ProofRequired(InvalidToken):
    """A DPoP-bound token presented without a proof (as a bearer token)."""


class StaffIssuer:
    """The OpenID Connect provider staff sign in at (Keycloak, ``CIVIC_OIDC_ISSUER``): its access
    tokens are accepted for staff, their keys found through discovery when first needed.

    Fetched synchronously (validation is synchronous) with a short timeout, and at most once per
    ``REFRESH_SECONDS``: tokens naming an unknown key, or a provider that is down, cannot make
    every request wait on the provider."""

    TIMEOUT_SECONDS = 3.0
    REFRESH_SECONDS = 30.0

    def __init__(self, issuer: str, audience: str, discovery_url: str | None = None) -> None:
        self.issuer, self.audience = issuer.rstrip("/"), audience
        self._discovery = (discovery_url or issuer).rstrip("/")
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None

    def _get(self, url: str) -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=self.TIMEOUT_SECONDS) as response:
            body = json.load(response)
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        return body

    def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            metadata = self._get(f"{self._discovery}/.well-known/openid-configuration")
            if metadata.get("issuer") != self.issuer or not metadata.get("jwks_uri"):
                raise ValueError("the discovery document names another issuer or no JWKS")
            jwks = jwt.PyJWKSet.from_dict(self._get(str(metadata["jwks_uri"])))
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            raise InvalidToken(f"staff issuer's keys unavailable: {exc}") from exc
        self._keys = {key.key_id: key for key in jwks.keys if key.key_id}

    def key(self, token: str) -> jwt.PyJWK:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if kid not in self._keys and (
            self._fetched_at is None or time.monotonic() - self._fetched_at >= self.REFRESH_SECONDS
        ):
            self._refresh()
        if kid not in self._keys:
            raise InvalidToken("unknown signing key")
        return self._keys[kid]


class TokenValidator:
    """Tokens of the local issuer (``issuer``: staff scripts, partner clients) and, when
    configured, access tokens of the staff sign-in provider (``staff``)."""

    REMEMBER_SECONDS = 60.0
    REMEMBERED = 10_000  # tokens at most

    def __init__(
        self, jwks: str, issuer: str, audience: str, staff: StaffIssuer | None = None
    ) -> None:
        self._issuer, self._audience, self._staff = issuer, audience, staff
        self._valid: dict[tuple[str, str | None], tuple[Principal, float]] = {}
        if jwks.startswith(("https://", "http://")):
            self._client: jwt.PyJWKClient | None = jwt.PyJWKClient(jwks, cache_keys=True)
            self._keys: jwt.PyJWKSet | None = None
        else:
            self._client = None
            self._keys = jwt.PyJWKSet.from_dict(json.loads(Path(jwks).read_text()))

    def _key(self, token: str) -> jwt.PyJWK:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token)
        assert self._keys is not None
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._keys.keys:
            if key.key_id == kid:
                return key
        raise InvalidToken("unknown signing key")

    def _staff_token(self, token: str) -> bool:
        if self._staff is None:
            return False
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return issuer == self._staff.issuer

    def _staff_claims(self, token: str) -> dict[str, Any]:
        assert self._staff is not None
        try:
            claims = jwt.decode(
                token,
                self._staff.key(token),
                algorithms=["RS256", "PS256", "ES256"],
                issuer=self._staff.issuer,
                audience=self._staff.audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidToken(str(exc)) from exc
        # Keycloak marks its access tokens; an ID or refresh token is no API credential.
        if claims.get("typ") not in (None, "Bearer"):
            raise InvalidToken("not an access token")
        return claims

    def signed_in_partner(self, token: str) -> Principal:
        """A partner organisation's staff member, from the sign-in provider's access token (the
        partner portal's session passes it on); InvalidToken for anyone else. Never a partner
        client: its tokens come from the local issuer and go through ``validate``."""
        if not self._staff_token(token):
            raise InvalidToken("not a token of the sign-in provider")
        principal = signed_in_principal(self._staff_claims(token))
        if principal.roles != {"partner"} or principal.organisation is None:
            raise InvalidToken("not a partner organisation's staff member")
        return principal

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of a token whose signature, issuer, audience and expiry hold."""
        try:
            return jwt.decode(
                token,
                self._key(token),
                algorithms=["RS256"],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidToken(str(exc)) from exc

    def validate(self, token: str, key_thumbprint: str | None = None) -> Principal:
        """The caller a token names. ``key_thumbprint``: the key of the DPoP proof it came with;
        a token bound to a key (``cnf.jkt``) is valid only with a proof of that key, and an
        unbound one only without.

        A token found valid is remembered for ``REMEMBER_SECONDS`` at most, and never past its
        expiry: its signature, issuer and audience cannot change, so a counter registering one
        person after another does not pay for an RSA verification and two JWT parses each time
        (bench/intake_register.py). Only what passed is remembered; a key removed from the
        JWKS stops its tokens within that time (PyJWKClient caches keys longer)."""
        remembered = self._valid.get((token, key_thumbprint))
        if remembered is not None:
            principal, until = remembered
            if time.time() < until:
                return principal
            del self._valid[(token, key_thumbprint)]
        principal, expires = self._validate(token, key_thumbprint)
        if len(self._valid) >= self.REMEMBERED:
            self._valid.clear()  # many callers at once: start again rather than keep them all
        self._valid[(token, key_thumbprint)] = (
            principal,
            min(expires, time.time() + self.REMEMBER_SECONDS),
        )
        return principal

    def _validate(self, token: str, key_thumbprint: str | None) -> tuple[Principal, float]:
        """``validate`` without remembering: the principal and when the token expires."""
        if self._staff_token(token):
            claims = self._staff_claims(token)
            if key_thumbprint is not None:
                raise InvalidToken("staff tokens are bearer tokens")
            return Principal(
                subject=claims["sub"],
                # Only the platform's staff roles: never partner, never the provider's own.
                roles=frozenset(r for r in claims.get("roles") or [] if isinstance(r, str))
                & STAFF_ROLES,
                organisation=claims.get("org"),
                municipality=claims.get("municipality"),
            ), float(claims["exp"])
        claims = self.claims(token)
        confirmation = claims.get("cnf")
        bound = confirmation.get("jkt") if isinstance(confirmation, dict) else None
        if bound is not None and key_thumbprint is None:
            raise ProofRequired("a DPoP-bound token needs its proof")
        if bound != key_thumbprint:
            raise InvalidToken("token and proof key do not match (DPoP)")
        return Principal(
            subject=claims["sub"],
            roles=frozenset(claims.get("roles", [])),
            organisation=claims.get("org"),
            municipality=claims.get("municipality"),
            scopes=frozenset(str(claims.get("scope") or "").split()),
            legal_bases=frozenset(b for b in claims.get("legal_bases") or [] if isinstance(b, str)),
        ), float(claims["exp"])


def _unauthorised(detail: str, dpop_error: str | None = None) -> Problem:
    """401 offering both schemes (RFC 9449 §7.1); a DPoP error names itself in its challenge."""
    error = f'error="{dpop_error}", ' if dpop_error else ""
    challenge = f'Bearer, DPoP {error}algs="{" ".join(ALGORITHMS)}"'
    return Problem(401, "Niet aangemeld", detail, headers={"WWW-Authenticate": challenge})


async def authenticate(request: Request) -> Principal:
    """The caller of a request from ``Authorization: Bearer <token>`` or, for a DPoP-bound
    token, ``Authorization: DPoP <token>`` with a ``DPoP`` proof header (used once); a partner's
    token must also still be active at the issuer, where introspection is configured."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    scheme, token = scheme.lower(), token.strip()
    if scheme not in ("bearer", "dpop") or not token:
        raise _unauthorised("Een bearer- of DPoP-token is vereist.")
    proof = _checked_proof(request, token) if scheme == "dpop" else None
    principal = _validated(request, token, proof)
    if proof is not None:
        registry: ProofRegistry | None = getattr(request.app.state, "proof_registry", None)
        if registry is None or not await registry.first_use(proof):
            raise _unauthorised("Dit DPoP-bewijs werd al gebruikt.", "invalid_dpop_proof")
    if "partner" in principal.roles:
        await _still_active(request, token)
    return principal


def _checked_proof(request: Request, token: str) -> Proof:
    proofs = request.headers.getlist("dpop")
    if len(proofs) != 1:
        raise _unauthorised("Precies een DPoP-bewijs is vereist.", "invalid_dpop_proof")
    try:
        return verify_proof(proofs[0], request.method, str(request.url), access_token=token)
    except InvalidProof as exc:
        raise _unauthorised(f"Het DPoP-bewijs klopt niet: {exc}.", "invalid_dpop_proof") from exc


def _validated(request: Request, token: str, proof: Proof | None) -> Principal:
    validator: TokenValidator = request.app.state.token_validator
    try:
        return validator.validate(token, proof.thumbprint if proof else None)
    except ProofRequired as exc:
        raise _unauthorised(
            "Dit token is aan een sleutel gebonden: stuur het als DPoP met een DPoP-bewijs.",
            "invalid_token",
        ) from exc
    except InvalidToken as exc:
        raise _unauthorised("Het token is ongeldig.", "invalid_token" if proof else None) from exc


async def _still_active(request: Request, token: str) -> None:
    """A revoked partner client's tokens stop at once (RFC 7662 introspection, fail-closed)."""
    introspector: Introspector | None = getattr(request.app.state, "introspector", None)
    if introspector is None:
        return
    try:
        active = await introspector.active(token)
    except IntrospectionUnavailable as exc:
        raise Problem(
            503,
            "Tijdelijk niet beschikbaar",
            "De tokenuitgever antwoordt niet; probeer later opnieuw.",
            headers={"Retry-After": "5"},
        ) from exc
    if not active:
        raise _unauthorised("Dit token of zijn partnerclient werd ingetrokken.", "invalid_token")


class _Scheme(SecurityBase):
    """Names a token scheme in the OpenAPI document (the "Authorize" button of /docs);
    ``authenticate`` does the checking."""

    def __init__(self, scheme: str, description: str) -> None:
        self.model = HTTPBase(scheme=scheme, description=description)
        self.scheme_name = scheme

    async def __call__(self) -> None:
        return None


BEARER = _Scheme("bearer", "Staff and bearer-token partner clients: Authorization: Bearer <JWT>")
DPOP = _Scheme("DPoP", "Sender-constrained partner clients: Authorization: DPoP <JWT> + DPoP proof")


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers holding any of ``roles``: 401 without a valid token, 403
    with the wrong role."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    async def dependency(
        request: Request,
        _bearer: Annotated[None, Security(BEARER)],
        _dpop: Annotated[None, Security(DPOP)],
    ) -> Principal:
        principal = await authenticate(request)
        if not principal.roles & set(roles):
            raise Problem(403, "Geen toegang", f"Vereist een van de rollen: {', '.join(roles)}.")
        request.state.principal = principal
        return principal

    dependency.civic_roles = frozenset(roles)  # type: ignore[attr-defined] # for the access matrix
    return dependency


def require_partner_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency for a partner edge: a partner client's token carrying ``scope`` (403 naming
    it otherwise), within its organisation's request rate (429 with Retry-After otherwise).
    Staff act through their own routes, never through a partner's."""
    door = require_roles("partner")

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(door)]
    ) -> Principal:
        if scope not in principal.scopes:
            raise Problem(403, "Geen toegang", f"Het token mist de scope {scope}.")
        buckets: TokenBuckets | None = getattr(request.app.state, "partner_buckets", None)
        if buckets is not None:
            wait = buckets.take(principal.organisation or principal.subject, time.monotonic())
            if wait > 0:
                raise Problem(
                    429,
                    "Te veel verzoeken",
                    "Deze partner stuurt te veel verzoeken; probeer later opnieuw.",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        return principal

    dependency.civic_roles = frozenset({"partner"})  # type: ignore[attr-defined]
    return dependency
