"""Bearer JWT validation against the issuer's JWKS, and the role check every route makes."""

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal

ROLES = frozenset(
    {"counter", "counsellor", "interpreter_desk", "interpreter", "analyst", "admin", "partner"}
)


class InvalidToken(Exception):
    pass


class TokenValidator:
    def __init__(self, jwks: str, issuer: str, audience: str) -> None:
        self._issuer, self._audience = issuer, audience
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

    def validate(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=["RS256"],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidToken(str(exc)) from exc
        return Principal(
            subject=claims["sub"],
            roles=frozenset(claims.get("roles", [])),
            organisation=claims.get("org"),
            municipality=claims.get("municipality"),
            scopes=frozenset(str(claims.get("scope") or "").split()),
        )


_bearer = HTTPBearer(auto_error=False)


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers holding any of ``roles``: 401 without a valid token, 403
    with the wrong role."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    async def dependency(request: Request) -> Principal:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None:
            raise Problem(401, "Niet aangemeld", "Een bearer-token is vereist.", headers=challenge)
        validator: TokenValidator = request.app.state.token_validator
        try:
            principal = validator.validate(credentials.credentials)
        except InvalidToken as exc:
            raise Problem(
                401, "Niet aangemeld", "Het token is ongeldig.", headers=challenge
            ) from exc
        if not principal.roles & set(roles):
            raise Problem(403, "Geen toegang", f"Vereist een van de rollen: {', '.join(roles)}.")
        request.state.principal = principal
        return principal

    dependency.civic_roles = frozenset(roles)  # type: ignore[attr-defined] # for the access matrix
    return dependency


def require_partner_scope(scope: str, *staff_roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency for a partner edge: a partner client's token must carry ``scope`` (403
    naming it otherwise); ``staff_roles`` may still act for a partner without scopes, until every
    partner has client credentials."""
    door = require_roles("partner", *staff_roles)
    staff = frozenset(staff_roles)

    async def dependency(principal: Annotated[Principal, Depends(door)]) -> Principal:
        if not principal.roles & staff and scope not in principal.scopes:
            raise Problem(403, "Geen toegang", f"Het token mist de scope {scope}.")
        return principal

    dependency.civic_roles = frozenset({"partner", *staff})  # type: ignore[attr-defined]
    return dependency
