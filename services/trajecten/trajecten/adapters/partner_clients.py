"""A partner organisation's own clients at the token issuer, read and rotated with the signed-in
staff member's own access token (the issuer checks it and keeps to its ``org`` claim; it audits
a rotation as theirs). Trajecten keeps no client and no client secret."""

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)


class IssuerUnavailable(Exception):
    """The issuer is not configured or did not answer."""


class IssuerRefused(Exception):
    """The issuer answered with a problem (e.g. 404, 409); ``detail`` is its Dutch reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class OwnClients:
    def __init__(
        self,
        issuer_url: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``issuer_url`` None: the portal cannot read any organisation's clients."""
        self._url = issuer_url.rstrip("/") if issuer_url else None
        self._timeout = timeout
        self._transport = transport

    async def _call(self, method: str, path: str, token: str) -> Any:
        if self._url is None:
            raise IssuerUnavailable("CIVIC_TRAJECTEN_ISSUER_URL is not set")
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as http:
                response = await http.request(
                    method,
                    f"{self._url}/api/v1/own-partner-clients{path}",
                    headers={"Authorization": f"Bearer {token}"},
                )
        except httpx.HTTPError as exc:
            log.warning("issuer unavailable", extra={"error": type(exc).__name__})
            raise IssuerUnavailable(type(exc).__name__) from exc
        if response.status_code >= 500:
            raise IssuerUnavailable(f"issuer answered {response.status_code}")
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("detail") or "")
            except ValueError:
                detail = ""
            raise IssuerRefused(response.status_code, detail or "De uitgever weigerde.")
        return response.json()

    async def listed(self, token: str) -> list[dict[str, Any]]:
        """The organisation's clients (active and revoked), without secrets."""
        found = await self._call("GET", "", token)
        return list(found) if isinstance(found, list) else []

    async def rotated(self, token: str, client_id: str) -> dict[str, Any]:
        """A new secret for one of them, in ``client_secret``: shown once, never kept here."""
        found = await self._call("POST", f"/{client_id}/rotation", token)
        if not isinstance(found, dict):
            raise IssuerUnavailable("unexpected answer")
        return found
