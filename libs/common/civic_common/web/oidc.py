"""The OpenID Connect provider staff sign in at (Keycloak in the embedded default, any provider in
production): discovery, the authorization code flow with PKCE, ID token verification against the
provider's JWKS, the check that a sign-in session still lives there, and RP-initiated logout."""

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from civic_common.auth.principal import Principal
from civic_common.auth.tokens import signed_in_principal

# Signature algorithms accepted on ID tokens (the provider's JWKS says which key signs).
ALGORITHMS = ["RS256", "PS256", "ES256"]
DISCOVERY_TTL_SECONDS = 3600.0


class ProviderUnavailable(Exception):
    """The provider did not answer (or answered nonsense): sign-in cannot proceed now."""


class SignInFailed(Exception):
    """The provider's answer does not hold: bad code, bad signature, wrong nonce, ..."""


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    refresh_token: str | None
    access_expires_at: float


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    display_name: str
    tokens: Tokens


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def staff_principal(claims: dict[str, Any]) -> Principal:
    """The person a provider's token names: staff with the platform's staff roles, or a partner
    organisation's staff member (role partner, its organisation as claim) for the partner
    portal; a provider's own roles never count (``tokens.signed_in_principal``)."""
    return signed_in_principal(claims)


class OidcProvider:
    """One provider (``issuer``) and this platform's public client (``client_id``) there."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        timeout: float = 10.0,
        discovery_url: str | None = None,
    ) -> None:
        self.issuer, self.client_id = issuer.rstrip("/"), client_id
        self._discovery = (discovery_url or issuer).rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout)
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: jwt.PyJWKSet | None = None

    async def close(self) -> None:
        await self._http.aclose()

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"{url}: {exc}") from exc
        if not isinstance(body, dict):
            raise ProviderUnavailable(f"{url}: not a JSON object")
        return body

    async def metadata(self) -> dict[str, Any]:
        """The provider's ``.well-known/openid-configuration``, cached for an hour."""
        if self._metadata is None or time.monotonic() - self._metadata_at > DISCOVERY_TTL_SECONDS:
            found = await self._get_json(f"{self._discovery}/.well-known/openid-configuration")
            if found.get("issuer") != self.issuer:
                raise ProviderUnavailable("discovery names another issuer")
            self._metadata, self._metadata_at = found, time.monotonic()
        return self._metadata

    async def _endpoint(self, name: str) -> str:
        value = (await self.metadata()).get(name)
        if not isinstance(value, str):
            raise ProviderUnavailable(f"the provider has no {name}")
        return value

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise SignInFailed(f"not a JWT: {exc}") from exc
        for attempt in range(2):  # keys rotate: fetch again once on an unknown key id
            if self._keys is None or attempt:
                try:
                    self._keys = jwt.PyJWKSet.from_dict(
                        await self._get_json(await self._endpoint("jwks_uri"))
                    )
                except jwt.PyJWTError as exc:
                    raise ProviderUnavailable(f"unusable JWKS: {exc}") from exc
            for key in self._keys.keys:
                if key.key_id == kid:
                    return key
        raise SignInFailed("the token's signing key is not in the provider's JWKS")

    async def authorization_url(self, redirect_uri: str, state: str, nonce: str) -> tuple[str, str]:
        """Where to send the browser, and the PKCE verifier to keep for the callback."""
        verifier, challenge = pkce_pair()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{await self._endpoint('authorization_endpoint')}?{query}", verifier

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        url = await self._endpoint("token_endpoint")
        try:
            response = await self._http.post(url, data=form | {"client_id": self.client_id})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"token endpoint: {exc}") from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(f"token endpoint answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderUnavailable("token endpoint answered no JSON") from exc
        if response.status_code != 200 or not isinstance(body, dict):
            raise SignInFailed(f"token endpoint refused: {body.get('error', response.status_code)}")
        return body

    async def exchange(self, code: str, redirect_uri: str, verifier: str, nonce: str) -> SignedIn:
        """Redeem an authorization code and verify the ID token it brings (signature against
        the JWKS, issuer, audience, expiry, nonce)."""
        body = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        )
        id_token, access_token = body.get("id_token"), body.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise SignInFailed("the provider sent no ID token or no access token")
        claims = await self.verify_id_token(id_token)
        if claims.get("nonce") != nonce:
            raise SignInFailed("the ID token's nonce is not this sign-in's")
        name = claims.get("name") or claims.get("preferred_username") or claims["sub"]
        return SignedIn(staff_principal(claims), str(name), self._tokens(body, id_token))

    def _tokens(self, body: dict[str, Any], id_token: str) -> Tokens:
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 60.0
        refresh = body.get("refresh_token")
        return Tokens(
            id_token=id_token,
            access_token=str(body["access_token"]),
            refresh_token=refresh if isinstance(refresh, str) else None,
            access_expires_at=time.time() + lifetime,
        )

    async def verify_id_token(self, token: str) -> dict[str, Any]:
        key = await self._signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                audience=self.client_id,
                leeway=30,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise SignInFailed(f"ID token: {exc}") from exc
        azp = claims.get("azp")
        if azp is not None and azp != self.client_id:
            raise SignInFailed("the ID token was issued to another client")
        return claims

    async def still_signed_in(self, tokens: Tokens) -> Tokens | None:
        """The sign-in session at the provider lives (the user did not sign out anywhere, it
        did not expire): the tokens to keep using, refreshed where needed; None when it ended."""
        if tokens.access_expires_at - 5 > time.time():
            url = await self._endpoint("userinfo_endpoint")
            try:
                response = await self._http.get(
                    url, headers={"Authorization": f"Bearer {tokens.access_token}"}
                )
            except httpx.HTTPError as exc:
                raise ProviderUnavailable(f"userinfo: {exc}") from exc
            if response.status_code == 200:
                return tokens
            if response.status_code >= 500:
                raise ProviderUnavailable(f"userinfo answered {response.status_code}")
        if tokens.refresh_token is None:
            return None
        try:
            body = await self._token_request(
                {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
            )
        except SignInFailed:
            return None
        id_token = body.get("id_token")
        if isinstance(id_token, str):
            await self.verify_id_token(id_token)
        else:
            id_token = tokens.id_token
        if not isinstance(body.get("access_token"), str):
            return None
        return self._tokens(body, id_token)

    async def logout_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): ends the provider's
        session, and so every service's, then comes back to ``post_logout_redirect_uri``."""
        endpoint = (await self.metadata()).get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}?{urlencode(query)}"
