"""Names and INSZ of persons, read at render time from intake's staff API with the signed-in
staff member's own token: trajecten keeps no names (docs/privacy.md). Intake checks their role
and agency, shows only its own agency's persons and audits every read as theirs; a person
intake does not show them (another agency's, erased, unknown) or an intake that does not
answer in time leaves the name out, never the page."""

import asyncio
import logging
from dataclasses import dataclass
from uuid import UUID

import httpx

log = logging.getLogger(__name__)
PARALLEL = 5


@dataclass(frozen=True)
class PersonName:
    given_name: str | None
    family_name: str | None
    insz: str | None


class IntakePersons:
    def __init__(
        self,
        api_url: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``api_url`` None: no names at all. ``transport`` lets tests put intake's app in
        process."""
        self._url = api_url.rstrip("/") if api_url else None
        self._timeout = timeout
        self._transport = transport

    @property
    def enabled(self) -> bool:
        return self._url is not None

    async def names(self, person_ids: list[UUID], token: str | None) -> dict[UUID, PersonName]:
        """The persons intake shows this token's holder; the others are left out."""
        if self._url is None or not token or not person_ids:
            return {}
        gate = asyncio.Semaphore(PARALLEL)
        async with httpx.AsyncClient(
            base_url=self._url,
            timeout=self._timeout,
            transport=self._transport,
            headers={"Authorization": f"Bearer {token}"},
        ) as http:

            async def one(person_id: UUID) -> tuple[UUID, PersonName | None]:
                async with gate:
                    try:
                        answer = await http.get(f"/api/v1/persons/{person_id}")
                    except httpx.HTTPError as exc:
                        log.warning("intake did not answer a name look-up: %s", type(exc).__name__)
                        return person_id, None
                if answer.status_code != 200:
                    return person_id, None
                body = answer.json()
                return person_id, PersonName(
                    body.get("given_name"), body.get("family_name"), body.get("insz")
                )

            found = await asyncio.gather(*(one(i) for i in dict.fromkeys(person_ids)))
        return {person_id: name for person_id, name in found if name is not None}
