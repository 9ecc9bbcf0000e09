"""Trajecten's decision on eligibility for a call, read from trajecten's API with the
signed-in counter's own token (trajecten checks their role). Trajecten is the one owner of the
rule (docs/architecture.md); intake keeps what it answered with the candidacy."""

import logging
from typing import Any
from uuid import UUID

import httpx

from intake.domain.candidacy import EligibilityUnavailable, UnknownCall

log = logging.getLogger(__name__)


class TrajectenCalls:
    def __init__(
        self,
        api_url: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``api_url`` None: no decision can be had (candidacies for a call are refused with
        503). ``transport`` lets tests put trajecten's app in process."""
        self._url = api_url.rstrip("/") if api_url else None
        self._timeout = timeout
        self._transport = transport

    async def decide(
        self,
        call_id: UUID,
        *,
        organisation_type: str,
        staff_size: int,
        participant_roles: list[str],
        token: str | None,
    ) -> dict[str, Any]:
        if self._url is None or not token:
            raise EligibilityUnavailable("trajecten is niet ingesteld")
        query: list[tuple[str, str | int]] = [
            ("organisation_type", organisation_type),
            ("staff_size", staff_size),
            *(("participant_role", role) for role in participant_roles),
        ]
        try:
            async with httpx.AsyncClient(
                base_url=self._url,
                timeout=self._timeout,
                transport=self._transport,
                headers={"Authorization": f"Bearer {token}"},
            ) as http:
                answer = await http.get(f"/api/v1/calls/{call_id}/eligibility", params=query)
        except httpx.HTTPError as exc:
            log.warning("trajecten did not answer an eligibility question: %s", type(exc).__name__)
            raise EligibilityUnavailable("trajecten antwoordt niet") from exc
        if answer.status_code == 404:
            raise UnknownCall(call_id)
        if answer.status_code != 200:
            log.warning("trajecten answered an eligibility question with %s", answer.status_code)
            raise EligibilityUnavailable(f"trajecten antwoordde {answer.status_code}")
        body = answer.json()
        return {
            "decided_by": "trajecten",
            "call_id": body["call_id"],
            "eligible": bool(body["eligible"]),
            "reasons": [str(r) for r in body["reasons"]],
            "advice": [str(a) for a in body["advice"]],
            "decided_on": body["decided_on"],
        }
