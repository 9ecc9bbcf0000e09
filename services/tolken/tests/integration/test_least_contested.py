"""The cascade offers a request to its least contested candidate (issue 17): through the API,
against the run's Postgres, the offer goes to the interpreter the other open request at that
time cannot do without less, even at a lower score."""

import random
import string

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration


async def offered_to(tolken, request_id: str) -> str:
    async with tolken.engine.connect() as conn:
        return str(
            (
                await conn.execute(
                    text(
                        "SELECT interpreter_id FROM tolken.offers"
                        " WHERE request_id = :r AND status = 'pending'"
                    ),
                    {"r": request_id},
                )
            ).scalar_one()
        )


async def test_a_request_goes_to_the_candidate_the_other_open_requests_need_least(
    client, auth, lang, org, add_interpreter, request_body, slot, tolken
):
    other = "".join(random.choices(string.ascii_lowercase, k=3))  # a second language of its own
    # Both speak `lang`; the nearby one (higher score) also speaks `other`.
    both = await add_interpreter(lang, name="Dichtbij", languages=[lang, other])
    single = await add_interpreter(lang, name="Veraf", latitude=51.2, longitude=4.4)
    desk = auth("interpreter_desk")

    start, end = slot(days_ahead=23, hour=8)
    alone = await client.post(
        "/api/v1/requests", json=request_body(lang, org, starts_at=start, ends_at=end), headers=desk
    )
    assert await offered_to(tolken, alone.json()["id"]) == both, "no competition: best score"

    start, end = slot(days_ahead=23, hour=14)
    needs_both = await client.post(
        "/api/v1/requests",
        json=request_body(other, org, starts_at=start, ends_at=end),
        headers=desk,
    )
    assert await offered_to(tolken, needs_both.json()["id"]) == both, "the only one for it"
    # Same time, `lang`: the nearby one is what the open `other` request needs.
    contested = await client.post(
        "/api/v1/requests", json=request_body(lang, org, starts_at=start, ends_at=end), headers=desk
    )
    assert await offered_to(tolken, contested.json()["id"]) == single
    queue = (await client.get("/api/v1/requests", params={"language": lang}, headers=desk)).json()
    [item] = [i for i in queue if i["request"]["id"] == contested.json()["id"]]
    [proposal] = item["proposals"]
    assert proposal["interpreter_id"] == both
    assert "ook geschikt voor 1 andere open aanvraag op dat moment" in proposal["why"]
